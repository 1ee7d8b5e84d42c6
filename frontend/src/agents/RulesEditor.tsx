import { useEffect, useState } from 'react';
import { api, describeError } from '../api';
import { Button, Card, ErrorMessage, Field, Loading, Notice } from '../ui/controls';

/** The agent's RULES.md, read and written through its own endpoint. */
export function RulesEditor({ agentId }: { agentId: number }) {
  const [saved, setSaved] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setSaved(null);
    api.getRules(agentId).then(
      ({ rules }) => {
        setSaved(rules);
        setText(rules);
      },
      (e) => setError(describeError(e)),
    );
  }, [agentId]);

  async function save() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const { rules } = await api.putRules(agentId, text);
      setSaved(rules);
      setText(rules);
      setNotice('Rules saved. Running projects use them from their next step.');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title="Global rules (RULES.md)"
      actions={
        <Button onClick={save} busy={busy} disabled={saved === null || text === saved}>
          Save rules
        </Button>
      }
    >
      <div className="flex flex-col gap-2">
        <ErrorMessage>{error}</ErrorMessage>
        {notice && <Notice>{notice}</Notice>}
        {saved === null && !error ? (
          <Loading what="rules" />
        ) : (
          <Field label="Rules" hint="Markdown. Every project of this agent follows these.">
            {(p) => <textarea {...p} rows={10} className={`${p.className} font-mono text-sm`} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
        )}
      </div>
    </Card>
  );
}

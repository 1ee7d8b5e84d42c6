// Everything waiting for the member across projects, answerable from a phone: the question (or
// the exact command a permission is about), the end of the terminal, and a reply box.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, describeError } from '../api';
import type { InboxItem } from '../types';
import { Button, Card, Empty, ErrorMessage, Field, Loading, Notice, PageHeader } from '../ui/controls';
import { useResource } from '../ui/useResource';

function Answer({ item, onAnswered }: { item: InboxItem; onAnswered: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send(reply: string) {
    if (!reply.trim()) {
      setError('Write your answer first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.answerInbox(item.id, reply.trim());
      onAnswered();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send(text);
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-2">
      <ErrorMessage>{error}</ErrorMessage>
      <div className="flex flex-wrap gap-2">
        <Button type="button" busy={busy} onClick={() => void send('yes')}>
          Yes
        </Button>
        <Button type="button" variant="ghost" busy={busy} onClick={() => void send('no')}>
          No
        </Button>
      </div>
      <Field label={`Your answer to ${item.project_name}`}>
        {(p) => <textarea {...p} name="answer" rows={2} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <Button type="submit" busy={busy} className="self-end">
        Send answer
      </Button>
    </form>
  );
}

export function InboxPage() {
  const inbox = useResource(() => api.getInbox(), []);
  const [answered, setAnswered] = useState<string | null>(null);
  const items = inbox.data?.items ?? [];

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Inbox" subtitle="What your projects are waiting for" />
      <ErrorMessage>{inbox.error}</ErrorMessage>
      {answered && <Notice>{answered}</Notice>}
      {inbox.loading && !inbox.data ? (
        <Loading what="the inbox" />
      ) : items.length === 0 ? (
        <Empty>Nothing is waiting for you.</Empty>
      ) : (
        items.map((item) => (
          <Card
            key={item.id}
            title={
              <Link to={item.url} className="text-sky-300 underline">
                {item.project_name}
              </Link>
            }
          >
            {item.kind === 'failed' ? (
              <p className="text-rose-200">It stopped with an error. Open the project to see why and restart it.</p>
            ) : (
              <>
                <p className="mb-3 whitespace-pre-wrap break-words text-slate-100">{item.question ?? 'It did not say what it needs: look at the log.'}</p>
                {item.screen && (
                  <pre aria-label="Terminal" className="mb-3 max-h-48 overflow-auto whitespace-pre-wrap break-words rounded-lg bg-black p-2 text-xs text-slate-300">
                    {item.screen}
                  </pre>
                )}
                <Answer
                  item={item}
                  onAnswered={() => {
                    setAnswered(`Sent to ${item.project_name}.`);
                    void inbox.reload();
                  }}
                />
              </>
            )}
          </Card>
        ))
      )}
    </div>
  );
}

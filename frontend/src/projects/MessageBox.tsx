import { useState, type FormEvent } from 'react';
import { api, describeError } from '../api';
import type { Project } from '../types';
import { Button, ErrorMessage, Field, Notice } from '../ui/controls';

/** The reply when the project needs help, or an instruction to the agent at any other time. */
export function MessageBox({ project }: { project: Project }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const needsHelp = project.status === 'needs_help';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSent(false);
    if (!text.trim()) {
      setError(needsHelp ? 'Write your answer first.' : 'Write an instruction first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.sendMessage(project.id, text.trim());
      setText('');
      setSent(true);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      onSubmit={submit}
      noValidate
      className={`flex flex-col gap-3 rounded-xl border p-4 ${needsHelp ? 'border-amber-400 bg-amber-400/10' : 'border-slate-800 bg-slate-900/60'}`}
    >
      {needsHelp && (
        <div>
          <h2 className="font-semibold text-amber-200">The agent needs your help</h2>
          <p className="mt-1 whitespace-pre-wrap break-words text-slate-100">{project.question ?? 'It did not say what it needs: look at the log.'}</p>
        </div>
      )}
      <ErrorMessage>{error}</ErrorMessage>
      {sent && <Notice>Sent. The agent reads it at its next decision.</Notice>}
      <Field label={needsHelp ? 'Your answer' : 'Instruction for the agent'}>
        {(p) => <textarea {...p} name="message" rows={needsHelp ? 4 : 2} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <Button type="submit" busy={busy} className="self-end">
        {needsHelp ? 'Send answer' : 'Send instruction'}
      </Button>
    </form>
  );
}

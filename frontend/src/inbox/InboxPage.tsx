// Everything waiting for the member across projects, answerable from a phone: the question (or
// the exact command a permission is about, with Approve / Deny; or how long a stalled project
// has shown no progress, with Restart Claude), the end of the terminal, and a reply box. The
// list is live (InboxContext): an item answered on another device disappears here at once.
// `/inbox/:id` (a notification's deep link) scrolls to that item.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, describeError } from '../api';
import type { InboxAnswer, InboxItem } from '../types';
import { Button, Card, Empty, ErrorMessage, Field, Loading, Notice, PageHeader } from '../ui/controls';
import { useInbox } from './InboxContext';

function Answer({ item, onAnswered }: { item: InboxItem; onAnswered: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send(answer: InboxAnswer) {
    if ('text' in answer && !answer.text.trim()) {
      setError('Write your answer first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.answerInbox(item.id, 'text' in answer ? { text: answer.text.trim() } : answer);
      onAnswered();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send({ text });
  }

  const permission = item.options.includes('allow');
  const stalled = item.kind === 'stalled';
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-2">
      <ErrorMessage>{error}</ErrorMessage>
      <div className="flex flex-wrap gap-2">
        {permission ? (
          <>
            <Button type="button" busy={busy} onClick={() => void send({ option: 'allow' })}>
              Approve
            </Button>
            <Button type="button" variant="ghost" busy={busy} onClick={() => void send({ option: 'deny' })}>
              Deny
            </Button>
          </>
        ) : stalled ? (
          <Button type="button" variant="ghost" busy={busy} onClick={() => void send({ option: 'restart' })}>
            Restart Claude
          </Button>
        ) : (
          <>
            <Button type="button" busy={busy} onClick={() => void send({ text: 'yes' })}>
              Yes
            </Button>
            <Button type="button" variant="ghost" busy={busy} onClick={() => void send({ text: 'no' })}>
              No
            </Button>
          </>
        )}
      </div>
      <Field label={stalled ? `Your message to Claude in ${item.project_name}` : `Your answer to ${item.project_name}`}>
        {(p) => <textarea {...p} name="answer" rows={2} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <Button type="submit" busy={busy} className="self-end">
        {stalled ? 'Send to Claude' : 'Send answer'}
      </Button>
    </form>
  );
}

function ItemCard({ item, focused, onAnswered }: { item: InboxItem; focused: boolean; onAnswered: () => void }) {
  return (
    <div
      id={`inbox-item-${item.id}`}
      data-testid="inbox-item"
      className={focused ? 'rounded-xl ring-2 ring-amber-400' : undefined}
      ref={(el) => {
        // jsdom has no scrollIntoView.
        if (focused && el) el.scrollIntoView?.({ block: 'start' });
      }}
    >
      <Card
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
            {item.permission ? (
              <p className="mb-3 break-words text-slate-100">
                Claude wants to run <code className="rounded bg-slate-800 px-1">{item.permission}</code>
              </p>
            ) : (
              <p className="mb-3 whitespace-pre-wrap break-words text-slate-100">{item.question ?? 'It did not say what it needs: look at the log.'}</p>
            )}
            {item.screen && (
              <pre aria-label="Terminal" className="mb-3 max-h-48 overflow-auto whitespace-pre-wrap break-words rounded-lg bg-black p-2 text-xs text-slate-300">
                {item.screen}
              </pre>
            )}
            <Answer item={item} onAnswered={onAnswered} />
          </>
        )}
      </Card>
    </div>
  );
}

/** What an item waits on: its question, or for a stall when it began (its question counts the
 * minutes, so it changes while the stall goes on). */
function asked(item: InboxItem): string | null {
  return item.kind === 'stalled' ? `stalled since ${item.since}` : (item.question ?? null);
}

export function InboxPage() {
  const { inbox, error, live, reload } = useInbox();
  const { id } = useParams();
  const [answered, setAnswered] = useState<string | null>(null);
  // Items answered here, by what they asked: the server takes an answer before the project
  // moves on, so the live stream drops the item a moment later. A new question (or a new
  // stall) of the same project shows again.
  const [sent, setSent] = useState<ReadonlyMap<number, string | null>>(new Map());
  // Not in the map, `get` is undefined, which no `asked` equals.
  const items = (inbox?.items ?? []).filter((i) => sent.get(i.id) !== asked(i));
  const focus = id ? Number(id) : null;

  // Without the live stream (not connected yet, or lost), read the inbox over HTTP.
  useEffect(() => {
    if (!live) void reload();
  }, [live, reload]);

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Inbox" subtitle="What your projects are waiting for" />
      <ErrorMessage>{error}</ErrorMessage>
      {answered && <Notice>{answered}</Notice>}
      {focus !== null && inbox && !items.some((i) => i.id === focus) && <Notice>That question was already answered.</Notice>}
      {!inbox ? (
        <Loading what="the inbox" />
      ) : items.length === 0 ? (
        <Empty>Nothing is waiting for you.</Empty>
      ) : (
        items.map((item) => (
          <ItemCard
            key={item.id}
            item={item}
            focused={item.id === focus}
            onAnswered={() => {
              setAnswered(`Sent to ${item.project_name}.`);
              setSent((before) => new Map(before).set(item.id, asked(item)));
            }}
          />
        ))
      )}
    </div>
  );
}

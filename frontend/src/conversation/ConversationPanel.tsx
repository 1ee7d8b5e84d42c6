// The Conversation tab: what AutoCode asked, what Claude answered (Markdown, rendered safely)
// and each tool call as a compact card with its result, growing live. Built for a phone: every
// line wraps, long outputs fold, nothing scrolls sideways.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { DiffView } from '../projects/DiffView';
import { ConnectionNote } from '../projects/LogsPanel';
import type { ConnectionState, SocketLike } from '../reconnect';
import type { ConversationEntry } from '../types';
import { Empty } from '../ui/controls';
import { ConversationStream } from './conversationStream';
import { Markdown } from './Markdown';

type ToolUse = Extract<ConversationEntry, { kind: 'tool_use' }>;
type ToolResult = Extract<ConversationEntry, { kind: 'tool_result' }>;

/** Entries kept on the page; the oldest go first. */
const MAX_ENTRIES = 3000;

export function useConversation(projectId: number) {
  const [entries, setEntries] = useState<ConversationEntry[]>([]);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  useEffect(() => {
    setEntries([]);
    const stream = new ConversationStream(
      async () => new WebSocket(await api.socketUrl(projectId, 'conversation')) as SocketLike,
      {
        onEntries: (incoming, replace) =>
          setEntries((shown) => {
            const next = (replace ? [] : shown).concat(incoming);
            return next.length > MAX_ENTRIES ? next.slice(next.length - MAX_ENTRIES) : next;
          }),
        onConnection: setConnection,
      },
    );
    stream.start();
    return () => stream.stop();
  }, [projectId]);
  return { entries, connection };
}

/** Text folded to its first lines when long; the whole of it one tap away. */
function Folded({ text, lines = 12, className = '' }: { text: string; lines?: number; className?: string }) {
  const all = text.split('\n');
  const long = all.length > lines || text.length > 1500;
  const pre = `whitespace-pre-wrap [overflow-wrap:anywhere] font-mono text-xs ${className}`;
  if (!long) return <pre className={pre}>{text}</pre>;
  return (
    <details>
      <summary className="cursor-pointer text-xs text-sky-300">
        <pre className={`${pre} inline`}>{all.slice(0, 3).join('\n').slice(0, 400)}</pre>
        {'\n'}Show all {all.length} lines
      </summary>
      <pre className={pre}>{text}</pre>
    </details>
  );
}

function str(input: Record<string, unknown> | null, key: string): string {
  const v = input?.[key];
  return typeof v === 'string' ? v : '';
}

/** The change a file tool made: the CLI's own hunks when its result is in, else from the input. */
function patchOf(use: ToolUse, result?: ToolResult): string {
  if (result?.patch) return result.patch;
  const plus = (t: string) => t.split('\n').map((l) => `+${l}`);
  const minus = (t: string) => t.split('\n').map((l) => `-${l}`);
  if (use.name === 'Write') return ['@@ new file @@', ...plus(str(use.input, 'content').replace(/\n$/, ''))].join('\n');
  const edits = use.name === 'MultiEdit' && Array.isArray(use.input?.edits) ? (use.input.edits as Record<string, unknown>[]) : [use.input];
  return edits.flatMap((e) => ['@@ edit @@', ...minus(str(e, 'old_string')), ...plus(str(e, 'new_string'))]).join('\n');
}

const FILE_TOOLS = ['Edit', 'Write', 'MultiEdit', 'NotebookEdit'];

function ToolCard({ use, result }: { use: ToolUse; result?: ToolResult }) {
  const failed = result?.is_error;
  const border = failed ? 'border-rose-800' : 'border-slate-700';
  let body;
  if (use.name === 'Bash') {
    body = (
      <>
        <pre className="whitespace-pre-wrap [overflow-wrap:anywhere] font-mono text-xs text-amber-100">$ {str(use.input, 'command')}</pre>
        {result && <Folded text={result.output || '(no output)'} className={failed ? 'text-rose-200' : 'text-slate-300'} />}
      </>
    );
  } else if (FILE_TOOLS.includes(use.name)) {
    const path = result?.file_path ?? str(use.input, 'file_path');
    body = (
      <>
        <DiffView files={[{ path, old_path: null, binary: false, patch: patchOf(use, result), truncated: false }]} truncated={false} />
        {failed && <Folded text={result.output} className="text-rose-200" />}
      </>
    );
  } else {
    body = (
      <>
        <Folded text={JSON.stringify(use.input, null, 1) ?? ''} lines={6} className="text-slate-400" />
        {result && <Folded text={result.output} className={failed ? 'text-rose-200' : 'text-slate-300'} />}
      </>
    );
  }
  return (
    <article data-testid="tool-card" data-tool={use.name} className={`flex min-w-0 flex-col gap-2 rounded-lg border ${border} bg-slate-950/60 p-2`}>
      <header className="flex items-center gap-2 text-xs font-semibold text-slate-300">
        <span className="rounded bg-slate-800 px-1.5 py-0.5 font-mono">{use.name}</span>
        {!result && <span className="text-slate-500">running…</span>}
        {failed && <span className="text-rose-300">failed</span>}
      </header>
      {body}
    </article>
  );
}

/** The conversation, oldest first. A tool's result is shown in its call's card. */
export function ConversationView({ entries }: { entries: ConversationEntry[] }) {
  const results = new Map<string, ToolResult>();
  const uses = new Set<string>();
  for (const e of entries) {
    if (e.kind === 'tool_result') results.set(e.tool_use_id, e);
    if (e.kind === 'tool_use') uses.add(e.tool_use_id);
  }
  return (
    <ol className="flex min-w-0 flex-col gap-3" aria-label="Conversation">
      {entries.map((e) => {
        switch (e.kind) {
          case 'prompt':
            return (
              <li key={e.id} data-kind="prompt" className="min-w-0 self-end rounded-lg bg-sky-950/70 p-2 sm:max-w-[85%]">
                <p className="mb-1 text-xs font-semibold text-sky-300">Sent to Claude</p>
                <Folded text={e.text} lines={8} className="font-sans text-sm text-slate-100" />
              </li>
            );
          case 'text':
            return (
              <li key={e.id} data-kind="text" className="min-w-0 rounded-lg bg-slate-800/60 p-2">
                <p className="mb-1 text-xs font-semibold text-emerald-300">Claude</p>
                <Markdown text={e.text} />
              </li>
            );
          case 'tool_use':
            return (
              <li key={e.id} className="min-w-0">
                <ToolCard use={e} result={results.get(e.tool_use_id)} />
              </li>
            );
          case 'tool_result':
            // Shown in its call's card; alone only when the call is not on the page.
            return uses.has(e.tool_use_id) ? null : (
              <li key={e.id} className="min-w-0">
                <Folded text={e.output} className={e.is_error ? 'text-rose-200' : 'text-slate-300'} />
              </li>
            );
        }
      })}
    </ol>
  );
}

export function ConversationPanel({ projectId }: { projectId: number }) {
  const { entries, connection } = useConversation(projectId);
  return (
    <div className="flex min-w-0 flex-col gap-2">
      <div className="flex justify-end">
        <ConnectionNote state={connection} />
      </div>
      {entries.length ? (
        <ConversationView entries={entries} />
      ) : (
        <Empty>Nothing said yet: the conversation appears here once the project has started and Claude is at work.</Empty>
      )}
    </div>
  );
}

import { useEffect, useRef, useState } from 'react';
import { LOG_LEVELS, type LogEntry, type LogLevel } from '../types';
import { Empty } from '../ui/controls';
import type { ConnectionState } from './logStream';

const LEVEL_LABELS: Record<LogLevel, string> = { info: 'Info', action: 'Actions', error: 'Errors', agent_decision: 'Decisions' };
const LEVEL_STYLES: Record<LogLevel, string> = {
  info: 'text-slate-300',
  action: 'text-sky-300',
  error: 'text-rose-300',
  agent_decision: 'text-violet-300',
};

export function ConnectionNote({ state }: { state: ConnectionState }) {
  if (state === 'live') return <span className="text-xs text-emerald-300">● live</span>;
  if (state === 'closed') return null;
  return <span className="text-xs text-amber-300">{state === 'connecting' ? 'connecting…' : 'reconnecting…'}</span>;
}

/** The live log, filterable by level; follows new lines while scrolled to the bottom. */
export function LogsPanel({ entries, connection }: { entries: LogEntry[]; connection: ConnectionState }) {
  const [shown, setShown] = useState<Set<LogLevel>>(() => new Set(LOG_LEVELS));
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const visible = entries.filter((e) => shown.has(e.level));

  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [visible.length]);

  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Filter by level">
        {LOG_LEVELS.map((level) => (
          <label key={level} className="flex min-h-9 items-center gap-2 rounded-full border border-slate-700 px-3 text-sm">
            <input
              type="checkbox"
              className="h-4 w-4 accent-sky-500"
              checked={shown.has(level)}
              onChange={(e) => {
                const next = new Set(shown);
                if (e.target.checked) next.add(level);
                else next.delete(level);
                setShown(next);
              }}
            />
            {LEVEL_LABELS[level]}
          </label>
        ))}
        <span className="ml-auto">
          <ConnectionNote state={connection} />
        </span>
      </div>
      <div
        ref={box}
        role="log"
        aria-live="polite"
        aria-label="Project log"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="h-[55vh] overflow-y-auto rounded-lg border border-slate-800 bg-slate-950 p-2 font-mono text-xs"
      >
        {visible.length === 0 ? (
          <Empty>{entries.length === 0 ? 'No log lines yet.' : 'No lines at the chosen levels.'}</Empty>
        ) : (
          <ul className="flex flex-col gap-1">
            {visible.map((entry) => (
              <li key={entry.id} className="break-words">
                <time className="text-slate-400" dateTime={entry.timestamp}>
                  {new Date(entry.timestamp).toLocaleTimeString()}
                </time>{' '}
                <span className={`font-semibold ${LEVEL_STYLES[entry.level]}`}>[{entry.level}]</span>{' '}
                <span className="whitespace-pre-wrap text-slate-200">{entry.message}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

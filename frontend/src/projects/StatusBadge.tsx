import type { ProjectStatus } from '../types';
import { STATUS_LABELS, STATUS_STYLES } from './status';

/** `stopped`: paused with no controller loop (after Stop), which Resume restarts. */
export function StatusBadge({ status, stopped = false }: { status: ProjectStatus; stopped?: boolean }) {
  return (
    <span className={`inline-flex shrink-0 items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-bold ${STATUS_STYLES[status]}`}>
      {status === 'running' && <span aria-hidden="true" className="h-1.5 w-1.5 animate-pulse rounded-full bg-current" />}
      {status === 'needs_help' && <span aria-hidden="true">!</span>}
      {stopped && status === 'paused' ? 'Stopped' : STATUS_LABELS[status]}
    </span>
  );
}

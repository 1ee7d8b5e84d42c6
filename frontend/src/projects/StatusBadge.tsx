import type { ProjectStatus } from '../types';
import { STATUS_LABELS, STATUS_STYLES } from './status';

export function StatusBadge({ status }: { status: ProjectStatus }) {
  return (
    <span className={`inline-flex shrink-0 items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-bold ${STATUS_STYLES[status]}`}>
      {status === 'running' && <span aria-hidden="true" className="h-1.5 w-1.5 animate-pulse rounded-full bg-current" />}
      {status === 'needs_help' && <span aria-hidden="true">!</span>}
      {STATUS_LABELS[status]}
    </span>
  );
}

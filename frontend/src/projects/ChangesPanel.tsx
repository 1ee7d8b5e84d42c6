// The "Changes" tab: what each step changed (files with +/−), its diff, and undoing a step. Undo
// says exactly what will be reverted and needs a second press; it is offered only while the
// project is stopped, as the daemon refuses it while the controller runs.
import { useState } from 'react';
import { api, describeError } from '../api';
import type { Commit, CommitDiff, Project } from '../types';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Button, Empty, ErrorMessage, Loading } from '../ui/controls';
import { useResource } from '../ui/useResource';
import { DiffView } from './DiffView';

function Counts({ insertions, deletions }: { insertions: number; deletions: number }) {
  return (
    <span className="shrink-0 font-mono text-xs">
      <span className="text-emerald-300">+{insertions}</span> <span className="text-rose-300">−{deletions}</span>
    </span>
  );
}

function CommitCard({ project, commit, onUndone }: { project: Project; commit: Commit; onUndone: () => Promise<void> }) {
  const [diff, setDiff] = useState<CommitDiff | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = commit.step ? `Step ${commit.step}: ${commit.title}` : commit.title;
  const canUndo = commit.step !== null && !commit.reverted_by && !project.controller_running;

  async function toggle() {
    if (open) return setOpen(false);
    setOpen(true);
    if (diff) return;
    setBusy(true);
    setError(null);
    try {
      setDiff(await api.commitDiff(project.id, commit.sha));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="flex min-w-0 flex-col gap-2 rounded-lg border border-slate-800 p-3">
      <div className="flex min-w-0 items-start justify-between gap-2">
        <h3 className="min-w-0 break-words text-sm font-semibold text-slate-100">
          {heading}
          {commit.reverted_by && <span className="ml-2 text-xs font-normal text-amber-300">(undone)</span>}
        </h3>
        <Counts insertions={commit.insertions} deletions={commit.deletions} />
      </div>
      {commit.summary && <p className="break-words text-sm text-slate-300">{commit.summary}</p>}
      <p className="text-xs text-slate-500">
        {commit.sha.slice(0, 7)} · {commit.author} · {new Date(commit.time).toLocaleString()}
      </p>
      {commit.files.length > 0 ? (
        <ul className="flex flex-col gap-1 text-sm">
          {commit.files.map((f) => (
            <li key={f.path} className="flex min-w-0 justify-between gap-2">
              <span className="min-w-0 break-all text-slate-200">{f.path}</span>
              {f.binary ? <span className="shrink-0 text-xs text-slate-400">binary</span> : <Counts {...f} />}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-400">No file changed.</p>
      )}
      <div className="flex flex-wrap gap-2">
        {commit.files.length > 0 && (
          <Button variant="secondary" busy={busy} aria-expanded={open} onClick={toggle}>
            {open ? 'Hide changes' : 'Show changes'}
          </Button>
        )}
        {canUndo && (
          <ConfirmButton
            label="Undo this step"
            confirmLabel={`Yes, undo step ${commit.step}`}
            message={
              <>
                Undo step {commit.step} (<strong>{commit.title}</strong>)? A new commit takes back its changes to{' '}
                {commit.files.length === 1 ? '1 file' : `${commit.files.length} files`} (+{commit.insertions} −{commit.deletions}
                {commit.files.length ? `: ${commit.files.map((f) => f.path).join(', ')}` : ''}), and the step goes back to the
                plan as still to do. Later steps are kept.
              </>
            }
            onConfirm={async () => {
              await api.revertStep(project.id, commit.step as number);
              await onUndone();
            }}
          />
        )}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {open && diff && <DiffView files={diff.files} truncated={diff.truncated} />}
    </li>
  );
}

/** `onUndone` lets the page reload the project (its plan changed). */
export function ChangesPanel({ project, onUndone }: { project: Project; onUndone: () => Promise<void> | void }) {
  const commits = useResource(() => api.listCommits(project.id), [project.id]);
  if (commits.loading && !commits.data) return <Loading what="the changes" />;
  if (!commits.data) return <ErrorMessage>{commits.error ?? 'The changes could not be loaded.'}</ErrorMessage>;
  if (!commits.data.length) return <Empty>No changes yet: each step is saved here when it is done.</Empty>;
  return (
    <div className="flex min-w-0 flex-col gap-2">
      {project.controller_running && (
        <p className="text-sm text-slate-400">Stop the project to undo a step.</p>
      )}
      <ul className="flex min-w-0 flex-col gap-3">
        {commits.data.map((c) => (
          <CommitCard
            key={c.sha}
            project={project}
            commit={c}
            onUndone={async () => {
              await commits.reload();
              await onUndone();
            }}
          />
        ))}
      </ul>
    </div>
  );
}

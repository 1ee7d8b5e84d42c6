import { useState } from 'react';
import { api, describeError } from '../api';
import { hasErrors } from '../forms';
import type { PlanStep, Project } from '../types';
import { Button, Card, Empty, ErrorMessage } from '../ui/controls';
import { PlanRowsEditor } from './PlanRowsEditor';
import { validatePlan, type PlanRow } from './projectForm';

const STEP_ICONS: Record<PlanStep['status'], { icon: string; label: string; cls: string }> = {
  done: { icon: '✓', label: 'done', cls: 'bg-emerald-500 text-emerald-950' },
  running: { icon: '▶', label: 'in progress', cls: 'bg-sky-500 text-sky-950' },
  failed: { icon: '✕', label: 'failed', cls: 'bg-rose-500 text-white' },
  pending: { icon: '', label: 'pending', cls: 'border border-slate-600 text-slate-400' },
};

type EditRow = PlanRow & { status?: PlanStep['status'] };

/** The implementation plan with progress; editable at any time (the agent picks changes up at the next step). */
export function PlanPanel({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const [rows, setRows] = useState<EditRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const plan = project.implementation_plan;
  const done = plan.filter((s) => s.status === 'done').length;
  const errors = rows ? validatePlan(rows) : {};

  async function save() {
    if (!rows || hasErrors(errors)) return;
    setBusy(true);
    setError(null);
    try {
      const steps = rows
        .filter((r) => r.title.trim())
        .map((r) => ({ title: r.title.trim(), details: r.details.trim(), ...(r.status ? { status: r.status } : {}) }));
      onSaved(await api.updateProject(project.id, { implementation_plan: steps }));
      setRows(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title={`Plan${plan.length ? ` · ${done} of ${plan.length} done` : ''}`}
      actions={
        rows ? (
          <>
            <Button variant="secondary" onClick={() => setRows(null)}>
              Cancel
            </Button>
            <Button busy={busy} onClick={save} disabled={hasErrors(errors)}>
              Save plan
            </Button>
          </>
        ) : (
          <Button variant="secondary" onClick={() => setRows(plan.map((s) => ({ title: s.title, details: s.details, status: s.status })))}>
            Edit plan
          </Button>
        )
      }
    >
      <ErrorMessage>{error}</ErrorMessage>
      {rows ? (
        <PlanRowsEditor rows={rows} errors={errors} onChange={setRows} />
      ) : plan.length === 0 ? (
        <Empty>No plan yet. The agent drafts one from the goal when the project starts.</Empty>
      ) : (
        <>
          <div
            className="mb-3 h-2 overflow-hidden rounded-full bg-slate-800"
            role="progressbar"
            aria-label="Plan progress"
            aria-valuemin={0}
            aria-valuemax={plan.length}
            aria-valuenow={done}
          >
            <div className="h-full bg-emerald-500 transition-all" style={{ width: `${(done / plan.length) * 100}%` }} />
          </div>
          <ol className="flex flex-col gap-2">
            {plan.map((step, i) => {
              const look = STEP_ICONS[step.status];
              const current = project.current_step === i;
              return (
                <li key={i} className={`flex gap-3 rounded-lg p-2 ${current ? 'bg-sky-500/10 ring-1 ring-sky-500/40' : ''}`}>
                  <span className={`flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-bold ${look.cls}`} aria-label={look.label}>
                    {look.icon || i + 1}
                  </span>
                  <div className="min-w-0">
                    <p className="break-words font-medium text-slate-100">{step.title}</p>
                    {step.details && <p className="whitespace-pre-wrap break-words text-sm text-slate-400">{step.details}</p>}
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </Card>
  );
}

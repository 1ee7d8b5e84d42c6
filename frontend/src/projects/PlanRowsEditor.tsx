import type { Errors } from '../forms';
import { Button, Field } from '../ui/controls';
import type { PlanRow } from './projectForm';

/** Editable, reorderable plan steps (title + details), used when creating and when editing a plan. */
export function PlanRowsEditor({
  rows,
  errors,
  onChange,
  locked = 0,
}: {
  rows: PlanRow[];
  errors: Errors<`plan.${number}`>;
  onChange: (rows: PlanRow[]) => void;
  /** Steps before this index are done or under way and cannot be moved or removed. */
  locked?: number;
}) {
  const update = (i: number, patch: Partial<PlanRow>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  const move = (i: number, by: number) => {
    const next = [...rows];
    const [row] = next.splice(i, 1);
    next.splice(i + by, 0, row);
    onChange(next);
  };
  return (
    <div className="flex flex-col gap-3">
      <ol className="flex flex-col gap-3">
        {rows.map((row, i) => (
          <li key={i} className="rounded-lg border border-slate-800 p-3">
            <div className="flex flex-col gap-2">
              <Field label={`Step ${i + 1} title`} error={errors[`plan.${i}`]}>
                {(p) => <input {...p} value={row.title} disabled={i < locked} onChange={(e) => update(i, { title: e.target.value })} />}
              </Field>
              <Field label={`Step ${i + 1} details`}>
                {(p) => <textarea {...p} rows={2} value={row.details} disabled={i < locked} onChange={(e) => update(i, { details: e.target.value })} />}
              </Field>
              {i >= locked && (
                <div className="flex flex-wrap justify-end gap-1">
                  <Button variant="ghost" aria-label={`Move step ${i + 1} up`} disabled={i <= locked} onClick={() => move(i, -1)}>
                    ↑
                  </Button>
                  <Button variant="ghost" aria-label={`Move step ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </Button>
                  <Button variant="ghost" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                    Remove step {i + 1}
                  </Button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ol>
      <Button variant="secondary" className="self-start" onClick={() => onChange([...rows, { title: '', details: '' }])}>
        + Add step
      </Button>
    </div>
  );
}

import { useState } from 'react';
import { describeError } from '../api';
import { Button, Empty, ErrorMessage, Field } from '../ui/controls';

/** A long text (goal, architecture) shown as written, with an editor behind "Edit". */
export function TextTab({ label, value, required, onSave }: { label: string; value: string; required?: boolean; onSave: (text: string) => Promise<void> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (draft === null) {
    return (
      <div className="flex flex-col gap-3">
        {value.trim() ? <div className="whitespace-pre-wrap break-words text-slate-200">{value}</div> : <Empty>No {label.toLowerCase()} yet.</Empty>}
        <Button variant="secondary" className="self-start" onClick={() => setDraft(value)}>
          Edit {label.toLowerCase()}
        </Button>
      </div>
    );
  }
  const invalid = required && !draft.trim() ? `The ${label.toLowerCase()} cannot be empty.` : null;
  return (
    <div className="flex flex-col gap-3">
      <ErrorMessage>{error}</ErrorMessage>
      <Field label={label} error={invalid}>
        {(p) => <textarea {...p} rows={12} value={draft} onChange={(e) => setDraft(e.target.value)} />}
      </Field>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => setDraft(null)}>
          Cancel
        </Button>
        <Button
          busy={busy}
          disabled={Boolean(invalid)}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onSave(draft);
              setDraft(null);
            } catch (e) {
              setError(describeError(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          Save {label.toLowerCase()}
        </Button>
      </div>
    </div>
  );
}

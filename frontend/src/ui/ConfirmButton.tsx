import { useEffect, useRef, useState, type ReactNode } from 'react';
import { describeError } from '../api';
import { Button, ErrorMessage } from './controls';

/**
 * A destructive action that first says exactly what will be lost and needs a second, explicit
 * press. The error of a failed attempt stays beside the button.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  message,
  onConfirm,
}: {
  label: string;
  confirmLabel: string;
  message: ReactNode;
  onConfirm: () => Promise<void>;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (asking) cancelRef.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <Button variant="danger" onClick={() => setAsking(true)}>
        {label}
      </Button>
    );
  }
  return (
    <div role="alertdialog" aria-label={label} className="flex w-full flex-col gap-2 rounded-lg border border-rose-500/60 bg-rose-950/40 p-3">
      <div className="text-sm text-rose-100">{message}</div>
      <ErrorMessage>{error}</ErrorMessage>
      <div className="flex flex-wrap justify-end gap-2">
        <Button ref={cancelRef} variant="secondary" onClick={() => setAsking(false)} disabled={busy}>
          Cancel
        </Button>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onConfirm();
              setAsking(false);
            } catch (e) {
              setError(describeError(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          {confirmLabel}
        </Button>
      </div>
    </div>
  );
}

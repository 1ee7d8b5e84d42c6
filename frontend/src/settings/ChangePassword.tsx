import { useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../api';
import { hasErrors, required, validatePassword, type Errors } from '../forms';
import { Button, Card, ErrorMessage, Field, Notice } from '../ui/controls';

type PasswordField = 'current' | 'next' | 'confirm';

export function validatePasswordChange(current: string, next: string, confirm: string): Errors<PasswordField> {
  return {
    current: required(current, 'your current password') ?? undefined,
    next: validatePassword(next) ?? (next && next === current ? 'Choose a password different from the current one.' : undefined),
    confirm: confirm !== next ? 'The two new passwords differ.' : undefined,
  };
}

export function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors<PasswordField>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    const found = validatePasswordChange(current, next, confirm);
    setErrors(found);
    if (hasErrors(found)) return;
    setBusy(true);
    setError(null);
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
    } catch (e) {
      if (e instanceof ApiError && e.field === 'current_password') setErrors({ current: e.message });
      else if (e instanceof ApiError && e.field === 'new_password') setErrors({ next: e.message });
      else setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Change password">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <ErrorMessage>{error}</ErrorMessage>
        {done && <Notice>Password changed. Your other devices were signed out.</Notice>}
        <Field label="Current password" error={errors.current}>
          {(p) => <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
        </Field>
        <Field label="New password" error={errors.next} hint="At least 8 characters.">
          {(p) => <input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        <Field label="New password again" error={errors.confirm}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
        </Field>
        <Button type="submit" busy={busy} className="self-end">
          Change password
        </Button>
      </form>
    </Card>
  );
}

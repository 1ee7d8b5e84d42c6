import { useState, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import { describeError } from '../api';
import { hasErrors, required, type Errors } from '../forms';
import { Button, ErrorMessage, Field } from '../ui/controls';
import { useAuth } from './AuthContext';

export function LoginPage() {
  const { user, login } = useAuth();
  const location = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors<'username' | 'password'>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (user) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = { username: required(username, 'your username') ?? undefined, password: required(password, 'your password') ?? undefined };
    setErrors(next);
    if (hasErrors(next)) return;
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex flex-1 items-center justify-center px-4 py-10">
      <form onSubmit={submit} noValidate className="flex w-full max-w-sm flex-col gap-4 rounded-2xl border border-slate-800 bg-slate-900 p-6 shadow-xl">
        <div className="flex items-center gap-3">
          <img src="/favicon.svg" alt="" className="h-10 w-10" />
          <div>
            <h1 className="text-2xl font-bold text-white">AutoCode</h1>
            <p className="text-sm text-slate-400">Sign in to watch and steer your projects.</p>
          </div>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <Field label="Username" error={errors.username}>
          {(p) => (
            <input {...p} name="username" autoComplete="username" autoCapitalize="none" autoCorrect="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
          )}
        </Field>
        <Field label="Password" error={errors.password}>
          {(p) => <input {...p} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <Button type="submit" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}

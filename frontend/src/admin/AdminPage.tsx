// Accounts: list with agent counts, create, reset password / change role, delete (with a
// confirmation that says what goes with the account). Admins never see users' projects here.
import { useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../api';
import { useAuth } from '../auth/AuthContext';
import { hasErrors, validatePassword, validateUsername, type Errors } from '../forms';
import type { Role, UserWithCount } from '../types';
import { Button, Card, Empty, ErrorMessage, Field, Loading, Notice, PageHeader } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';
import { SandboxBanner } from './SandboxBanner';
import { SmtpSettings } from './SmtpSettings';

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [errors, setErrors] = useState<Errors<'username' | 'password'>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const next = { username: validateUsername(username) ?? undefined, password: validatePassword(password) ?? undefined };
    setErrors(next);
    if (hasErrors(next)) return;
    setBusy(true);
    setError(null);
    try {
      const user = await api.createUser({ username, password, role });
      setNotice(`Created ${user.username}. Give them their password privately.`);
      setUsername('');
      setPassword('');
      setRole('user');
      onCreated();
    } catch (e) {
      setError(describeError(e));
      if (e instanceof ApiError && (e.field === 'username' || e.field === 'password')) setErrors({ [e.field]: e.message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Create user">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <ErrorMessage>{error}</ErrorMessage>
        {notice && <Notice>{notice}</Notice>}
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="New username" error={errors.username} hint="Lowercase letters, digits, - and _.">
            {(p) => <input {...p} name="new-username" autoComplete="off" autoCapitalize="none" value={username} onChange={(e) => setUsername(e.target.value)} />}
          </Field>
          <Field label="Initial password" error={errors.password} hint="At least 8 characters.">
            {(p) => <input {...p} name="new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          <Field label="Role">
            {(p) => (
              <select {...p} name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="user">User</option>
                <option value="admin">Admin</option>
              </select>
            )}
          </Field>
        </div>
        <Button type="submit" busy={busy} className="self-end">
          Create user
        </Button>
      </form>
    </Card>
  );
}

function UserRow({ user, isSelf, onChanged }: { user: UserWithCount; isSelf: boolean; onChanged: () => void }) {
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function update(body: { password?: string; role?: Role }, done: string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await api.updateUser(user.id, body);
      setNotice(done);
      onChanged();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="flex flex-col gap-3 rounded-lg border border-slate-800 p-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="break-words font-semibold text-white">
            {user.username} {isSelf && <span className="text-sm font-normal text-slate-400">(you)</span>}
          </p>
          <p className="text-sm text-slate-400">
            {user.role === 'admin' ? 'Admin' : 'User'} · {user.agent_count} agent{user.agent_count === 1 ? '' : 's'} · since{' '}
            {new Date(user.created_at).toLocaleDateString()}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" onClick={() => setResetting(!resetting)} aria-expanded={resetting}>
            Reset password
          </Button>
          {!isSelf && (
            <Button variant="secondary" busy={busy} onClick={() => void update({ role: user.role === 'admin' ? 'user' : 'admin' }, 'Role changed.')}>
              {user.role === 'admin' ? 'Make user' : 'Make admin'}
            </Button>
          )}
        </div>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {notice && <Notice>{notice}</Notice>}
      {resetting && (
        <form
          noValidate
          className="flex flex-col gap-2 sm:flex-row sm:items-end"
          onSubmit={async (e) => {
            e.preventDefault();
            const invalid = validatePassword(password);
            setFieldError(invalid);
            if (invalid) return;
            if (await update({ password }, `Password of ${user.username} changed; their sessions were ended.`)) {
              setPassword('');
              setResetting(false);
            }
          }}
        >
          <div className="flex-1">
            <Field label={`New password for ${user.username}`} error={fieldError}>
              {(p) => <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" busy={busy}>
            Set password
          </Button>
        </form>
      )}
      {!isSelf && (
        <ConfirmButton
          label={`Delete ${user.username}`}
          confirmLabel={`Yes, delete ${user.username}`}
          message={
            <>
              Delete <strong>{user.username}</strong> and everything they own: {user.agent_count} agent{user.agent_count === 1 ? '' : 's'} with all
              their projects (running ones are stopped), their stored API keys and their whole workspace folder. This cannot be undone.
            </>
          }
          onConfirm={async () => {
            await api.deleteUser(user.id);
            onChanged();
          }}
        />
      )}
    </li>
  );
}

export function AdminPage() {
  const { user } = useAuth();
  const users = useResource(() => api.listUsers(), []);
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Admin Panel" subtitle="Accounts of this AutoCode server." />
      <SandboxBanner />
      <CreateUserForm onCreated={() => void users.reload()} />
      <Card title="Users">
        <ErrorMessage>{users.error}</ErrorMessage>
        {users.loading && !users.data ? (
          <Loading what="users" />
        ) : users.data && users.data.length > 0 ? (
          <ul className="flex flex-col gap-2">
            {users.data.map((u) => (
              <UserRow key={u.id} user={u} isSelf={u.id === user?.id} onChanged={() => void users.reload()} />
            ))}
          </ul>
        ) : (
          !users.error && <Empty>No users.</Empty>
        )}
      </Card>
      <SmtpSettings />
    </div>
  );
}

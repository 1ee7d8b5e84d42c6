// The admin's SMTP server for e-mail notifications. The password is typed, sealed by the server
// and never shown again: leaving it empty keeps the stored one.
import { useEffect, useState, type FormEvent } from 'react';
import { api, describeError } from '../api';
import type { SmtpSecurity } from '../types';
import { Button, Card, ErrorMessage, Field, Notice } from '../ui/controls';
import { useResource } from '../ui/useResource';

export function SmtpSettings() {
  const current = useResource(() => api.getSmtp(), []);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('587');
  const [security, setSecurity] = useState<SmtpSecurity>('starttls');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [sender, setSender] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const s = current.data;
    if (!s) return;
    setHost(s.host);
    setPort(String(s.port));
    setSecurity(s.security);
    setUsername(s.username);
    setSender(s.sender);
  }, [current.data]);

  async function remove() {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await api.deleteSmtp();
      setHost('');
      setUsername('');
      setSender('');
      setPassword('');
      await current.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await api.setSmtp({ host: host.trim(), port: Number(port), security, username: username.trim(), sender: sender.trim(), ...(password ? { password } : {}) });
      setPassword('');
      setSaved(true);
      await current.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="E-mail notifications">
      <p className="mb-3 text-sm text-slate-400">The SMTP server that mails notifications to members who give their address in Settings.</p>
      <ErrorMessage>{error ?? current.error}</ErrorMessage>
      {saved && <Notice>Saved.</Notice>}
      <form onSubmit={save} noValidate className="flex flex-col gap-2">
        <Field label="SMTP host">{(p) => <input {...p} name="smtp_host" value={host} onChange={(e) => setHost(e.target.value)} />}</Field>
        <Field label="Port">{(p) => <input {...p} name="smtp_port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />}</Field>
        <Field label="Security">
          {(p) => (
            <select {...p} name="smtp_security" value={security} onChange={(e) => setSecurity(e.target.value as SmtpSecurity)}>
              <option value="starttls">STARTTLS (usually 587)</option>
              <option value="tls">TLS (usually 465)</option>
              <option value="none">None (a server on this machine only)</option>
            </select>
          )}
        </Field>
        <Field label="SMTP username">{(p) => <input {...p} name="smtp_username" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}</Field>
        <Field label="SMTP password" hint={current.data?.password_set ? 'Stored encrypted; leave empty to keep it' : 'Stored encrypted, never shown again'}>
          {(p) => <input {...p} name="smtp_password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <Field label="Sender" hint="For example AutoCode <autocode@example.org>">
          {(p) => <input {...p} name="smtp_sender" value={sender} onChange={(e) => setSender(e.target.value)} />}
        </Field>
        <div className="flex justify-end gap-2">
          {current.data && (
            <Button type="button" variant="secondary" busy={busy} onClick={() => void remove()}>
              Stop e-mailing
            </Button>
          )}
          <Button type="submit" busy={busy}>
            Save e-mail server
          </Button>
        </div>
      </form>
    </Card>
  );
}

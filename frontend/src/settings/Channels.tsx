// ntfy, Telegram and e-mail, for phones where the web app cannot receive push: each set up with a form,
// shown afterwards by where it goes (never the bot token), and removable.
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../api';
import type { NotifyChannel } from '../types';
import { Button, Card, ErrorMessage, Field } from '../ui/controls';
import { useResource } from '../ui/useResource';

export function Channels() {
  const channels = useResource(() => api.listChannels(), []);
  const [ntfy, setNtfy] = useState('');
  const [token, setToken] = useState('');
  const [chat, setChat] = useState('');
  const [email, setEmailAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const find = (kind: NotifyChannel['kind']) => channels.data?.find((c) => c.kind === kind);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      await channels.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function saveNtfy(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api.setNtfy(ntfy.trim());
      setNtfy('');
    });
  }

  function saveTelegram(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api.setTelegram(token.trim(), chat.trim());
      setToken('');
      setChat('');
    });
  }

  function saveEmail(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await api.setEmail(email.trim());
      setEmailAddress('');
    });
  }

  const current = (kind: NotifyChannel['kind'], label: string) => {
    const c = find(kind);
    if (!c) return null;
    return (
      <div className="mb-2 flex items-center justify-between gap-2 rounded-lg border border-slate-800 p-3 text-sm">
        <span className="min-w-0 break-all text-slate-200">
          {label}: {c.target}
          {c.token_last4 && ` · bot ••••${c.token_last4}`}
        </span>
        <Button variant="ghost" busy={busy} onClick={() => void run(() => api.deleteChannel(kind))}>
          Remove
        </Button>
      </div>
    );
  };

  return (
    <Card title="Other ways to be notified">
      <p className="mb-3 text-sm text-slate-400">For phones where this app cannot show notifications: an ntfy topic, a Telegram bot or e-mail.</p>
      <ErrorMessage>{error ?? channels.error}</ErrorMessage>
      {current('ntfy', 'ntfy')}
      <form onSubmit={saveNtfy} noValidate className="mb-4 flex flex-col gap-2">
        <Field label="ntfy topic URL" hint="For example https://ntfy.sh/a-topic-only-you-know">
          {(p) => <input {...p} name="ntfy" type="url" value={ntfy} onChange={(e) => setNtfy(e.target.value)} />}
        </Field>
        <Button type="submit" busy={busy} className="self-end">
          Save ntfy
        </Button>
      </form>
      {current('telegram', 'Telegram chat')}
      <form onSubmit={saveTelegram} noValidate className="flex flex-col gap-2">
        <Field label="Telegram bot token" hint="From @BotFather; stored encrypted, never shown again">
          {(p) => <input {...p} name="bot_token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}
        </Field>
        <Field label="Telegram chat id">{(p) => <input {...p} name="chat_id" value={chat} onChange={(e) => setChat(e.target.value)} />}</Field>
        <Button type="submit" busy={busy} className="self-end">
          Save Telegram
        </Button>
      </form>
      {current('email', 'E-mail')}
      <form onSubmit={saveEmail} noValidate className="mt-4 flex flex-col gap-2">
        <Field label="E-mail address" hint="Sent through the server the admin set up; nothing is sent until they do">
          {(p) => <input {...p} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmailAddress(e.target.value)} />}
        </Field>
        <Button type="submit" busy={busy} className="self-end">
          Save e-mail
        </Button>
      </form>
    </Card>
  );
}

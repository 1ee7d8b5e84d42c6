import { lazy, Suspense, useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../api';
import type { ClaudeAccount as Account, ClaudeAccountKind } from '../types';
import { Button, Card, ErrorMessage, Field, Loading, Notice } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';

const TerminalView = lazy(() => import('../terminal/TerminalView').then((m) => ({ default: m.TerminalView })));

/** The three ways a member's Claude Code signs in, in the order a newcomer is most likely to use. */
export const CHOICES: { kind: ClaudeAccountKind; label: string; hint: string }[] = [
  { kind: 'api_key', label: 'API key', hint: 'An Anthropic API key from console.anthropic.com (starts with sk-ant-).' },
  {
    kind: 'oauth_token',
    label: 'Subscription token',
    hint: 'For a Claude subscription: run `claude setup-token` on your computer and paste the token it prints (starts with sk-ant-oat).',
  },
  { kind: 'login', label: 'Log in here', hint: "Sign in with Claude Code's own /login, in a terminal on this page." },
];

/** What the server holds, in words. */
export function describeAccount(account: Account): string {
  switch (account.kind) {
    case null:
      return 'Not set yet: your agents cannot use Claude Code until you choose one below.';
    case 'login':
      return "Signed in with Claude Code's own login.";
    default: {
      const what = account.kind === 'api_key' ? 'an API key' : 'a subscription token';
      return account.readable === false ? `Using ${what} that can no longer be read: replace it.` : `Using ${what} ending in ${account.hint}.`;
    }
  }
}

/** Checks a pasted key or token before it is sent; undefined when it looks right. */
export function checkSecret(kind: ClaudeAccountKind, value: string): string | undefined {
  const v = value.trim();
  if (!v) return kind === 'api_key' ? 'Paste your API key.' : 'Paste your token.';
  if (/\s/.test(v)) return 'No spaces inside, please: paste it exactly as given.';
  if (v.length < 20) return 'That looks too short.';
  if (kind === 'api_key' && v.startsWith('sk-ant-oat')) return 'That is a subscription token: choose "Subscription token".';
  if (kind === 'api_key' && !v.startsWith('sk-ant-')) return 'An Anthropic API key starts with sk-ant-.';
  if (kind === 'oauth_token' && !v.startsWith('sk-ant-oat')) return 'The token from `claude setup-token` starts with sk-ant-oat.';
  return undefined;
}

export function ClaudeAccount() {
  const account = useResource(() => api.getClaudeAccount(), []);
  const [kind, setKind] = useState<ClaudeAccountKind>('api_key');
  const [value, setValue] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [loginSession, setLoginSession] = useState<string | null>(null);
  const choice = CHOICES.find((c) => c.kind === kind) ?? CHOICES[0];

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      await action();
    } catch (e) {
      setError(describeError(e));
      if (e instanceof ApiError && e.field === 'value') setFieldError(e.message);
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (kind === 'login') {
      await run(async () => {
        const started = await api.startClaudeLogin();
        setLoginSession(started.session);
      });
      return;
    }
    const problem = checkSecret(kind, value);
    setFieldError(problem);
    if (problem) return;
    await run(async () => {
      await api.setClaudeAccount({ kind, value: value.trim() });
      setValue('');
      setSaved(`Saved. Your agents now use this ${kind === 'api_key' ? 'key' : 'token'}.`);
      await account.reload();
    });
  }

  const current = account.data;
  return (
    <Card title="Claude Code account">
      <p className="mb-3 text-sm text-slate-400">
        The account your agents' Claude Code works with. Yours alone: stored encrypted, never shown again, never seen by other members.
      </p>
      <ErrorMessage>{account.error}</ErrorMessage>
      {account.loading && !current ? (
        <Loading what="your Claude Code account" />
      ) : (
        current && (
          <div className="mb-4 flex flex-col gap-2 rounded-lg border border-slate-800 p-3">
            <p className="break-words text-slate-100" data-testid="claude-account-state">
              {describeAccount(current)}
            </p>
            {current.updated_at && <p className="text-sm text-slate-400">Set {new Date(current.updated_at).toLocaleString()}</p>}
            {current.kind && (
              <ConfirmButton
                label="Remove Claude Code account"
                confirmLabel="Yes, remove it"
                message="Remove it? Your agents' Claude Code cannot start until you set an account again."
                onConfirm={async () => {
                  await api.deleteClaudeAccount();
                  await account.reload();
                }}
              />
            )}
          </div>
        )
      )}
      <form onSubmit={submit} noValidate className="flex flex-col gap-3 border-t border-slate-800 pt-4">
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 font-semibold text-slate-100">{current?.kind ? 'Replace with' : 'Choose how Claude Code signs in'}</legend>
          {CHOICES.map((c) => (
            <label key={c.kind} className="flex min-h-10 items-center gap-3 rounded-lg border border-slate-800 px-3 py-2 text-slate-100">
              <input
                type="radio"
                name="claude-account-kind"
                value={c.kind}
                checked={kind === c.kind}
                onChange={() => {
                  setKind(c.kind);
                  setFieldError(undefined);
                  setError(null);
                }}
              />
              {c.label}
            </label>
          ))}
        </fieldset>
        <p className="text-sm text-slate-400">{choice.hint}</p>
        <ErrorMessage>{error}</ErrorMessage>
        {saved && <Notice>{saved}</Notice>}
        {kind !== 'login' && (
          <Field label={kind === 'api_key' ? 'Anthropic API key' : 'Token from claude setup-token'} error={fieldError}>
            {(p) => (
              <input {...p} name="claude-secret" type="password" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} />
            )}
          </Field>
        )}
        {loginSession && kind === 'login' && (
          <LoginSession
            session={loginSession}
            onDone={async (signedIn) => {
              await run(async () => {
                // Saved first: the server refuses until the CLI holds a sign-in, and the session
                // then stays open for the member to finish.
                if (signedIn) await api.setClaudeAccount({ kind: 'login' });
                await api.endClaudeLogin().catch(() => undefined);
                setLoginSession(null);
                await account.reload();
              });
            }}
          />
        )}
        <Button type="submit" busy={busy} className="self-end" disabled={kind === 'login' && loginSession !== null}>
          {kind === 'login' ? 'Start Claude Code login' : current?.kind ? 'Replace' : 'Save'}
        </Button>
      </form>
    </Card>
  );
}

/** The running login session: the member signs in in its terminal, then says so. */
function LoginSession({ session, onDone }: { session: string; onDone: (signedIn: boolean) => Promise<void> }) {
  return (
    <div className="flex flex-col gap-2 rounded-lg border border-sky-700 p-3 text-sm text-slate-200">
      <p>
        Claude Code is running in your own session <span className="font-mono">{session}</span>. Type <span className="font-mono">/login</span>, press
        Enter and follow its steps; open the link it shows and paste the code back here.
      </p>
      <Suspense fallback={<p className="text-slate-400">Loading the terminal…</p>}>
        <TerminalView target={{ kind: 'login' }} />
      </Suspense>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => void onDone(false)}>
          Cancel
        </Button>
        <Button onClick={() => void onDone(true)}>I have signed in</Button>
      </div>
    </div>
  );
}

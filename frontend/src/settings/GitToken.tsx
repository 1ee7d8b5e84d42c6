// The member's git token: what their projects clone private repositories, push and open pull
// requests with. Write-only, like API keys: only its last four characters are shown again.
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../api';
import { Button, Card, ErrorMessage, Field, Loading } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';

export function GitToken() {
  const current = useResource(() => api.getGitToken(), []);
  const [token, setToken] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    setFieldError(value.length < 8 ? 'That looks too short to be a token.' : undefined);
    if (value.length < 8) return;
    setBusy(true);
    setError(null);
    try {
      await api.setGitToken(value);
      setToken('');
      await current.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const t = current.data;
  return (
    <Card title="Git token">
      <p className="mb-3 text-sm text-slate-400">
        For private repositories and pull requests (a GitHub fine-grained token with Contents and Pull requests access). Stored encrypted; used only
        by git in your own sandbox and for GitHub's API.
      </p>
      <ErrorMessage>{current.error ?? error}</ErrorMessage>
      {current.loading && !t ? (
        <Loading what="the token" />
      ) : t?.set ? (
        <div className="mb-4 flex flex-col gap-2">
          <p className="text-sm text-slate-300">
            Saved: <span className="font-mono">{t.last4 ? `••••${t.last4}` : 'unreadable'}</span>
            {t.updated_at && ` · ${new Date(t.updated_at).toLocaleDateString()}`}
          </p>
          <ConfirmButton
            label="Delete the git token"
            confirmLabel="Yes, delete it"
            message="Delete the git token? Private repositories can no longer be cloned or pushed to, and no pull request is opened."
            onConfirm={async () => {
              await api.deleteGitToken();
              await current.reload();
            }}
          />
        </div>
      ) : null}
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <Field label={t?.set ? 'Replace the token' : 'Token'} error={fieldError}>
          {(p) => <input {...p} name="git_token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}
        </Field>
        <div className="flex justify-end">
          <Button type="submit" busy={busy}>
            Save token
          </Button>
        </div>
      </form>
    </Card>
  );
}

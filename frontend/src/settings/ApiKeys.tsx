import { useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../api';
import { hasErrors, required, type Errors } from '../forms';
import { LLM_PROVIDERS } from '../types';
import { Button, Card, Empty, ErrorMessage, Field, Loading } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';

/** Anthropic's key is for Claude Code itself; the others are for the supervising LLM. */
export const KEY_PROVIDERS = ['anthropic', ...LLM_PROVIDERS] as const;

export function ApiKeys() {
  const keys = useResource(() => api.listKeys(), []);
  const [provider, setProvider] = useState<string>('openai');
  const [label, setLabel] = useState('');
  const [key, setKey] = useState('');
  const [errors, setErrors] = useState<Errors<'label' | 'key'>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = {
      label: required(label, 'a label') ?? (label.trim().length > 64 ? 'At most 64 characters.' : undefined),
      key: required(key, 'the key') ?? (key.trim().length < 8 ? 'That looks too short to be a key.' : undefined),
    };
    setErrors(next);
    if (hasErrors(next)) return;
    setBusy(true);
    setError(null);
    try {
      await api.createKey({ provider, label: label.trim(), key: key.trim() });
      setLabel('');
      setKey('');
      await keys.reload();
    } catch (e) {
      setError(describeError(e));
      if (e instanceof ApiError && (e.field === 'label' || e.field === 'key')) setErrors({ [e.field]: e.message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="API keys">
      <p className="mb-3 text-sm text-slate-400">Stored encrypted on the server. Only the last four characters are ever shown again.</p>
      <ErrorMessage>{keys.error}</ErrorMessage>
      {keys.loading && !keys.data ? (
        <Loading what="keys" />
      ) : keys.data && keys.data.length > 0 ? (
        <ul className="mb-4 flex flex-col gap-2">
          {keys.data.map((k) => (
            <li key={k.id} className="flex flex-col gap-2 rounded-lg border border-slate-800 p-3">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <div className="min-w-0">
                  <p className="break-words font-semibold text-white">{k.label}</p>
                  <p className="text-sm text-slate-400">
                    {k.provider} · <span className="font-mono">{k.last4 ? `••••${k.last4}` : 'unreadable'}</span> · id {k.id} · added{' '}
                    {new Date(k.created_at).toLocaleDateString()}
                  </p>
                  {!k.readable && <p className="text-sm text-rose-300">This key can no longer be decrypted: delete it and add it again.</p>}
                </div>
              </div>
              <ConfirmButton
                label={`Delete key ${k.label}`}
                confirmLabel="Yes, delete the key"
                message={
                  <>
                    Delete the {k.provider} key <strong>{k.label}</strong>{k.last4 && ` (••••${k.last4})`}? Agents that use it stop working until you add another.
                  </>
                }
                onConfirm={async () => {
                  await api.deleteKey(k.id);
                  await keys.reload();
                }}
              />
            </li>
          ))}
        </ul>
      ) : (
        !keys.error && (
          <div className="mb-4">
            <Empty>No keys yet. Add the key of your supervising model's provider.</Empty>
          </div>
        )
      )}
      <form onSubmit={submit} noValidate className="flex flex-col gap-3 border-t border-slate-800 pt-4">
        <h3 className="font-semibold text-slate-100">Add a key</h3>
        <ErrorMessage>{error}</ErrorMessage>
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Provider">
            {(p) => (
              <select {...p} name="provider" value={provider} onChange={(e) => setProvider(e.target.value)}>
                {KEY_PROVIDERS.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Label" error={errors.label}>
            {(p) => <input {...p} name="label" placeholder="My OpenAI key" value={label} onChange={(e) => setLabel(e.target.value)} />}
          </Field>
          <Field label="Key" error={errors.key}>
            {(p) => <input {...p} name="key" type="password" autoComplete="off" spellCheck={false} value={key} onChange={(e) => setKey(e.target.value)} />}
          </Field>
        </div>
        <Button type="submit" busy={busy} className="self-end">
          Add key
        </Button>
      </form>
    </Card>
  );
}

// Validation shared by the forms: the same rules the server enforces, checked before sending so a
// person sees the problem beside the field at once. Each validator returns a message or null.

export type Errors<K extends string> = Partial<Record<K, string>>;

export const USERNAME_RE = /^[a-z0-9_-]{1,32}$/;
export const MIN_PASSWORD = 8;

export function validateUsername(value: string): string | null {
  if (!value) return 'Enter a username.';
  if (value.length > 32) return 'At most 32 characters.';
  if (!USERNAME_RE.test(value)) return 'Use only lowercase letters, digits, "-" and "_".';
  return null;
}

export function validatePassword(value: string): string | null {
  if (!value) return 'Enter a password.';
  if (value.length < MIN_PASSWORD) return `At least ${MIN_PASSWORD} characters.`;
  return null;
}

export function required(value: string, what: string): string | null {
  return value.trim() ? null : `Enter ${what}.`;
}

export function hasErrors<K extends string>(errors: Errors<K>): boolean {
  return Object.values(errors).some(Boolean);
}

import type { EnvValue } from './types';

/** `NAME={key:3}` in an environment line means "the stored API key with id 3". */
const KEY_REF = /^\{key:(\d+)\}$/;

/**
 * Parses "NAME=value" lines (environment variables); returns the map or the first bad line.
 * With `keyRefs`, a value written `{key:ID}` becomes a reference to a stored API key.
 */
export function parseEnvLines(text: string, keyRefs = false): { env: Record<string, EnvValue> } | { error: string } {
  const env: Record<string, EnvValue> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      return { error: `Line ${i + 1}: expected NAME=value.` };
    }
    const value = line.slice(eq + 1);
    const ref = keyRefs ? KEY_REF.exec(value.trim()) : null;
    env[key] = ref ? { api_key_id: Number(ref[1]) } : value;
  }
  return { env };
}

export function envToLines(env: Record<string, EnvValue>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : `{key:${v.api_key_id}}`}`)
    .join('\n');
}

/** One item per non-empty line, trimmed (allow/deny lists, CLI arguments). */
export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, NETWORK_ERROR, SESSION_ENDED, type Session, type SessionStore } from './api';
import type { User } from './types';

const USER: User = { id: 1, username: 'ann', role: 'user', created_at: '2026-01-01T00:00:00Z' };

function memoryStore(initial: Session | null): SessionStore & { value: Session | null } {
  return {
    value: initial,
    load() {
      return this.value ? { ...this.value } : null;
    },
    save(session) {
      this.value = session;
    },
  };
}

const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function session(access: string, refresh: string, expiresInMs = 10 * 60_000): Session {
  return { access_token: access, refresh_token: refresh, expires_at: Date.now() + expiresInMs, user: USER };
}

type Call = { url: string; method: string; auth: string | null; body: unknown };

/** A fake daemon: accepts only the current access token; refresh rotates tokens once per call. */
function fakeServer(options: { access: string; refresh: string; refreshStatus?: number }) {
  let access = options.access;
  let refresh = options.refresh;
  let generation = 0;
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const call = { url: String(url), method: init?.method ?? 'GET', auth: headers.Authorization ?? null, body };
    calls.push(call);
    if (call.url === '/api/auth/refresh') {
      // Let concurrent callers pile up before answering, as a slow network would.
      await new Promise((r) => setTimeout(r, 5));
      if (options.refreshStatus) return json(options.refreshStatus, { error: 'refresh token reused' });
      if (body.refresh_token !== refresh) return json(401, { error: 'refresh token reused' });
      generation += 1;
      access = `access-${generation}`;
      refresh = `refresh-${generation}`;
      return json(200, { access_token: access, refresh_token: refresh, expires_in: 900, user: USER });
    }
    if (call.auth !== `Bearer ${access}`) return json(401, { error: 'token expired' });
    return json(200, { ok: call.url });
  });
  return { fetch, calls, refreshCalls: () => calls.filter((c) => c.url === '/api/auth/refresh') };
}

const noLock = <T,>(run: () => Promise<T>) => run();

describe('ApiClient tokens', () => {
  it('refreshes once on a 401 and retries the request with the new token', async () => {
    const server = fakeServer({ access: 'server-side-new', refresh: 'r0' });
    // The server no longer accepts our access token, but our refresh token is still good.
    const store = memoryStore(session('stale', 'r0'));
    const client = new ApiClient({ fetch: server.fetch as typeof fetch, store, lock: noLock });

    await expect(client.request('GET', '/api/agents')).resolves.toEqual({ ok: '/api/agents' });

    expect(server.refreshCalls()).toHaveLength(1);
    const agentCalls = server.calls.filter((c) => c.url === '/api/agents').map((c) => c.auth);
    expect(agentCalls).toEqual(['Bearer stale', 'Bearer access-1']);
    expect(store.value?.refresh_token).toBe('refresh-1');
  });

  it('serializes concurrent refreshes into one request (a reused refresh token would end the session)', async () => {
    const server = fakeServer({ access: 'server-side-new', refresh: 'r0' });
    const store = memoryStore(session('stale', 'r0'));
    const client = new ApiClient({ fetch: server.fetch as typeof fetch, store, lock: noLock });

    const results = await Promise.all([
      client.request('GET', '/api/agents'),
      client.request('GET', '/api/projects'),
      client.request('GET', '/api/keys'),
    ]);

    expect(results).toEqual([{ ok: '/api/agents' }, { ok: '/api/projects' }, { ok: '/api/keys' }]);
    expect(server.refreshCalls()).toHaveLength(1);
    expect(client.currentSession?.access_token).toBe('access-1');
  });

  it('refreshes before sending when the access token is about to expire', async () => {
    const server = fakeServer({ access: 'a0', refresh: 'r0' });
    const store = memoryStore(session('a0', 'r0', 20_000));
    const client = new ApiClient({ fetch: server.fetch as typeof fetch, store, lock: noLock });

    await client.request('GET', '/api/agents');

    expect(server.calls.map((c) => c.url)).toEqual(['/api/auth/refresh', '/api/agents']);
    expect(server.calls[1].auth).toBe('Bearer access-1');
  });

  it('adopts tokens another tab already rotated instead of refreshing again', async () => {
    const server = fakeServer({ access: 'a0', refresh: 'r0' });
    const store = memoryStore(session('old', 'r-old', 20_000));
    const client = new ApiClient({ fetch: server.fetch as typeof fetch, store, lock: noLock });
    store.value = session('a0', 'r0'); // written by the other tab

    await client.request('GET', '/api/agents');

    expect(server.refreshCalls()).toHaveLength(0);
    expect(server.calls[0].auth).toBe('Bearer a0');
  });

  it('logs out when the refresh is refused, and tells the person to log in again', async () => {
    const server = fakeServer({ access: 'x', refresh: 'r0', refreshStatus: 401 });
    const store = memoryStore(session('stale', 'r0'));
    const client = new ApiClient({ fetch: server.fetch as typeof fetch, store, lock: noLock });
    const seen: Array<Session | null> = [];
    client.onSessionChange((s) => seen.push(s));

    const error = await client.request('GET', '/api/agents').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).message).toBe(SESSION_ENDED);
    expect(store.value).toBeNull();
    expect(seen).toEqual([null]);
    expect(server.refreshCalls()).toHaveLength(1);
    expect(server.calls.filter((c) => c.url === '/api/agents')).toHaveLength(1);
  });

  it('login stores the session and returns the user', async () => {
    const store = memoryStore(null);
    const fetch = vi.fn(async () => json(200, { access_token: 'a', refresh_token: 'r', expires_in: 900, user: USER }));
    const client = new ApiClient({ fetch: fetch as typeof globalThis.fetch, store, lock: noLock });
    await expect(client.login('ann', 'password1')).resolves.toEqual(USER);
    expect(store.value?.access_token).toBe('a');
    expect(store.value!.expires_at).toBeGreaterThan(Date.now() + 800_000);
  });
});

describe('ApiClient errors', () => {
  const client = (response: () => Promise<Response>) =>
    new ApiClient({ fetch: vi.fn(response) as typeof fetch, store: memoryStore(session('a', 'r')), lock: noLock });

  it('uses the server error text and keeps the 422 field', async () => {
    const c = client(async () => json(422, { error: 'Username is taken.', detail: { field: 'username', reason: 'taken' } }));
    const error = (await c.createUser({ username: 'ann', password: 'password1', role: 'user' }).catch((e: unknown) => e)) as ApiError;
    expect(error.message).toBe('Username is taken.');
    expect(error.status).toBe(422);
    expect(error.field).toBe('username');
  });

  it('explains a 409 from a lifecycle action in the server words', async () => {
    const c = client(async () => json(409, { error: 'The project is already running.' }));
    await expect(c.projectAction(3, 'start')).rejects.toThrow('The project is already running.');
  });

  it('falls back to words for the status when the body is not JSON', async () => {
    const c = client(async () => new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(c.listAgents()).rejects.toThrow('The server had a problem (HTTP 502). Try again shortly.');
    const limited = client(async () => new Response('', { status: 429 }));
    await expect(limited.listAgents()).rejects.toThrow('Too many attempts');
  });

  it('turns the server terse words into a sentence, and generic ones into a clear one', async () => {
    const invalid = client(async () => json(422, { error: 'invalid name: must be 1 to 100 characters', detail: { field: 'name', reason: 'must be 1 to 100 characters' } }));
    await expect(invalid.createAgent({} as never)).rejects.toThrow('Invalid name: must be 1 to 100 characters.');
    const internal = client(async () => json(500, { error: 'internal error' }));
    await expect(internal.listAgents()).rejects.toThrow('The server had a problem (HTTP 500). Try again shortly.');
    const missing = client(async () => json(404, { error: 'not found' }));
    await expect(missing.getProject(9)).rejects.toThrow('Not found: it may have been deleted.');
  });

  it('says the server cannot be reached when the network fails', async () => {
    const c = client(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(c.listAgents()).rejects.toThrow(NETWORK_ERROR);
  });

  it('reports wrong credentials on login as such', async () => {
    const c = new ApiClient({ fetch: vi.fn(async () => new Response('', { status: 401 })) as typeof fetch, store: memoryStore(null), lock: noLock });
    await expect(c.login('ann', 'nope-nope')).rejects.toThrow('Wrong username or password.');
  });

  it('returns nothing for an empty 202 or 204, and the body of a 202 that has one', async () => {
    const empty = client(async () => new Response(null, { status: 202 }));
    await expect(empty.sendMessage(1, 'yes')).resolves.toBeUndefined();
    const deleted = client(async () => new Response(null, { status: 204 }));
    await expect(deleted.deleteKey(1)).resolves.toBeUndefined();
    const paused = client(async () => json(202, { id: 1, status: 'paused' }));
    await expect(paused.projectAction(1, 'pause')).resolves.toEqual({ id: 1, status: 'paused' });
  });
});

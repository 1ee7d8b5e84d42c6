// The one typed client for the daemon's API. It owns the tokens: it keeps them in localStorage,
// refreshes them before they expire and once on a 401, and makes sure only one refresh is ever in
// flight (the server rotates refresh tokens and treats a reused one as theft, ending the session).
import { ApiError, errorFromResponse, NETWORK_ERROR, SESSION_ENDED } from './apiError';
import type {
  Agent,
  AgentInput,
  ApiKey,
  CliInstallation,
  Commit,
  CommitDiff,
  ClaudeAccount,
  GitToken,
  ClaudeAccountKind,
  Health,
  Inbox,
  InboxAnswer,
  SmtpInput,
  SmtpView,
  NotifyChannel,
  PushSubscriptionRow,
  LogEntry,
  NewProject,
  Project,
  ProjectAction,
  ProjectUpdate,
  RevertResult,
  Role,
  Schedule,
  ScheduleInput,
  SystemStatus,
  TokenResponse,
  User,
  UserWithCount,
} from './types';

export { ApiError, describeError, NETWORK_ERROR, SESSION_ENDED, sentence } from './apiError';

export interface Session {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds at which the access token expires. */
  expires_at: number;
  user: User;
}

export interface SessionStore {
  load(): Session | null;
  save(session: Session | null): void;
}

export const SESSION_KEY = 'autocode.session';

export const localSessionStore: SessionStore = {
  load() {
    try {
      const raw = globalThis.localStorage?.getItem(SESSION_KEY);
      return raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      return null;
    }
  },
  save(session) {
    if (session) globalThis.localStorage?.setItem(SESSION_KEY, JSON.stringify(session));
    else globalThis.localStorage?.removeItem(SESSION_KEY);
  },
};

/** Refresh this long before expiry, so a request never leaves with a token about to die. */
const EXPIRY_MARGIN_MS = 60_000;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiClientOptions {
  fetch?: typeof fetch;
  store?: SessionStore;
  now?: () => number;
  /** Run the refresh under a lock shared by every tab (Web Locks), when the browser has one. */
  lock?: <T>(run: () => Promise<T>) => Promise<T>;
}

function browserLock<T>(run: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? (locks.request('autocode-token-refresh', run) as Promise<T>) : run();
}

export class ApiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly store: SessionStore;
  private readonly now: () => number;
  private readonly lock: <T>(run: () => Promise<T>) => Promise<T>;
  private session: Session | null;
  private refreshing: Promise<Session> | null = null;
  private readonly listeners = new Set<(session: Session | null) => void>();

  constructor(options: ApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.store = options.store ?? localSessionStore;
    this.now = options.now ?? Date.now;
    this.lock = options.lock ?? browserLock;
    this.session = this.store.load();
  }

  get currentSession(): Session | null {
    return this.session;
  }

  /** Called with the new session (or null on logout) whenever it changes. */
  onSessionChange(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Another tab rotated or cleared the tokens: adopt what it stored. */
  reloadSession(): void {
    const stored = this.store.load();
    if (stored?.access_token !== this.session?.access_token) {
      this.session = stored;
      this.emit();
    }
  }

  private setSession(session: Session | null): void {
    this.session = session;
    this.store.save(session);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.session);
  }

  private toSession(tokens: TokenResponse): Session {
    return {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: this.now() + tokens.expires_in * 1000,
      user: tokens.user,
    };
  }

  private isFresh(session: Session): boolean {
    return session.expires_at - this.now() > EXPIRY_MARGIN_MS;
  }

  private async send(method: Method, path: string, body: unknown, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.fetchImpl(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, NETWORK_ERROR);
    }
  }

  /**
   * Gets a new access token in place of `stale`. Concurrent callers share one request; if someone
   * (this tab or another) already replaced `stale`, that newer session is used as it is.
   */
  refresh(stale: string | null = this.session?.access_token ?? null): Promise<Session> {
    if (this.refreshing) return this.refreshing;
    const replaced = this.replacedSession(stale);
    if (replaced) return Promise.resolve(replaced);
    this.refreshing = this.lock(() => this.refreshLocked(stale)).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private replacedSession(stale: string | null): Session | null {
    const stored = this.store.load() ?? this.session;
    if (stored && stored.access_token !== stale && this.isFresh(stored)) {
      if (stored.access_token !== this.session?.access_token) {
        this.session = stored;
        this.emit();
      }
      return stored;
    }
    return null;
  }

  private async refreshLocked(stale: string | null): Promise<Session> {
    // Another tab may have refreshed while this one waited for the lock.
    const replaced = this.replacedSession(stale);
    if (replaced) return replaced;
    const current = this.store.load() ?? this.session;
    if (!current) {
      this.setSession(null);
      throw new ApiError(401, SESSION_ENDED);
    }
    const res = await this.send('POST', '/api/auth/refresh', { refresh_token: current.refresh_token }, null);
    if (res.status === 401 || res.status === 400 || res.status === 403) {
      this.setSession(null);
      throw new ApiError(401, SESSION_ENDED);
    }
    if (!res.ok) throw await errorFromResponse(res);
    const session = this.toSession((await res.json()) as TokenResponse);
    this.setSession(session);
    return session;
  }

  private async accessToken(): Promise<string> {
    const session = this.session;
    if (!session) throw new ApiError(401, SESSION_ENDED);
    if (this.isFresh(session)) return session.access_token;
    return (await this.refresh(session.access_token)).access_token;
  }

  /** An authenticated request: refreshes first if the token is about to expire, and once on 401. */
  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    let token = await this.accessToken();
    let res = await this.send(method, path, body, token);
    if (res.status === 401) {
      token = (await this.refresh(token)).access_token;
      res = await this.send(method, path, body, token);
      if (res.status === 401) {
        this.setSession(null);
        throw await errorFromResponse(res);
      }
    }
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    // 202 answers (pause, resume, messages) may or may not carry the project.
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // ---- auth ----

  async login(username: string, password: string): Promise<User> {
    const res = await this.send('POST', '/api/auth/login', { username, password }, null);
    if (!res.ok) {
      const error = await errorFromResponse(res);
      if (res.status === 401) {
        throw new ApiError(401, 'Wrong username or password.');
      }
      throw error;
    }
    const session = this.toSession((await res.json()) as TokenResponse);
    this.setSession(session);
    return session.user;
  }

  async logout(): Promise<void> {
    const token = this.session?.access_token ?? null;
    this.setSession(null);
    if (token) {
      // Best effort: the local session is gone either way, and the server expires it on its own.
      await this.send('POST', '/api/auth/logout', undefined, token).catch(() => undefined);
    }
  }

  async me(): Promise<User> {
    const user = await this.request<User>('GET', '/api/auth/me');
    if (this.session && JSON.stringify(this.session.user) !== JSON.stringify(user)) {
      this.setSession({ ...this.session, user });
    }
    return user;
  }

  changePassword(current_password: string, new_password: string): Promise<void> {
    return this.request('POST', '/api/auth/password', { current_password, new_password });
  }

  health(): Promise<Health> {
    return this.send('GET', '/api/health', undefined, null).then(async (res) => {
      if (!res.ok) throw await errorFromResponse(res);
      return (await res.json()) as Health;
    });
  }

  // ---- admin ----

  listUsers = () => this.request<UserWithCount[]>('GET', '/api/users');
  createUser = (body: { username: string; password: string; role: Role }) =>
    this.request<User>('POST', '/api/users', body);
  updateUser = (id: number, body: { password?: string; role?: Role }) =>
    this.request<User>('PUT', `/api/users/${id}`, body);
  deleteUser = (id: number) => this.request<void>('DELETE', `/api/users/${id}`);
  getSystem = () => this.request<SystemStatus>('GET', '/api/admin/system');

  // ---- agents ----

  listAgents = () => this.request<Agent[]>('GET', '/api/agents');
  getAgent = (id: number) => this.request<Agent>('GET', `/api/agents/${id}`);
  createAgent = (body: AgentInput) => this.request<Agent>('POST', '/api/agents', body);
  updateAgent = (id: number, body: Partial<AgentInput>) => this.request<Agent>('PUT', `/api/agents/${id}`, body);
  deleteAgent = (id: number) => this.request<void>('DELETE', `/api/agents/${id}`);
  getRules = (id: number) => this.request<{ rules: string }>('GET', `/api/agents/${id}/rules`);
  putRules = (id: number, rules: string) => this.request<{ rules: string }>('PUT', `/api/agents/${id}/rules`, { rules });
  listCliInstallations = () => this.request<CliInstallation[]>('GET', '/api/cli/installations');

  // ---- projects ----

  listProjects = () => this.request<Project[]>('GET', '/api/projects');
  listAgentProjects = (agentId: number) => this.request<Project[]>('GET', `/api/agents/${agentId}/projects`);
  createProject = (agentId: number, body: NewProject) =>
    this.request<Project>('POST', `/api/agents/${agentId}/projects`, body);
  getProject = (id: number) => this.request<Project>('GET', `/api/projects/${id}`);
  updateProject = (id: number, body: ProjectUpdate) => this.request<Project>('PUT', `/api/projects/${id}`, body);
  deleteProject = (id: number) => this.request<void>('DELETE', `/api/projects/${id}`);
  projectAction = (id: number, action: ProjectAction) =>
    this.request<Project>('POST', `/api/projects/${id}/${action}`);
  sendMessage = (id: number, text: string) => this.request<void>('POST', `/api/projects/${id}/messages`, { text });
  listSchedules = (projectId: number) => this.request<Schedule[]>('GET', `/api/projects/${projectId}/schedules`);
  createSchedule = (projectId: number, body: ScheduleInput) =>
    this.request<Schedule>('POST', `/api/projects/${projectId}/schedules`, body);
  updateSchedule = (projectId: number, id: number, body: ScheduleInput) =>
    this.request<Schedule>('PUT', `/api/projects/${projectId}/schedules/${id}`, body);
  deleteSchedule = (projectId: number, id: number) =>
    this.request<void>('DELETE', `/api/projects/${projectId}/schedules/${id}`);
  listLogs = (id: number, after = 0, limit = 200) =>
    this.request<LogEntry[]>('GET', `/api/projects/${id}/logs?after=${after}&limit=${limit}`);

  listCommits = (id: number) => this.request<Commit[]>('GET', `/api/projects/${id}/commits`);
  commitDiff = (id: number, sha: string) =>
    this.request<CommitDiff>('GET', `/api/projects/${id}/commits/${encodeURIComponent(sha)}/diff`);
  revertStep = (id: number, step: number) => this.request<RevertResult>('POST', `/api/projects/${id}/steps/${step}/revert`);

  // ---- keys ----

  listKeys = () => this.request<ApiKey[]>('GET', '/api/keys');
  createKey = (body: { provider: string; label: string; key: string }) =>
    this.request<ApiKey>('POST', '/api/keys', body);
  deleteKey = (id: number) => this.request<void>('DELETE', `/api/keys/${id}`);

  // ---- the member's own Claude Code account ----

  getClaudeAccount = () => this.request<ClaudeAccount>('GET', '/api/account/claude');
  setClaudeAccount = (body: { kind: ClaudeAccountKind; value?: string }) =>
    this.request<ClaudeAccount>('PUT', '/api/account/claude', body);
  deleteClaudeAccount = () => this.request<void>('DELETE', '/api/account/claude');
  // ---- the member's git token (private remotes, pushes, pull requests) ----

  getGitToken = () => this.request<GitToken>('GET', '/api/account/git');
  setGitToken = (token: string) => this.request<GitToken>('PUT', '/api/account/git', { token });
  deleteGitToken = () => this.request<void>('DELETE', '/api/account/git');

  /** Starts "Log in here": a CLI session of the member's own where they run /login. */
  startClaudeLogin = () => this.request<{ session: string }>('POST', '/api/account/claude/login');
  endClaudeLogin = () => this.request<void>('DELETE', '/api/account/claude/login');
  // ---- inbox and notifications ----

  getInbox = () => this.request<Inbox>('GET', '/api/inbox');
  answerInbox = (id: number, answer: InboxAnswer) => this.request<void>('POST', `/api/inbox/${id}/answer`, answer);
  vapidPublicKey = () => this.request<{ key: string }>('GET', '/api/push/vapid-public-key');
  listPushSubscriptions = () => this.request<PushSubscriptionRow[]>('GET', '/api/push/subscriptions');
  addPushSubscription = (subscription: PushSubscriptionJSON, device: string) =>
    this.request<{ id: number }>('POST', '/api/push/subscriptions', { ...subscription, device });
  deletePushSubscription = (id: number) => this.request<void>('DELETE', `/api/push/subscriptions/${id}`);
  listChannels = () => this.request<NotifyChannel[]>('GET', '/api/notifications/channels');
  setNtfy = (url: string) => this.request<void>('PUT', '/api/notifications/channels/ntfy', { url });
  setTelegram = (bot_token: string, chat_id: string) =>
    this.request<void>('PUT', '/api/notifications/channels/telegram', { bot_token, chat_id });
  getSmtp = () => this.request<SmtpView | null>('GET', '/api/admin/smtp');
  setSmtp = (body: SmtpInput) => this.request<void>('PUT', '/api/admin/smtp', body);
  deleteSmtp = () => this.request<void>('DELETE', '/api/admin/smtp');
  setEmail = (address: string) => this.request<void>('PUT', '/api/notifications/channels/email', { address });
  deleteChannel = (kind: NotifyChannel['kind']) => this.request<void>('DELETE', `/api/notifications/channels/${kind}`);
  sendTestNotification = () => this.request<{ queued: number }>('POST', '/api/push/test');

  // ---- websockets ----

  /** The URL of a project socket with a fresh single-use ticket (tokens never go in URLs). */
  async socketUrl(projectId: number, stream: 'logs' | 'terminal' | 'conversation'): Promise<string> {
    return this.socketUrlFor(`/api/ws/projects/${projectId}/${stream}`);
  }

  /** The member's live inbox. */
  async inboxSocketUrl(): Promise<string> {
    return this.socketUrlFor('/api/ws/inbox');
  }

  /** The terminal of the member's own "Log in here" session. */
  async loginSocketUrl(): Promise<string> {
    return this.socketUrlFor('/api/ws/account/claude/login');
  }

  private async socketUrlFor(path: string): Promise<string> {
    const { ticket } = await this.request<{ ticket: string }>('POST', '/api/ws/ticket');
    const { protocol, host } = globalThis.location;
    const scheme = protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${host}${path}?ticket=${encodeURIComponent(ticket)}`;
  }
}

export const api = new ApiClient();

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === SESSION_KEY || event.key === null) api.reloadSession();
  });
}

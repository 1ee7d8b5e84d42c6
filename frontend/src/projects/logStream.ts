// The live log stream of one project: subscribes from the last id it has seen, reconnects with
// backoff, resumes where it left off and never shows an entry twice (the server may resend the
// seam between backlog and live entries, and a reconnect replays from our last id).
import { exponentialBackoff, type Backoff, type SocketFactory, type SocketLike } from '../reconnect';
import type { LogEntry, LogsServerMessage, PlanStep, ProjectStatus } from '../types';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface LogStreamHandlers {
  onEntries(entries: LogEntry[]): void;
  onStatus?(status: ProjectStatus, currentStep: number | null, question: string | null): void;
  onPlan?(plan: PlanStep[]): void;
  onConnection?(state: ConnectionState, error?: string): void;
}

export interface LogStreamOptions {
  connect: SocketFactory;
  handlers: LogStreamHandlers;
  backoff?: Backoff;
  /** Resume after this id (entries the page already has). */
  after?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class LogStream {
  private lastId: number;
  private socket: SocketLike | null = null;
  private stopped = false;
  private timer: unknown = null;
  private readonly backoff: Backoff;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: LogStreamOptions) {
    this.lastId = options.after ?? 0;
    this.backoff = options.backoff ?? exponentialBackoff();
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** The id of the newest entry delivered so far. */
  get lastSeenId(): number {
    return this.lastId;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'page closed');
    }
    this.options.handlers.onConnection?.('closed');
  }

  /** Reconnect now instead of waiting out the backoff (the network came back, the tab woke up). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.backoff.reset();
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.options.handlers.onConnection?.(this.lastId === 0 && !this.timer ? 'connecting' : 'reconnecting');
    let socket: SocketLike;
    try {
      socket = await this.options.connect();
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : undefined);
      return;
    }
    if (this.stopped) {
      socket.close(1000, 'page closed');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.subscribe();
      this.options.handlers.onConnection?.('live');
    };
    socket.onmessage = (event) => this.handle(event);
    socket.onerror = () => undefined; // onclose follows and does the work
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    };
  }

  private subscribe(): void {
    this.socket?.send(JSON.stringify({ type: 'subscribe', after: this.lastId }));
  }

  private scheduleReconnect(error?: string): void {
    if (this.stopped) return;
    this.options.handlers.onConnection?.('reconnecting', error);
    const delay = this.backoff.next();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private handle(event: MessageEvent): void {
    if (typeof event.data !== 'string') return;
    let message: LogsServerMessage;
    try {
      message = JSON.parse(event.data) as LogsServerMessage;
    } catch {
      return;
    }
    const { handlers } = this.options;
    switch (message.type) {
      case 'log': {
        // A message arrived: the connection really works, so the next drop starts from a short delay.
        this.backoff.reset();
        if (message.entry.id <= this.lastId) return;
        this.lastId = message.entry.id;
        handlers.onEntries([message.entry]);
        return;
      }
      case 'status':
        this.backoff.reset();
        handlers.onStatus?.(message.status, message.current_step, message.question);
        return;
      case 'plan':
        handlers.onPlan?.(message.implementation_plan);
        return;
      case 'resubscribe':
        this.subscribe();
        return;
    }
  }
}

/** Appends new entries to what is shown, keeping ids unique and ascending and the list bounded. */
export function appendEntries(shown: LogEntry[], incoming: LogEntry[], max = 2000): LogEntry[] {
  if (incoming.length === 0) return shown;
  const last = shown.length ? shown[shown.length - 1].id : 0;
  const fresh = incoming.filter((entry) => entry.id > last);
  if (fresh.length === 0) return shown;
  const merged = shown.concat(fresh);
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

// The live log stream of one project: subscribes from the last id it has seen, reconnects with
// backoff, resumes where it left off and never shows an entry twice (the server may resend the
// seam between backlog and live entries, and a reconnect replays from our last id).
import { ReconnectingStream, type Backoff, type ConnectionState, type SocketFactory } from '../reconnect';
import type { LogEntry, LogsServerMessage, PlanStep, ProjectStatus } from '../types';

export type { ConnectionState };

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

export class LogStream extends ReconnectingStream {
  private lastId: number;

  constructor(private readonly options: LogStreamOptions) {
    super(options.connect, options);
    this.lastId = options.after ?? 0;
  }

  /** The id of the newest entry delivered so far. */
  get lastSeenId(): number {
    return this.lastId;
  }

  protected subscription() {
    return { type: 'subscribe', after: this.lastId };
  }

  protected fresh(): boolean {
    return this.lastId === 0;
  }

  protected connection(state: ConnectionState, error?: string): void {
    this.options.handlers.onConnection?.(state, error);
  }

  protected receive(data: string): void {
    let message: LogsServerMessage;
    try {
      message = JSON.parse(data) as LogsServerMessage;
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
        this.resubscribe();
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

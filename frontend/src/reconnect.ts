// Backoff for the live sockets: phones drop connections all the time, so reconnecting is the
// normal path, but a dead server must not be hammered.

export interface Backoff {
  /** Delay before the next attempt, growing with each failure. */
  next(): number;
  /** A connection worked: start again from the shortest delay. */
  reset(): void;
}

export function exponentialBackoff(baseMs = 500, maxMs = 15_000, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
      attempt += 1;
      // Jitter so many clients cut off together do not all come back in the same instant.
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/** The part of the browser's WebSocket the streams use, so tests can hand in a fake. */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = () => Promise<SocketLike>;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamTiming {
  backoff?: Backoff;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * A live stream over one socket at a time: connects, sends its subscription when the socket
 * opens, reconnects with backoff when it drops, until stopped. What to subscribe to and what a
 * message means is the subclass's; resuming without gap or duplicate is its subscription's job.
 */
export abstract class ReconnectingStream {
  private socket: SocketLike | null = null;
  private stopped = false;
  private timer: unknown = null;
  protected readonly backoff: Backoff;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly connectSocket: SocketFactory,
    timing: StreamTiming = {},
  ) {
    this.backoff = timing.backoff ?? exponentialBackoff();
    this.setTimer = timing.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = timing.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** The request sent on every (re)connection; null for a stream the server starts by itself. */
  protected abstract subscription(): unknown;
  /** A text message from the server. */
  protected abstract receive(data: string): void;
  /** A binary message from the server; only the terminal's stream gets any. */
  protected receiveBinary(_data: ArrayBuffer): void {}
  protected abstract connection(state: ConnectionState, error?: string): void;
  /** Nothing was received yet: the first connection says 'connecting', later ones 'reconnecting'. */
  protected abstract fresh(): boolean;

  start(): void {
    this.stopped = false;
    // Phones sleep their sockets: reconnect at once when the network comes back or the
    // page is shown again, instead of waiting out the backoff.
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.wakeIfShown);
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.wakeIfShown);
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'page closed');
    }
    this.connection('closed');
  }

  private readonly wake = () => this.reconnectNow();
  private readonly wakeIfShown = () => {
    if (document.visibilityState === 'visible') this.reconnectNow();
  };

  /** Reconnect now instead of waiting out the backoff (the network came back, the tab woke up). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.backoff.reset();
    void this.open();
  }

  /** Sends the subscription again on the open socket (the server asked for it). */
  protected resubscribe(): void {
    const request = this.subscription();
    if (request !== null) this.socket?.send(JSON.stringify(request));
  }

  /** Sends a message on the open socket; false when there is none, so the caller can say so. */
  protected sendJson(message: unknown): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private async open(): Promise<void> {
    this.connection(this.fresh() && this.timer === null ? 'connecting' : 'reconnecting');
    let socket: SocketLike;
    try {
      socket = await this.connectSocket();
    } catch (error) {
      this.retry(error instanceof Error ? error.message : undefined);
      return;
    }
    if (this.stopped) {
      socket.close(1000, 'page closed');
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.resubscribe();
      this.connection('live');
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.receive(event.data);
      else if (event.data instanceof ArrayBuffer) this.receiveBinary(event.data);
    };
    socket.onerror = () => undefined; // onclose follows and does the work
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry(event.reason || undefined);
    };
  }

  private retry(error?: string): void {
    if (this.stopped) return;
    this.connection('reconnecting', error);
    const delay = this.backoff.next();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.open();
    }, delay);
  }
}

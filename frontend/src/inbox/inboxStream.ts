// The member's inbox, live: the server sends the whole inbox on connect and again whenever one
// of their projects changes status. Reconnects with backoff; each connection starts with the
// full inbox, so nothing missed while offline lingers.
import { exponentialBackoff, type Backoff, type SocketFactory, type SocketLike } from '../reconnect';
import type { Inbox, InboxServerMessage } from '../types';

export interface InboxStreamOptions {
  connect: SocketFactory;
  onInbox(inbox: Inbox): void;
  onConnection?(live: boolean): void;
  backoff?: Backoff;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class InboxStream {
  private socket: SocketLike | null = null;
  private stopped = false;
  private timer: unknown = null;
  private readonly backoff: Backoff;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: InboxStreamOptions) {
    this.backoff = options.backoff ?? exponentialBackoff();
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
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
    let socket: SocketLike;
    try {
      socket = await this.options.connect();
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      socket.close(1000, 'page closed');
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => this.handle(event);
    socket.onerror = () => undefined; // onclose follows and does the work
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.options.onConnection?.(false);
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private handle(event: MessageEvent): void {
    if (typeof event.data !== 'string') return;
    let message: InboxServerMessage;
    try {
      message = JSON.parse(event.data) as InboxServerMessage;
    } catch {
      return;
    }
    if (message.type === 'inbox') {
      this.backoff.reset();
      this.options.onConnection?.(true);
      this.options.onInbox({ count: message.count, items: message.items });
    }
  }
}

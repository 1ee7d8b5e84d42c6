// The terminal stream of one project: a snapshot, then raw pane bytes, plus who is in control.
// Reconnects with backoff; each (re)connect starts with a fresh snapshot, so nothing is replayed.
import { exponentialBackoff, type Backoff, type SocketFactory, type SocketLike } from '../reconnect';
import type { TerminalClientMessage, TerminalKey, TerminalServerMessage } from '../types';

export interface TerminalHandlers {
  onSnapshot(cols: number, rows: number, data: string): void;
  onBytes(bytes: Uint8Array): void;
  onControl(human: boolean, by: string | null): void;
  onConnection(state: 'connecting' | 'live' | 'reconnecting' | 'closed', reason?: string): void;
}

export class TerminalSocket {
  private socket: SocketLike | null = null;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly connectFn: SocketFactory,
    private readonly handlers: TerminalHandlers,
    private readonly backoff: Backoff = exponentialBackoff(),
  ) {}

  start(): void {
    this.stopped = false;
    this.handlers.onConnection('connecting');
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'page closed');
    }
  }

  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.backoff.reset();
    void this.connect();
  }

  /** False when there is no open connection, so the caller can tell the person it was not sent. */
  send(message: TerminalClientMessage): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  input(data: string): boolean {
    return this.send({ type: 'input', data });
  }

  key(key: TerminalKey): boolean {
    return this.send({ type: 'key', key });
  }

  private async connect(): Promise<void> {
    let socket: SocketLike;
    try {
      socket = await this.connectFn();
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
    socket.onopen = () => this.handlers.onConnection('live');
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry(event.reason || undefined);
    };
    socket.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) {
        this.handlers.onBytes(new Uint8Array(event.data));
        return;
      }
      if (typeof event.data !== 'string') return;
      let message: TerminalServerMessage;
      try {
        message = JSON.parse(event.data) as TerminalServerMessage;
      } catch {
        return;
      }
      if (message.type === 'snapshot') {
        this.backoff.reset();
        this.handlers.onSnapshot(message.cols, message.rows, message.data);
      } else if (message.type === 'control') {
        this.handlers.onControl(message.human, message.by ?? null);
      }
    };
  }

  private retry(reason?: string): void {
    if (this.stopped) return;
    this.handlers.onConnection('reconnecting', reason);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.backoff.next());
  }
}

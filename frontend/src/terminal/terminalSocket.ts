// The terminal stream of one project: a snapshot, then raw pane bytes, plus who is in control.
// Reconnects with backoff; each (re)connect starts with a fresh snapshot, so nothing is replayed.
import { ReconnectingStream, type Backoff, type ConnectionState, type SocketFactory } from '../reconnect';
import type { TerminalClientMessage, TerminalKey, TerminalServerMessage } from '../types';

export interface TerminalHandlers {
  onSnapshot(cols: number, rows: number, data: string): void;
  onBytes(bytes: Uint8Array): void;
  onControl(human: boolean, by: string | null): void;
  onConnection(state: ConnectionState, reason?: string): void;
}

export class TerminalSocket extends ReconnectingStream {
  private snapshots = 0;

  constructor(
    connect: SocketFactory,
    private readonly handlers: TerminalHandlers,
    backoff?: Backoff,
  ) {
    super(connect, { backoff });
  }

  /** False when there is no open connection, so the caller can tell the person it was not sent. */
  send(message: TerminalClientMessage): boolean {
    return this.sendJson(message);
  }

  input(data: string): boolean {
    return this.send({ type: 'input', data });
  }

  key(key: TerminalKey): boolean {
    return this.send({ type: 'key', key });
  }

  // The server starts with a snapshot unasked.
  protected subscription(): null {
    return null;
  }

  protected fresh(): boolean {
    return this.snapshots === 0;
  }

  protected connection(...change: [state: ConnectionState, reason?: string]): void {
    this.handlers.onConnection(...change);
  }

  protected receiveBinary(data: ArrayBuffer): void {
    this.handlers.onBytes(new Uint8Array(data));
  }

  protected receive(data: string): void {
    let message: TerminalServerMessage;
    try {
      message = JSON.parse(data) as TerminalServerMessage;
    } catch {
      return;
    }
    if (message.type === 'snapshot') {
      this.snapshots += 1;
      this.backoff.reset();
      this.handlers.onSnapshot(message.cols, message.rows, message.data);
    } else if (message.type === 'control') {
      this.handlers.onControl(message.human, message.by ?? null);
    }
  }
}

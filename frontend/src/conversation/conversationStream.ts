// The live conversation of one project: subscribes from the cursor of the last entries it got,
// reconnects with backoff, and resumes exactly there, so an entry is never shown twice or
// skipped (the server's cursor never passes half a line). `reset` means the cursor's session is
// gone: what is shown is dropped and the stream starts over.
import { exponentialBackoff, type Backoff, type SocketFactory, type SocketLike } from '../reconnect';
import type { ConversationEntry, ConversationServerMessage } from '../types';
import type { ConnectionState } from '../projects/logStream';

export interface ConversationHandlers {
  /** New entries, in order; `replace`: drop what is shown first. */
  onEntries(entries: ConversationEntry[], replace: boolean): void;
  onConnection?(state: ConnectionState): void;
}

export class ConversationStream {
  private cursor = '';
  private loaded = false;
  private replaceNext = false;
  private socket: SocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly connect: SocketFactory,
    private readonly handlers: ConversationHandlers,
    private readonly backoff: Backoff = exponentialBackoff(),
  ) {}

  /** Where the stream resumes from (the last cursor the server sent). */
  get position(): string {
    return this.cursor;
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'page closed');
    }
    this.handlers.onConnection?.('closed');
  }

  /** Reconnect at once (the network came back, the tab woke up). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.backoff.reset();
    void this.open();
  }

  private async open(): Promise<void> {
    this.handlers.onConnection?.(this.loaded ? 'reconnecting' : 'connecting');
    let socket: SocketLike;
    try {
      socket = await this.connect();
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) {
      socket.close(1000, 'page closed');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'subscribe', after: this.cursor }));
      this.handlers.onConnection?.('live');
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => undefined; // onclose follows
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.handlers.onConnection?.('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, this.backoff.next());
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: ConversationServerMessage;
    try {
      message = JSON.parse(data) as ConversationServerMessage;
    } catch {
      return;
    }
    if (message.type === 'reset') {
      this.cursor = '';
      this.replaceNext = true;
    } else if (message.type === 'entries') {
      this.backoff.reset();
      this.loaded = true;
      this.cursor = message.cursor;
      const replace = this.replaceNext;
      this.replaceNext = false;
      if (message.entries.length || replace) this.handlers.onEntries(message.entries, replace);
    }
  }
}

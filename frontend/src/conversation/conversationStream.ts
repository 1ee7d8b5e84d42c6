// The live conversation of one project: subscribes from the cursor of the last entries it got,
// reconnects with backoff, and resumes exactly there, so an entry is never shown twice or
// skipped (the server's cursor never passes half a line). `reset` means the cursor's session is
// gone: what is shown is dropped and the stream starts over.
import { ReconnectingStream, type Backoff, type ConnectionState, type SocketFactory } from '../reconnect';
import type { ConversationEntry, ConversationServerMessage } from '../types';

export interface ConversationHandlers {
  /** New entries, in order; `replace`: drop what is shown first. */
  onEntries(entries: ConversationEntry[], replace: boolean): void;
  onConnection?(state: ConnectionState): void;
}

export class ConversationStream extends ReconnectingStream {
  private cursor = '';
  private loaded = false;
  private replaceNext = false;

  constructor(
    connect: SocketFactory,
    private readonly handlers: ConversationHandlers,
    backoff?: Backoff,
  ) {
    super(connect, { backoff });
  }

  /** Where the stream resumes from (the last cursor the server sent). */
  get position(): string {
    return this.cursor;
  }

  protected subscription() {
    return { type: 'subscribe', after: this.cursor };
  }

  protected fresh(): boolean {
    return !this.loaded;
  }

  protected connection(state: ConnectionState): void {
    this.handlers.onConnection?.(state);
  }

  protected receive(data: string): void {
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

// The member's inbox, live: the server sends the whole inbox on connect and again whenever one
// of their projects changes status. Reconnects with backoff; each connection starts with the
// full inbox, so nothing missed while offline lingers.
import { ReconnectingStream, type Backoff, type ConnectionState, type SocketFactory } from '../reconnect';
import type { Inbox, InboxServerMessage } from '../types';

export interface InboxStreamOptions {
  connect: SocketFactory;
  onInbox(inbox: Inbox): void;
  onConnection?(live: boolean): void;
  backoff?: Backoff;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class InboxStream extends ReconnectingStream {
  private received = false;

  constructor(private readonly options: InboxStreamOptions) {
    super(options.connect, options);
  }

  // The server sends the inbox unasked (and answers any text with an error).
  protected subscription(): null {
    return null;
  }

  protected fresh(): boolean {
    return !this.received;
  }

  // Live only once the inbox itself arrived: an open socket alone shows nothing yet.
  protected connection(state: ConnectionState): void {
    if (state !== 'live' && state !== 'connecting') this.options.onConnection?.(false);
  }

  protected receive(data: string): void {
    let message: InboxServerMessage;
    try {
      message = JSON.parse(data) as InboxServerMessage;
    } catch {
      return;
    }
    if (message.type === 'inbox') {
      this.received = true;
      this.backoff.reset();
      this.options.onConnection?.(true);
      this.options.onInbox({ count: message.count, items: message.items });
    }
  }
}

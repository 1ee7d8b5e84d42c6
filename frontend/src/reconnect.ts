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

/**
 * Reconnects `stream` at once when the network comes back or the tab is shown again (phones
 * sleep their sockets); returns the cleanup.
 */
export function reconnectOnReturn(stream: { reconnectNow(): void }): () => void {
  const wake = () => stream.reconnectNow();
  const visible = () => document.visibilityState === 'visible' && stream.reconnectNow();
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', visible);
  return () => {
    window.removeEventListener('online', wake);
    document.removeEventListener('visibilitychange', visible);
  };
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SocketLike } from '../reconnect';
import type { ConversationEntry } from '../types';
import { ConversationStream } from './conversationStream';

/** A socket the test opens, feeds and drops by hand. */
function fakeSocket() {
  const sent: unknown[] = [];
  const socket: SocketLike = {
    binaryType: 'blob',
    readyState: 0,
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    send: (data) => sent.push(JSON.parse(data)),
    close: () => undefined,
  };
  return {
    socket,
    sent,
    open: () => socket.onopen?.(new Event('open')),
    receive: (message: unknown) => socket.onmessage?.(new MessageEvent('message', { data: JSON.stringify(message) })),
    drop: () => socket.onclose?.(new CloseEvent('close', { code: 1006 })),
  };
}

const prompt = (id: string): ConversationEntry => ({ id, timestamp: null, kind: 'prompt', text: id });

afterEach(() => vi.useRealTimers());

describe('ConversationStream', () => {
  it('resumes from the last cursor after a drop and replaces what is shown after a reset', async () => {
    vi.useFakeTimers();
    const sockets: ReturnType<typeof fakeSocket>[] = [];
    const shown: string[] = [];
    const stream = new ConversationStream(
      async () => {
        const s = fakeSocket();
        sockets.push(s);
        return s.socket;
      },
      {
        onEntries: (entries, replace) => {
          if (replace) shown.length = 0;
          shown.push(...entries.map((e) => e.id));
        },
      },
      { next: () => 100, reset: () => undefined },
    );
    stream.start();
    await vi.waitFor(() => expect(sockets).toHaveLength(1));
    sockets[0].open();
    expect(sockets[0].sent).toEqual([{ type: 'subscribe', after: '' }]);
    sockets[0].receive({ type: 'entries', entries: [prompt('a'), prompt('b')], cursor: 's:10' });
    sockets[0].drop();
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(2);
    sockets[1].open();
    expect(sockets[1].sent).toEqual([{ type: 'subscribe', after: 's:10' }]);
    sockets[1].receive({ type: 'entries', entries: [prompt('c')], cursor: 's:20' });
    expect(shown).toEqual(['a', 'b', 'c']);
    sockets[1].receive({ type: 'reset' });
    sockets[1].receive({ type: 'entries', entries: [prompt('x')], cursor: 't:5' });
    expect(shown).toEqual(['x']);
    expect(stream.position).toBe('t:5');
    stream.stop();
  });
});

import { describe, expect, it } from 'vitest';
import type { Backoff, SocketLike } from '../reconnect';
import type { LogEntry } from '../types';
import { appendEntries, LogStream } from './logStream';

class FakeSocket implements SocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: unknown[] = [];
  closed = false;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  receive(message: unknown) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
  drop() {
    this.readyState = 3;
    this.onclose?.(new CloseEvent('close', { code: 1006 }));
  }
}

const entry = (id: number, message = `line ${id}`): LogEntry => ({
  id,
  project_id: 7,
  level: 'info',
  message,
  timestamp: '2026-01-01T00:00:00Z',
});

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const shown: LogEntry[] = [];
  const states: string[] = [];
  const delays = [100, 200, 400];
  let attempt = 0;
  const backoff: Backoff = {
    next: () => delays[Math.min(attempt++, delays.length - 1)],
    reset: () => {
      attempt = 0;
    },
  };
  const stream = new LogStream({
    connect: async () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    handlers: {
      onEntries: (entries) => shown.push(...entries),
      onConnection: (state) => states.push(state),
    },
    backoff,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { stream, sockets, timers, shown, states, flush };
}

describe('LogStream', () => {
  it('subscribes from 0, shows entries once, and resumes from the last id after a drop', async () => {
    const h = harness();
    h.stream.start();
    await h.flush();
    h.sockets[0].open();
    expect(h.sockets[0].sent).toEqual([{ type: 'subscribe', after: 0 }]);

    h.sockets[0].receive({ type: 'log', entry: entry(1) });
    h.sockets[0].receive({ type: 'log', entry: entry(2) });
    h.sockets[0].receive({ type: 'log', entry: entry(2) }); // the seam between backlog and live
    h.sockets[0].drop();

    expect(h.timers).toHaveLength(1);
    h.timers[0].fn();
    await h.flush();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', after: 2 }]);

    // The server replays from after=2; an older entry it sends anyway is not shown again.
    h.sockets[1].receive({ type: 'log', entry: entry(2) });
    h.sockets[1].receive({ type: 'log', entry: entry(3) });
    expect(h.shown.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(h.stream.lastSeenId).toBe(3);
    expect(h.states).toContain('reconnecting');
    expect(h.states.at(-1)).toBe('live');
  });

  it('answers "resubscribe" with a subscribe from its last id', async () => {
    const h = harness();
    h.stream.start();
    await h.flush();
    h.sockets[0].open();
    h.sockets[0].receive({ type: 'log', entry: entry(41) });
    h.sockets[0].receive({ type: 'resubscribe' });
    expect(h.sockets[0].sent).toEqual([
      { type: 'subscribe', after: 0 },
      { type: 'subscribe', after: 41 },
    ]);
  });

  it('backs off longer after each failed connect and resets after a message arrives', async () => {
    const h = harness();
    h.stream.start();
    await h.flush();
    h.sockets[0].drop();
    h.timers[0].fn();
    await h.flush();
    h.sockets[1].drop();
    expect(h.timers.map((t) => t.ms)).toEqual([100, 200]);

    h.timers[1].fn();
    await h.flush();
    h.sockets[2].open();
    h.sockets[2].receive({ type: 'log', entry: entry(1) });
    h.sockets[2].drop();
    expect(h.timers.map((t) => t.ms)).toEqual([100, 200, 100]);
  });

  it('passes status and plan messages on, and stops for good', async () => {
    const statuses: unknown[] = [];
    const plans: unknown[] = [];
    const sockets: FakeSocket[] = [];
    const stream = new LogStream({
      connect: async () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      handlers: {
        onEntries: () => undefined,
        onStatus: (...args) => statuses.push(args),
        onPlan: (plan) => plans.push(plan),
      },
      setTimer: () => {
        throw new Error('must not reconnect after stop');
      },
    });
    stream.start();
    await new Promise((r) => setTimeout(r, 0));
    sockets[0].open();
    sockets[0].receive({ type: 'status', status: 'needs_help', current_step: 1, question: 'Which database?' });
    sockets[0].receive({ type: 'plan', implementation_plan: [{ title: 'a', details: '', status: 'done' }] });
    expect(statuses).toEqual([['needs_help', 1, 'Which database?']]);
    expect(plans).toHaveLength(1);
    stream.stop();
    expect(sockets[0].closed).toBe(true);
    sockets[0].drop(); // a late close event after stop must not schedule a reconnect
  });
});

describe('appendEntries', () => {
  it('keeps ids unique and ascending and the list bounded', () => {
    const shown = [entry(1), entry(2)];
    expect(appendEntries(shown, [entry(2), entry(3)]).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(appendEntries(shown, [entry(1)])).toBe(shown);
    const many = Array.from({ length: 10 }, (_, i) => entry(i + 3));
    expect(appendEntries(shown, many, 5).map((e) => e.id)).toEqual([8, 9, 10, 11, 12]);
  });
});

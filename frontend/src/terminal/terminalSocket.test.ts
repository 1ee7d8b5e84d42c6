import { describe, expect, it, vi } from 'vitest';
import type { SocketLike } from '../reconnect';
import { TerminalSocket, type TerminalHandlers } from './terminalSocket';

class FakeSocket implements SocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
}

function setup() {
  const socket = new FakeSocket();
  const handlers: TerminalHandlers = {
    onSnapshot: vi.fn(),
    onBytes: vi.fn(),
    onControl: vi.fn(),
    onConnection: vi.fn(),
  };
  const terminal = new TerminalSocket(async () => socket, handlers);
  return { socket, handlers, terminal };
}

describe('TerminalSocket', () => {
  it('writes the snapshot, then raw bytes in order, and reports who is in control', async () => {
    const { socket, handlers, terminal } = setup();
    terminal.start();
    await new Promise((r) => setTimeout(r, 0));
    expect(socket.binaryType).toBe('arraybuffer');
    socket.readyState = 1;
    socket.onopen?.(new Event('open'));

    socket.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ type: 'snapshot', cols: 100, rows: 30, data: '\x1b[1mhi' }) }));
    socket.onmessage?.(new MessageEvent('message', { data: new Uint8Array([104, 105]).buffer }));
    socket.onmessage?.(new MessageEvent('message', { data: new Uint8Array([10]).buffer }));
    socket.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ type: 'control', human: true, by: 'ann' }) }));

    expect(handlers.onSnapshot).toHaveBeenCalledWith(100, 30, '\x1b[1mhi');
    expect(vi.mocked(handlers.onBytes).mock.calls.map(([bytes]) => [...bytes])).toEqual([[104, 105], [10]]);
    expect(handlers.onControl).toHaveBeenCalledWith(true, 'ann');
    expect(handlers.onConnection).toHaveBeenLastCalledWith('live');
    terminal.stop();
  });

  it('sends take-over, input and keys only while connected, and says when it could not', async () => {
    const { socket, terminal } = setup();
    terminal.start();
    await new Promise((r) => setTimeout(r, 0));
    expect(terminal.send({ type: 'take_over' })).toBe(false);
    socket.readyState = 1;
    expect(terminal.send({ type: 'take_over' })).toBe(true);
    expect(terminal.input('ls\r')).toBe(true);
    expect(terminal.key('C-c')).toBe(true);
    expect(socket.sent).toEqual([{ type: 'take_over' }, { type: 'input', data: 'ls\r' }, { type: 'key', key: 'C-c' }]);
    terminal.stop();
    expect(terminal.input('x')).toBe(false);
  });
});

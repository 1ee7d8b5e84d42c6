import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { TerminalHandlers } from './terminalSocket';

// xterm.js needs a real browser; a stand-in keeps the lines written to it, unwrapped.
vi.mock('@xterm/xterm', () => ({
  Terminal: class {
    options: Record<string, unknown> = {};
    private lines: string[] = [];
    buffer = {
      active: {
        get length() {
          return 0;
        },
        getLine: (i: number) => ({ translateToString: () => this.lines[i] ?? '', isWrapped: false }),
      },
    };
    constructor() {
      const lines = this.lines;
      Object.defineProperty(this.buffer.active, 'length', { get: () => lines.length });
    }
    loadAddon() {}
    open() {}
    reset() {
      this.lines.length = 0;
    }
    resize() {}
    focus() {}
    dispose() {}
    onData() {
      return { dispose() {} };
    }
    write(data: string, done?: () => void) {
      this.lines.push(...data.split('\r\n'));
      done?.();
    }
  },
}));
vi.mock('@xterm/addon-fit', () => ({ FitAddon: class { proposeDimensions() { return undefined; } } }));
vi.mock('@xterm/xterm/css/xterm.css', () => ({}));
vi.mock('../auth/AuthContext', () => ({ useAuth: () => ({ user: { username: 'noah' } }) }));

const sent: unknown[] = [];
let handlers: TerminalHandlers | null = null;
vi.mock('./terminalSocket', () => ({
  TerminalSocket: class {
    constructor(_connect: unknown, h: TerminalHandlers) {
      handlers = h;
    }
    start() {
      handlers?.onConnection('live');
      handlers?.onControl(true, 'noah');
    }
    stop() {}
    reconnectNow() {}
    send(m: unknown) {
      sent.push(m);
      return true;
    }
    input(data: string) {
      return this.send({ type: 'input', data });
    }
    key(key: string) {
      return this.send({ type: 'key', key });
    }
  },
}));

globalThis.ResizeObserver ??= class {
  observe() {}
  disconnect() {}
  unobserve() {}
} as unknown as typeof ResizeObserver;

describe('TerminalView (login session)', () => {
  it('offers the sign-in link as a button and sends the pasted code with Enter', async () => {
    const { TerminalView } = await import('./TerminalView');
    render(<TerminalView target={{ kind: 'login' }} />);
    expect(screen.getByText('Your own Claude Code session: type here.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Take over' })).not.toBeInTheDocument();
    handlers?.onSnapshot(120, 40, " Browser didn't open? Use the url below to sign in:\r\nhttps://claude.ai/oauth/authorize?code=true&state=s1\r\n Paste code here if prompted >");
    const link = await screen.findByRole('link', { name: 'Open the sign-in page' });
    expect(link).toHaveAttribute('href', 'https://claude.ai/oauth/authorize?code=true&state=s1');
    await userEvent.type(screen.getByLabelText('Code from the sign-in page'), ' abc123#state ');
    await userEvent.click(screen.getByRole('button', { name: 'Send code' }));
    expect(sent).toEqual([
      { type: 'input', data: 'abc123#state' },
      { type: 'key', key: 'Enter' },
    ]);
    expect(screen.getByLabelText('Code from the sign-in page')).toHaveValue('');
    // The first test pays for importing xterm's stand-in and typing 14 characters on a loaded machine.
  }, 15_000);
});

describe('TerminalView (take-over key bar)', () => {
  it("sends the arrows and a menu's option numbers to the pane", async () => {
    const { TerminalView } = await import('./TerminalView');
    sent.length = 0;
    render(<TerminalView target={{ kind: 'project', id: 7 }} />);
    expect(await screen.findByText(/You are in control/)).toBeInTheDocument();
    for (const name of ['Escape', 'Left arrow', 'Right arrow', 'Option 2', 'Control C']) {
      await userEvent.click(screen.getByRole('button', { name }));
    }
    expect(sent).toEqual([
      { type: 'key', key: 'Escape' },
      { type: 'key', key: 'Left' },
      { type: 'key', key: 'Right' },
      { type: 'key', key: '2' },
      { type: 'key', key: 'C-c' },
    ]);
  });
});

describe('TerminalView (typing from a phone)', () => {
  it('sends a composed word once, and not on the Enter that ends the composition', async () => {
    const { TerminalView } = await import('./TerminalView');
    sent.length = 0;
    render(<TerminalView target={{ kind: 'project', id: 7 }} />);
    const line = await screen.findByLabelText('Type into the terminal');
    // Android's keyboard: the word is composed, then committed; its Enter confirms the word.
    fireEvent.compositionStart(line);
    fireEvent.change(line, { target: { value: 'héllo' } });
    fireEvent.keyDown(line, { key: 'Enter', isComposing: true });
    fireEvent.compositionEnd(line, { data: 'héllo' });
    expect(sent).toEqual([]);
    fireEvent.keyDown(line, { key: 'Enter' });
    expect(sent).toEqual([
      { type: 'input', data: 'héllo' },
      { type: 'key', key: 'Enter' },
    ]);
    expect(line).toHaveValue('');
    await userEvent.type(line, 'ls');
    await userEvent.click(screen.getByRole('button', { name: 'Type' }));
    expect(sent.slice(2)).toEqual([{ type: 'input', data: 'ls' }]);
  });
});

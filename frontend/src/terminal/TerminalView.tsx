// The live Claude Code pane in xterm.js. A project's pane is read-only until the owner presses
// "Take over"; then typing and the key bar go to the pane, and the controller waits until
// "Release". The member's own sign-in session ("Log in here") is always theirs to type into.
import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api';
import { useAuth } from '../auth/AuthContext';
import type { SocketLike } from '../reconnect';
import type { TerminalKey } from '../types';
import { Button, ErrorMessage } from '../ui/controls';
import { signInLink } from './signInLink';
import { TerminalSocket } from './terminalSocket';
import { TypeLine } from './TypeLine';

const KEYS: Array<{ key: TerminalKey; label: string; name: string }> = [
  { key: 'Escape', label: 'Esc', name: 'Escape' },
  { key: 'Enter', label: '⏎', name: 'Enter' },
  { key: 'C-c', label: '^C', name: 'Control C' },
  { key: 'Up', label: '↑', name: 'Up arrow' },
  { key: 'Down', label: '↓', name: 'Down arrow' },
  { key: 'Left', label: '←', name: 'Left arrow' },
  { key: 'Right', label: '→', name: 'Right arrow' },
  { key: 'Tab', label: 'Tab', name: 'Tab' },
  // Claude Code's menus take the option's number.
  { key: '1', label: '1', name: 'Option 1' },
  { key: '2', label: '2', name: 'Option 2' },
  { key: '3', label: '3', name: 'Option 3' },
];

const MAX_FONT = 14;
const MIN_FONT = 5;
/** "Zoom" on a phone: readable text, and the terminal box (not the page) scrolls sideways. */
const ZOOM_FONT = 11;

export type TerminalTarget = { kind: 'project'; id: number } | { kind: 'login' };

export function TerminalView({ target }: { target: TerminalTarget }) {
  const targetKey = target.kind === 'project' ? `project-${target.id}` : 'login';
  const isLogin = target.kind === 'login';
  const { user } = useAuth();
  const host = useRef<HTMLDivElement>(null);
  const socketRef = useRef<TerminalSocket | null>(null);
  const [connection, setConnection] = useState<'connecting' | 'live' | 'reconnecting' | 'closed'>('connecting');
  const [control, setControl] = useState<{ human: boolean; by: string | null }>({ human: false, by: null });
  const [error, setError] = useState<string | null>(null);
  const mine = control.human && control.by === user?.username;
  const mineRef = useRef(mine);
  mineRef.current = mine;
  const termRef = useRef<Terminal | null>(null);
  const [zoom, setZoom] = useState(false);
  const [link, setLink] = useState<string | null>(null);
  const [code, setCode] = useState('');
  // Whether fitting the pane's width made the text smaller than the zoomed size (phones).
  const [cramped, setCramped] = useState(false);
  const zoomRef = useRef(zoom);
  zoomRef.current = zoom;
  const refit = useRef<() => void>(() => undefined);
  useEffect(() => refit.current(), [zoom]);

  // Keystrokes reach xterm's input only while this person holds control.
  useEffect(() => {
    const term = termRef.current;
    if (!term) return;
    term.options.disableStdin = !mine;
    if (mine) term.focus();
  }, [mine]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      disableStdin: true,
      fontSize: MAX_FONT,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
      scrollback: 5000,
      theme: { background: '#020617', foreground: '#e2e8f0', cursor: '#38bdf8' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    termRef.current = term;
    let paneCols = 80;
    // Login sessions only: look for the sign-in link after each write.
    const findLink = () => {
      if (!isLogin) return;
      const buffer = term.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++) {
        const line = buffer.getLine(i);
        if (line) lines.push({ text: line.translateToString(true), wrapped: line.isWrapped });
      }
      setLink(signInLink(lines));
    };

    // The pane's size is the server's; scale the font so all of its columns fit the width.
    const fitFont = () => {
      if (zoomRef.current) {
        term.options.fontSize = ZOOM_FONT;
        return;
      }
      const proposed = fit.proposeDimensions();
      if (!proposed || !proposed.cols) return;
      const current = term.options.fontSize ?? MAX_FONT;
      const wanted = Math.max(MIN_FONT, Math.min(MAX_FONT, Math.floor(((current * proposed.cols) / paneCols) * 10) / 10));
      if (Math.abs(wanted - current) >= 0.1) term.options.fontSize = wanted;
      setCramped(wanted < ZOOM_FONT);
    };
    refit.current = fitFont;
    const observer = new ResizeObserver(() => fitFont());
    observer.observe(el);

    const socket = new TerminalSocket(
      async () =>
        new WebSocket(target.kind === 'project' ? await api.socketUrl(target.id, 'terminal') : await api.loginSocketUrl()) as SocketLike,
      {
        onSnapshot: (cols, rows, data) => {
          paneCols = cols;
          term.reset();
          term.resize(cols, rows);
          term.write(data, findLink);
          fitFont();
        },
        onBytes: (bytes) => term.write(bytes, findLink),
        onControl: (human, by) => setControl({ human, by }),
        onConnection: (state, reason) => {
          setConnection(state);
          if (state === 'reconnecting' && reason) setError(reason);
          if (state === 'live') setError(null);
        },
      },
    );
    socketRef.current = socket;
    const typed = term.onData((data) => {
      if (mineRef.current && !socket.input(data)) setError('Not connected: that input was not sent.');
    });
    socket.start();
    return () => {
      typed.dispose();
      socket.stop();
      socketRef.current = null;
      observer.disconnect();
      termRef.current = null;
      term.dispose();
    };
    // `target` is fully described by `targetKey`.
  }, [targetKey]);

  const send = (ok: boolean | undefined) => {
    if (!ok) setError('Not connected to the terminal. Wait for it to reconnect.');
  };

  const sendCode = () => {
    const socket = socketRef.current;
    if (!code.trim()) return;
    const sent = !!socket && socket.input(code.trim()) && socket.key('Enter');
    send(sent);
    if (sent) setCode('');
  };

  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm" role="status">
          {connection !== 'live' ? (
            <span className="text-amber-300">{connection === 'reconnecting' ? 'Reconnecting to the terminal…' : 'Connecting to the terminal…'}</span>
          ) : isLogin ? (
            <span className="text-slate-300">Your own Claude Code session: type here.</span>
          ) : mine ? (
            <span className="font-semibold text-amber-300">You are in control. The agent waits until you release.</span>
          ) : control.human ? (
            <span className="text-amber-300">{control.by ?? 'Someone'} is in control.</span>
          ) : (
            <span className="text-slate-400">Watching (read-only). The agent is in control.</span>
          )}
        </p>
        <div className="flex flex-wrap gap-2">
          {(cramped || zoom) && (
            <Button variant="ghost" aria-pressed={zoom} onClick={() => setZoom(!zoom)}>
              {zoom ? 'Fit width' : 'Zoom'}
            </Button>
          )}
          {isLogin ? null : mine ? (
            <Button variant="secondary" onClick={() => send(socketRef.current?.send({ type: 'release' }))}>
              Release
            </Button>
          ) : (
            <Button disabled={connection !== 'live'} onClick={() => send(socketRef.current?.send({ type: 'take_over' }))}>
              Take over
            </Button>
          )}
        </div>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {link && (
        <>
          <a href={link} target="_blank" rel="noreferrer noopener" className="self-start rounded-lg bg-sky-500 px-3 py-2 text-sm font-semibold text-slate-950">
            Open the sign-in page
          </a>
          {/* The page shows a code to paste back; typing it into a tiny terminal on a phone is hard. */}
          {/* Not a <form>: this view sits inside the account form on the settings page. */}
          <div className="flex flex-wrap items-end gap-2">
            <label className="flex grow flex-col gap-1 text-sm">
              Code from the sign-in page
              <input
                value={code}
                onChange={(e) => setCode(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    sendCode();
                  }
                }}
                autoComplete="off"
                spellCheck={false}
                className="rounded-lg border border-slate-700 bg-slate-900 px-3 py-2 font-mono"
              />
            </label>
            <Button type="button" disabled={!code.trim()} onClick={sendCode}>
              Send code
            </Button>
          </div>
        </>
      )}
      <div
        ref={host}
        aria-label="Claude Code terminal"
        className={`w-full overflow-x-auto rounded-lg border bg-slate-950 p-1 ${mine ? 'border-amber-400' : 'border-slate-800'}`}
      />
      {mine && (
        <TypeLine
          onText={(text) => !!socketRef.current?.input(text) || (send(false), false)}
          onEnter={() => !!socketRef.current?.key('Enter') || (send(false), false)}
        />
      )}
      {mine && (
        <div className="flex flex-wrap gap-2" role="group" aria-label="Keys">
          {KEYS.map(({ key, label, name }) => (
            <Button key={key} variant="secondary" aria-label={name} className="min-w-12 font-mono" onClick={() => send(socketRef.current?.key(key))}>
              {label}
            </Button>
          ))}
        </div>
      )}
    </div>
  );
}

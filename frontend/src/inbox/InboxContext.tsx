// One live inbox for the whole signed-in app: the sidebar count, the app icon's badge and the
// Inbox page all read it, so an item answered on another device leaves all three at once.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, describeError } from '../api';
import type { SocketFactory, SocketLike } from '../reconnect';
import type { Inbox } from '../types';
import { InboxStream } from './inboxStream';

export interface LiveInbox {
  inbox: Inbox | null;
  error: string | null;
  /** Whether the live stream is connected (else the inbox may be stale). */
  live: boolean;
  /** Reads the inbox again over HTTP (after an answer, before the stream says so). */
  reload(): Promise<void>;
}

const InboxContext = createContext<LiveInbox | null>(null);

const defaultConnect: SocketFactory = async () => new WebSocket(await api.inboxSocketUrl()) as SocketLike;

/** The number on the app icon, where the Badging API exists (installed PWAs). */
function setBadge(count: number) {
  const nav = navigator as Navigator & { setAppBadge?: (n: number) => Promise<void>; clearAppBadge?: () => Promise<void> };
  if (count > 0) void nav.setAppBadge?.(count).catch(() => undefined);
  else void nav.clearAppBadge?.().catch(() => undefined);
}

export function InboxProvider({ children, connect = defaultConnect }: { children: ReactNode; connect?: SocketFactory }) {
  const [inbox, setInbox] = useState<Inbox | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);

  const reload = useCallback(async () => {
    try {
      setInbox(await api.getInbox());
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  useEffect(() => {
    const stream = new InboxStream({
      connect,
      onInbox: (next) => {
        setInbox(next);
        setError(null);
      },
      onConnection: setLive,
    });
    stream.start();
    return () => stream.stop();
  }, [connect]);

  useEffect(() => {
    if (inbox) setBadge(inbox.count);
  }, [inbox]);

  const value = useMemo(() => ({ inbox, error, live, reload }), [inbox, error, live, reload]);
  return <InboxContext.Provider value={value}>{children}</InboxContext.Provider>;
}

export function useInbox(): LiveInbox {
  const value = useContext(InboxContext);
  if (!value) throw new Error('useInbox outside InboxProvider');
  return value;
}

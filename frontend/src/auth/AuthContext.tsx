// Who is logged in, for the whole app. The API client owns the tokens; this mirrors its session
// into React state so pages re-render on login, logout, refresh failure and other tabs' changes.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, type Session } from '../api';
import type { User } from '../types';

interface AuthState {
  user: User | null;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(api.currentSession);

  useEffect(() => api.onSessionChange(setSession), []);

  // Check the stored session once on start: it may have been revoked while the app was closed.
  useEffect(() => {
    if (api.currentSession) api.me().catch(() => undefined);
  }, []);

  // Refresh a little before expiry even when idle, so live sockets can reconnect at once.
  useEffect(() => {
    if (!session) return;
    const wait = Math.max(5_000, session.expires_at - Date.now() - 90_000);
    const timer = setTimeout(() => {
      api.refresh(session.access_token).catch(() => undefined);
    }, wait);
    return () => clearTimeout(timer);
  }, [session]);

  const value: AuthState = {
    user: session?.user ?? null,
    login: async (username, password) => {
      await api.login(username, password);
    },
    logout: () => api.logout(),
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

// Connects a project page to its live log stream: new log lines, status and plan changes.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api';
import type { SocketLike } from '../reconnect';
import type { LogEntry, PlanStep, ProjectStatus } from '../types';
import { appendEntries, LogStream, type ConnectionState } from './logStream';

export interface LiveCallbacks {
  onStatus(status: ProjectStatus, currentStep: number | null, question: string | null): void;
  onPlan(plan: PlanStep[]): void;
}

export function useLiveProject(projectId: number, callbacks: LiveCallbacks) {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const latest = useRef(callbacks);
  latest.current = callbacks;

  useEffect(() => {
    setEntries([]);
    const stream = new LogStream({
      connect: async () => new WebSocket(await api.socketUrl(projectId, 'logs')) as SocketLike,
      handlers: {
        onEntries: (incoming) => setEntries((shown) => appendEntries(shown, incoming)),
        onStatus: (...args) => latest.current.onStatus(...args),
        onPlan: (plan) => latest.current.onPlan(plan),
        onConnection: (state) => setConnection(state),
      },
    });
    stream.start();
    return () => stream.stop();
  }, [projectId]);

  return { entries, connection };
}

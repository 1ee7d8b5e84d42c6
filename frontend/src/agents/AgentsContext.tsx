// The signed-in user's agents, loaded once and shared: the sidebar lists them and the pages that
// create, edit or delete one tell it to reload.
import { createContext, useContext, type ReactNode } from 'react';
import { api } from '../api';
import type { Agent } from '../types';
import { useResource, type Resource } from '../ui/useResource';

const AgentsContext = createContext<Resource<Agent[]> | null>(null);

export function AgentsProvider({ children }: { children: ReactNode }) {
  const agents = useResource(() => api.listAgents(), []);
  return <AgentsContext.Provider value={agents}>{children}</AgentsContext.Provider>;
}

export function useAgents(): Resource<Agent[]> {
  const agents = useContext(AgentsContext);
  if (!agents) throw new Error('useAgents outside AgentsProvider');
  return agents;
}

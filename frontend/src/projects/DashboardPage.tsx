// Every agent with its projects; what needs the person's attention is at the top.
import { useEffect } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { useAgents } from '../agents/AgentsContext';
import type { Agent, Project } from '../types';
import { Card, Empty, ErrorMessage, Loading, PageHeader } from '../ui/controls';
import { useResource } from '../ui/useResource';
import { ProjectCard } from './ProjectCard';
import { sortByAttention } from './status';

const POLL_MS = 10_000;

export function DashboardPage() {
  const agents = useAgents();
  const projects = useResource(() => api.listProjects(), []);
  const { reload } = projects;

  // A cheap poll keeps badges current; the project page has the live stream.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [reload]);

  if ((agents.loading && !agents.data) || (projects.loading && !projects.data)) return <Loading what="your projects" />;
  const error = agents.error ?? projects.error;
  const all = sortByAttention(projects.data ?? []);
  const needHelp = all.filter((p) => p.status === 'needs_help');
  const byAgent = new Map<number, Project[]>();
  for (const p of all) byAgent.set(p.agent_id, [...(byAgent.get(p.agent_id) ?? []), p]);
  const rank = (agent: Agent) => {
    const first = byAgent.get(agent.id)?.[0];
    return first ? all.indexOf(first) : Number.MAX_SAFE_INTEGER;
  };
  const agentList = [...(agents.data ?? [])].sort((a, b) => rank(a) - rank(b));

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Dashboard" subtitle="Your agents and their projects." />
      <ErrorMessage>{error}</ErrorMessage>
      {needHelp.length > 0 && (
        <Card title={`Needs your help (${needHelp.length})`}>
          <ul className="flex flex-col gap-2">
            {needHelp.map((p) => (
              <ProjectCard key={p.id} project={p} />
            ))}
          </ul>
        </Card>
      )}
      {agentList.length === 0 && !error && (
        <Empty>
          No agents yet.{' '}
          <Link to="/agents/new" className="font-semibold text-sky-300 underline">
            Create your first agent
          </Link>{' '}
          to start a project.
        </Empty>
      )}
      {agentList.map((agent) => {
        const list = byAgent.get(agent.id) ?? [];
        return (
          <Card
            key={agent.id}
            title={
              <Link to={`/agents/${agent.id}`} className="hover:underline">
                {agent.name}
              </Link>
            }
            actions={
              <Link to={`/agents/${agent.id}/projects/new`} className="rounded-lg px-2 py-1 text-sm font-semibold text-sky-300 hover:bg-slate-800">
                + New Project
              </Link>
            }
          >
            <p className="-mt-2 mb-3 truncate text-xs text-slate-400">{agent.model}</p>
            {list.length === 0 ? (
              <Empty>No projects yet.</Empty>
            ) : (
              <ul className="flex flex-col gap-2">
                {list.map((p) => (
                  <ProjectCard key={p.id} project={p} />
                ))}
              </ul>
            )}
          </Card>
        );
      })}
    </div>
  );
}

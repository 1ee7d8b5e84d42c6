// One agent: its configuration, its RULES.md, and its projects.
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api';
import { ProjectCard } from '../projects/ProjectCard';
import { sortByAttention } from '../projects/status';
import { Card, Empty, ErrorMessage, Loading, PageHeader } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';
import { useAgents } from './AgentsContext';
import { RulesEditor } from './RulesEditor';

/** Claude Code's credential variables: an agent naming one keeps it instead of its owner's account. */
const CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'];

function signsInOwnAccount(env: Record<string, unknown>): boolean {
  return !Object.keys(env ?? {}).some((name) => CREDENTIAL_VARS.includes(name));
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex min-w-0 flex-col sm:flex-row sm:gap-4">
      <dt className="w-44 shrink-0 text-sm text-slate-400">{label}</dt>
      <dd className="min-w-0 break-words text-sm text-slate-100">{children}</dd>
    </div>
  );
}

export function AgentPage() {
  const agentId = Number(useParams().id);
  const navigate = useNavigate();
  const agents = useAgents();
  const agent = useResource(() => api.getAgent(agentId), [agentId]);
  const projects = useResource(() => api.listAgentProjects(agentId), [agentId]);

  if (agent.loading && !agent.data) return <Loading what="the agent" />;
  if (!agent.data) return <ErrorMessage>{agent.error ?? 'Agent not found.'}</ErrorMessage>;
  const a = agent.data;
  const linkButton = 'inline-flex min-h-10 items-center rounded-lg px-4 py-2 text-sm font-semibold';

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={a.name}
        subtitle={`${a.llm_provider} · ${a.model}`}
        actions={
          <>
            <Link to={`/agents/${a.id}/projects/new`} className={`${linkButton} bg-sky-500 text-slate-950 hover:bg-sky-400`}>
              + New Project
            </Link>
            <Link to={`/agents/${a.id}/edit`} className={`${linkButton} bg-slate-700 text-white hover:bg-slate-600`}>
              Edit agent
            </Link>
          </>
        }
      />
      <Card title="Projects">
        <ErrorMessage>{projects.error}</ErrorMessage>
        {projects.loading && !projects.data ? (
          <Loading what="projects" />
        ) : projects.data && projects.data.length > 0 ? (
          <ul className="flex flex-col gap-2">
            {sortByAttention(projects.data).map((p) => (
              <ProjectCard key={p.id} project={p} />
            ))}
          </ul>
        ) : (
          !projects.error && <Empty>No projects yet. Press “+ New Project” to give this agent a goal.</Empty>
        )}
      </Card>
      <Card title="Configuration">
        <dl className="flex flex-col gap-2">
          <Row label="Supervising model">{a.model}</Row>
          <Row label="Provider">
            {a.llm_provider}
            {a.llm_base_url && ` (${a.llm_base_url})`}
          </Row>
          <Row label="Tools">{a.tools.length ? a.tools.join(', ') : 'none'}</Row>
          <Row label="Permissions">
            allow {a.permission_policy.allow.length ? a.permission_policy.allow.join(', ') : 'nothing extra'}; deny{' '}
            {a.permission_policy.deny.length ? a.permission_policy.deny.join(', ') : 'nothing'}; otherwise{' '}
            {{ llm: 'the agent decides', ask: 'ask me', approve: 'approve' }[a.permission_policy.default]}
          </Row>
          <Row label="MCP servers">{Object.keys(a.mcp_servers ?? {}).join(', ') || 'none'}</Row>
          <Row label="Claude Code">
            {[a.cli.command ?? 'claude', ...a.cli.args].join(' ')}
            {' · '}
            {signsInOwnAccount(a.cli.env) ? (
              <>
                signs in with your <Link to="/settings" className="text-sky-300 underline">Claude Code account</Link>
              </>
            ) : (
              'signs in with its own environment'
            )}
          </Row>
          <Row label="Timing">
            check every {a.poll_interval_s}s, stalled after {a.stall_timeout_s}s, {a.max_retries} retries
          </Row>
          {a.identity && <Row label="Identity">{a.identity}</Row>}
        </dl>
      </Card>
      <RulesEditor agentId={a.id} />
      <Card title="Danger zone">
        <ConfirmButton
          label="Delete agent"
          confirmLabel="Yes, delete the agent"
          message={
            <>
              Delete <strong>{a.name}</strong> and its {a.project_count} project{a.project_count === 1 ? '' : 's'}? Running projects are
              stopped and their logs are removed. This cannot be undone.
            </>
          }
          onConfirm={async () => {
            await api.deleteAgent(a.id);
            await agents.reload();
            navigate('/');
          }}
        />
      </Card>
    </div>
  );
}

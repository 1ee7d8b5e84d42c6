// One project: status, controls, the reply box, the plan, its schedules, and the Terminal / Conversation / Logs / Changes / Description /
// Architecture tabs. Status and plan follow the live stream; the rest comes from the REST API.
import { lazy, Suspense, useCallback } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api';
import { useAgents } from '../agents/AgentsContext';
import type { Project } from '../types';
import { Card, Empty, ErrorMessage, Loading, PageHeader } from '../ui/controls';
import { ConfirmButton } from '../ui/ConfirmButton';
import { useResource } from '../ui/useResource';
import { ConversationPanel } from '../conversation/ConversationPanel';
import { ChangesPanel } from './ChangesPanel';
import { LogsPanel } from './LogsPanel';
import { MessageBox } from './MessageBox';
import { PlanPanel } from './PlanPanel';
import { ProjectControls } from './ProjectControls';
import { SchedulesPanel } from './SchedulesPanel';
import { RemoteLine } from './RemoteLine';
import { StatusBadge } from './StatusBadge';
import { activeStep } from './status';
import { TextTab } from './TextTab';
import { useLiveProject } from './useLiveProject';

// xterm.js is the biggest dependency: load it only when the terminal tab is opened.
const TerminalView = lazy(() => import('../terminal/TerminalView').then((m) => ({ default: m.TerminalView })));

const TABS = [
  { id: 'terminal', label: 'Terminal' },
  { id: 'conversation', label: 'Conversation' },
  { id: 'logs', label: 'Logs' },
  { id: 'changes', label: 'Changes' },
  { id: 'description', label: 'Description' },
  { id: 'architecture', label: 'Architecture' },
] as const;
type Tab = (typeof TABS)[number]['id'];

export function ProjectPage() {
  const projectId = Number(useParams().id);
  const navigate = useNavigate();
  const agents = useAgents();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS.find((t) => t.id === params.get('tab'))?.id ?? 'terminal') as Tab;
  const project = useResource(() => api.getProject(projectId), [projectId]);
  const { setData } = project;
  const current = project.data;

  const live = useLiveProject(projectId, {
    onStatus: useCallback(
      (status, current_step, question) => setData((old) => old && { ...old, status, current_step, question }),
      [setData],
    ),
    onPlan: useCallback((implementation_plan) => setData((old) => old && { ...old, implementation_plan }), [setData]),
  });

  if (project.loading && !current) return <Loading what="the project" />;
  if (!current) return <ErrorMessage>{project.error ?? 'Project not found.'}</ErrorMessage>;
  const p: Project = current;
  const agent = agents.data?.find((a) => a.id === p.agent_id);
  const step = activeStep(p);
  // Older daemons leave cost out until the controller has spent something.
  const cost = p.cost ?? { prompt_tokens: 0, completion_tokens: 0, usd: 0 };
  const save = async (patch: Partial<Pick<Project, 'description' | 'architecture'>>) => setData(await api.updateProject(p.id, patch));

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            {p.name} <StatusBadge status={p.status} stopped={p.controller_running === false} />
            {p.human_control && (
              <span className="rounded-full border border-amber-400 px-2.5 py-0.5 text-xs font-bold text-amber-300">Human in control</span>
            )}
          </span>
        }
        subtitle={
          <>
            {agent ? (
              <Link className="text-sky-300 hover:underline" to={`/agents/${agent.id}`}>
                {agent.name}
              </Link>
            ) : (
              'Agent'
            )}
            {step && ` · ${step}`}
          </>
        }
      />
      {p.remote && <RemoteLine remote={p.remote} branch={`autocode/${p.slug}`} />}
      <ProjectControls project={p} onChange={setData} />
      <MessageBox project={p} />
      <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
        <PlanPanel project={p} onSaved={setData} />
        <Card title="Cost">
          <dl className="grid grid-cols-2 gap-2 text-sm">
            <dt className="text-slate-400">Estimated</dt>
            <dd className="text-right font-semibold">${cost.usd.toFixed(cost.usd < 1 ? 4 : 2)}</dd>
            <dt className="text-slate-400">Prompt tokens</dt>
            <dd className="text-right">{cost.prompt_tokens.toLocaleString()}</dd>
            <dt className="text-slate-400">Completion tokens</dt>
            <dd className="text-right">{cost.completion_tokens.toLocaleString()}</dd>
          </dl>
        </Card>
      </div>
      <SchedulesPanel projectId={p.id} />
      <section className="min-w-0 rounded-xl border border-slate-800 bg-slate-900/60">
        <div role="tablist" aria-label="Project views" className="flex overflow-x-auto border-b border-slate-800">
          {TABS.map((t) => (
            <button
              key={t.id}
              role="tab"
              type="button"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setParams({ tab: t.id }, { replace: true })}
              onKeyDown={(event) => {
                // The ARIA tabs pattern: arrows move between tabs, Home/End jump to the ends.
                const i = TABS.findIndex((x) => x.id === t.id);
                const next =
                  event.key === 'ArrowRight' ? (i + 1) % TABS.length
                  : event.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length
                  : event.key === 'Home' ? 0
                  : event.key === 'End' ? TABS.length - 1
                  : null;
                if (next === null) return;
                event.preventDefault();
                setParams({ tab: TABS[next].id }, { replace: true });
                document.getElementById(`tab-${TABS[next].id}`)?.focus();
              }}
              className={`min-h-11 shrink-0 px-4 text-sm font-semibold focus-visible:outline-2 focus-visible:outline-sky-300 ${
                tab === t.id ? 'border-b-2 border-sky-400 text-sky-200' : 'text-slate-400 hover:text-white'
              }`}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="p-3">
          {tab === 'terminal' &&
            (p.status === 'created' ? (
              <Empty>The terminal appears when the project starts: press Start.</Empty>
            ) : (
              <Suspense fallback={<Loading what="the terminal" />}>
                <TerminalView target={{ kind: 'project', id: p.id }} />
              </Suspense>
            ))}
          {tab === 'conversation' && <ConversationPanel projectId={p.id} />}
          {tab === 'logs' && <LogsPanel entries={live.entries} connection={live.connection} />}
          {tab === 'changes' && <ChangesPanel project={p} onUndone={project.reload} />}
          {tab === 'description' && <TextTab label="Goal" value={p.description} required onSave={(description) => save({ description })} />}
          {tab === 'architecture' && <TextTab label="Architecture" value={p.architecture} onSave={(architecture) => save({ architecture })} />}
        </div>
      </section>
      <Card title="Danger zone">
        <ConfirmButton
          label="Delete project"
          confirmLabel="Yes, delete the project"
          message={
            <>
              Delete <strong>{p.name}</strong>? It is stopped if running, and its plan and logs are removed. Files in its workspace (
              {p.workspace_path ?? 'the project folder'}) may be deleted too. This cannot be undone.
            </>
          }
          onConfirm={async () => {
            await api.deleteProject(p.id);
            void agents.reload();
            navigate(agent ? `/agents/${agent.id}` : '/');
          }}
        />
      </Card>
    </div>
  );
}

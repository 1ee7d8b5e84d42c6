// The Agent Builder: creates an agent, or edits one at /agents/:id/edit.
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError, describeError, sentence } from '../api';
import { hasErrors, type Errors } from '../forms';
import { AGENT_TOOLS, LLM_PROVIDERS, type CliInstallation, type LlmProvider, type PolicyDefault } from '../types';
import { Button, Card, ErrorMessage, Field, Loading, PageHeader } from '../ui/controls';
import { useAgents } from './AgentsContext';
import { agentToForm, emptyAgentForm, formToInput, validateAgentForm, type AgentField, type AgentForm } from './agentForm';
import { McpEditor } from './McpEditor';

const TOOL_HELP: Record<string, string> = {
  send_message: 'Type a message to Claude Code',
  answer_prompt: 'Pick an option in a prompt',
  press_key: 'Press a key (Escape, Enter…)',
  mark_step_done: 'Mark the current step done',
  mark_step_failed: 'Mark the current step failed',
  add_step: 'Add a step to the plan',
  update_step: 'Change a step of the plan',
  ask_human: 'Ask you for help',
  restart_cli: 'Restart Claude Code',
  remember: 'Save a fact to memory',
  wait: 'Wait before looking again',
};

const SERVER_FIELDS: Partial<Record<string, AgentField>> = {
  permission_policy: 'deny',
  cli: 'cli_command',
  'cli.env': 'cli_env',
  'cli.command': 'cli_command',
  'cli.args': 'cli_args',
};

export function AgentBuilderPage() {
  const { id } = useParams();
  const agentId = id ? Number(id) : null;
  const navigate = useNavigate();
  const agents = useAgents();
  const [form, setForm] = useState<AgentForm | null>(agentId ? null : emptyAgentForm());
  const [errors, setErrors] = useState<Errors<AgentField>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [installations, setInstallations] = useState<CliInstallation[]>([]);

  useEffect(() => {
    // Without the list only the default program is offered; saving still works.
    api.listCliInstallations().then(setInstallations, () => setInstallations([]));
  }, []);

  useEffect(() => {
    if (!agentId) return;
    api.getAgent(agentId).then(
      (agent) => setForm(agentToForm(agent)),
      (e) => setError(describeError(e)),
    );
  }, [agentId]);

  if (!form) return error ? <ErrorMessage>{error}</ErrorMessage> : <Loading what="the agent" />;

  const set = <K extends keyof AgentForm>(key: K, value: AgentForm[K]) => {
    setForm({ ...form, [key]: value });
    // The message beside a field goes once the person changes that field.
    if (errors[key]) setErrors({ ...errors, [key]: undefined });
  };
  const text = (key: keyof AgentForm) => ({
    value: form[key] as string,
    onChange: (e: { target: { value: string } }) => set(key, e.target.value as never),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    const next = validateAgentForm(form);
    setErrors(next);
    if (hasErrors(next)) {
      setError('Please fix the fields marked below.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const saved = agentId ? await api.updateAgent(agentId, formToInput(form)) : await api.createAgent(formToInput(form));
      await agents.reload();
      navigate(`/agents/${saved.id}`);
    } catch (e) {
      setError(describeError(e));
      if (e instanceof ApiError && e.field) {
        // `cli.env.HOME` names the variable; the form has one box for all of them.
        const key = e.field.startsWith('cli.env.') ? 'cli.env' : e.field;
        const field = SERVER_FIELDS[key] ?? (key in form ? (key as AgentField) : null);
        if (field) setErrors({ [field]: e.detail?.reason ? sentence(e.detail.reason) : e.message });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4">
      <PageHeader title={agentId ? 'Edit agent' : 'New agent'} subtitle="The agent supervises Claude Code for each of its projects." />
      <ErrorMessage>{error}</ErrorMessage>
      <Card title="Basics">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" error={errors.name}>
            {(p) => <input {...p} name="name" {...text('name')} />}
          </Field>
          <Field label="Supervising model" error={errors.model} hint="Any chat model with tool calls.">
            {(p) => <input {...p} name="model" placeholder="gpt-4o-mini" autoCapitalize="none" {...text('model')} />}
          </Field>
          <Field label="LLM provider" error={errors.llm_provider} hint="Its key comes from your API keys in Settings.">
            {(p) => (
              <select {...p} name="llm_provider" value={form.llm_provider} onChange={(e) => set('llm_provider', e.target.value as LlmProvider)}>
                {LLM_PROVIDERS.map((provider) => (
                  <option key={provider} value={provider}>
                    {provider}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="LLM base URL" error={errors.llm_base_url} hint="Empty for the provider's default.">
            {(p) => <input {...p} name="llm_base_url" type="url" inputMode="url" placeholder="https://…/v1" autoCapitalize="none" {...text('llm_base_url')} />}
          </Field>
        </div>
      </Card>
      <Card title="Identity and rules">
        <div className="flex flex-col gap-4">
          <Field label="Identity" error={errors.identity} hint="Who the agent is and how it works.">
            {(p) => <textarea {...p} name="identity" rows={4} {...text('identity')} />}
          </Field>
          <Field label="Global rules (RULES.md)" error={errors.global_rules} hint="Rules every project of this agent follows.">
            {(p) => <textarea {...p} name="global_rules" rows={6} className={`${p.className} font-mono text-sm`} {...text('global_rules')} />}
          </Field>
        </div>
      </Card>
      <Card title="Tools the agent may use">
        <fieldset aria-describedby={errors.tools ? 'tools-error' : undefined}>
          <legend className="sr-only">Tools</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            {AGENT_TOOLS.map((tool) => (
              <label key={tool} className="flex min-h-10 items-start gap-3 rounded-lg border border-slate-800 px-3 py-2">
                <input
                  type="checkbox"
                  className="mt-1 h-4 w-4 accent-sky-500"
                  checked={form.tools.includes(tool)}
                  onChange={(e) => set('tools', e.target.checked ? [...form.tools, tool] : form.tools.filter((t) => t !== tool))}
                />
                <span className="min-w-0">
                  <span className="block font-mono text-sm text-slate-100">{tool}</span>
                  <span className="block text-xs text-slate-400">{TOOL_HELP[tool]}</span>
                </span>
              </label>
            ))}
          </div>
          {errors.tools && (
            <p id="tools-error" className="mt-2 text-sm text-rose-300">
              {errors.tools}
            </p>
          )}
        </fieldset>
      </Card>
      <Card title="Permission policy">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Always allow" hint="One pattern per line, e.g. Write, Bash(npm test*)." error={errors.allow}>
            {(p) => <textarea {...p} name="allow" rows={4} className={`${p.className} font-mono text-sm`} {...text('allow')} />}
          </Field>
          <Field label="Always deny" hint="One pattern per line; Claude is told why." error={errors.deny}>
            {(p) => <textarea {...p} name="deny" rows={4} className={`${p.className} font-mono text-sm`} {...text('deny')} />}
          </Field>
          <Field label="Anything else" error={errors.policy_default}>
            {(p) => (
              <select {...p} name="policy_default" value={form.policy_default} onChange={(e) => set('policy_default', e.target.value as PolicyDefault)}>
                <option value="llm">The agent decides</option>
                <option value="ask">Ask me</option>
                <option value="approve">Approve</option>
              </select>
            )}
          </Field>
        </div>
      </Card>
      <McpEditor rows={form.mcp} errors={errors} onChange={(mcp) => set('mcp', mcp)} />
      <Card title="Claude Code and timing">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Claude Code installation" hint="The installations your admin set up." error={errors.cli_command}>
            {(p) => (
              <select {...p} name="cli_command" {...text('cli_command')}>
                <option value="">Default (claude on the server)</option>
                {installations.map((i) => (
                  <option key={i.name} value={i.name}>
                    {i.name}
                  </option>
                ))}
                {form.cli_command && !installations.some((i) => i.name === form.cli_command) && (
                  <option value={form.cli_command}>{form.cli_command} (not available)</option>
                )}
              </select>
            )}
          </Field>
          <Field label="Workspace base" hint="A folder in your workspace; empty for the default (projects)." error={errors.workspace_base}>
            {(p) => <input {...p} name="workspace_base" autoCapitalize="none" {...text('workspace_base')} />}
          </Field>
          <Field label="CLI arguments" hint="One per line." error={errors.cli_args}>
            {(p) => <textarea {...p} name="cli_args" rows={3} className={`${p.className} font-mono text-sm`} {...text('cli_args')} />}
          </Field>
          <Field label="CLI environment" hint="NAME=value, one per line; NAME={key:ID} uses a stored API key." error={errors.cli_env}>
            {(p) => <textarea {...p} name="cli_env" rows={3} className={`${p.className} font-mono text-sm`} {...text('cli_env')} />}
          </Field>
          <label className="flex min-h-10 items-start gap-3 rounded-lg border border-slate-800 px-3 py-2 sm:col-span-2">
            <input type="checkbox" className="mt-1 h-4 w-4 accent-sky-500" checked={form.auto_mode} onChange={(e) => set('auto_mode', e.target.checked)} />
            <span className="text-sm text-slate-200">
              Let Claude Code judge tool calls itself (auto mode)
              <span className="block text-slate-400">Instead of the permission policy above; the only way to switch the policy off.</span>
            </span>
          </label>
          <Field label="Check interval (seconds)" error={errors.poll_interval_s}>
            {(p) => <input {...p} name="poll_interval_s" inputMode="numeric" {...text('poll_interval_s')} />}
          </Field>
          <Field label="Stall timeout (seconds)" error={errors.stall_timeout_s}>
            {(p) => <input {...p} name="stall_timeout_s" inputMode="numeric" {...text('stall_timeout_s')} />}
          </Field>
          <Field label="Retries before asking for help" error={errors.max_retries}>
            {(p) => <input {...p} name="max_retries" inputMode="numeric" {...text('max_retries')} />}
          </Field>
        </div>
      </Card>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => navigate(-1)}>
          Cancel
        </Button>
        <Button type="submit" busy={busy}>
          {agentId ? 'Save agent' : 'Create agent'}
        </Button>
      </div>
    </form>
  );
}

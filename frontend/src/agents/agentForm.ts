// The Agent Builder's form state: text the person edits, checked, then turned into the API's shape.
import { envToLines, parseEnvLines, splitLines, type Errors } from '../forms';
import { AGENT_TOOLS, type Agent, type AgentInput, type LlmProvider, type PolicyDefault } from '../types';

export interface McpRow {
  name: string;
  command: string;
  args: string;
  env: string;
}

export interface AgentForm {
  name: string;
  model: string;
  llm_provider: LlmProvider;
  llm_base_url: string;
  identity: string;
  global_rules: string;
  tools: string[];
  mcp: McpRow[];
  allow: string;
  deny: string;
  policy_default: PolicyDefault;
  cli_command: string;
  cli_args: string;
  cli_env: string;
  auto_mode: boolean;
  workspace_base: string;
  poll_interval_s: string;
  stall_timeout_s: string;
  max_retries: string;
}

export type AgentField = keyof AgentForm | `mcp.${number}`;

export const DEFAULT_DENY = ['Bash(rm -rf *)', 'Bash(git push --force*)', 'Bash(sudo *)'];

export function emptyAgentForm(): AgentForm {
  return {
    name: '',
    model: '',
    llm_provider: 'openai',
    llm_base_url: '',
    identity: '',
    global_rules: '',
    tools: [...AGENT_TOOLS],
    mcp: [],
    allow: '',
    deny: DEFAULT_DENY.join('\n'),
    policy_default: 'llm',
    cli_command: '',
    cli_args: '',
    cli_env: '',
    auto_mode: false,
    workspace_base: '',
    poll_interval_s: '2',
    stall_timeout_s: '300',
    max_retries: '3',
  };
}

export function agentToForm(agent: Agent): AgentForm {
  return {
    name: agent.name,
    model: agent.model,
    llm_provider: agent.llm_provider,
    llm_base_url: agent.llm_base_url ?? '',
    identity: agent.identity,
    global_rules: agent.global_rules,
    tools: [...agent.tools],
    mcp: Object.entries(agent.mcp_servers ?? {}).map(([name, server]) => ({
      name,
      command: server.command,
      args: (server.args ?? []).join('\n'),
      env: envToLines(server.env ?? {}),
    })),
    allow: agent.permission_policy.allow.join('\n'),
    deny: agent.permission_policy.deny.join('\n'),
    policy_default: agent.permission_policy.default,
    cli_command: agent.cli.command ?? '',
    cli_args: agent.cli.args.join('\n'),
    cli_env: envToLines(agent.cli.env ?? {}),
    auto_mode: agent.cli.auto_mode ?? false,
    workspace_base: agent.workspace_base,
    poll_interval_s: String(agent.poll_interval_s),
    stall_timeout_s: String(agent.stall_timeout_s),
    max_retries: String(agent.max_retries),
  };
}

function intIn(text: string, min: number, max: number, what: string): string | null {
  if (!/^\d+$/.test(text.trim())) return `${what} must be a whole number.`;
  const n = Number(text);
  if (n < min || n > max) return `${what} must be between ${min} and ${max}.`;
  return null;
}

export function validateAgentForm(form: AgentForm): Errors<AgentField> {
  const errors: Errors<AgentField> = {};
  if (!form.name.trim()) errors.name = 'Give the agent a name.';
  else if (form.name.trim().length > 100) errors.name = 'At most 100 characters.';
  if (!form.model.trim()) errors.model = 'Enter the supervising model (e.g. gpt-4o-mini).';
  const url = form.llm_base_url.trim();
  if (form.llm_provider === 'custom' && !url) errors.llm_base_url = 'A custom provider needs a base URL.';
  else if (url && !/^https?:\/\/[^\s/]+/.test(url)) errors.llm_base_url = 'Use an http:// or https:// URL.';
  if (form.tools.length === 0) errors.tools = 'Choose at least one tool.';
  const names = new Set<string>();
  form.mcp.forEach((row, i) => {
    const name = row.name.trim();
    if (!name) errors[`mcp.${i}`] = 'Each MCP server needs a name.';
    else if (names.has(name)) errors[`mcp.${i}`] = `The name "${name}" is used twice.`;
    else if (!row.command.trim()) errors[`mcp.${i}`] = `Give "${name}" a command.`;
    else {
      const env = parseEnvLines(row.env);
      if ('error' in env) errors[`mcp.${i}`] = `Environment of "${name}": ${env.error}`;
    }
    names.add(name);
  });
  const cliEnv = parseEnvLines(form.cli_env, true);
  if ('error' in cliEnv) errors.cli_env = cliEnv.error;
  const poll = intIn(form.poll_interval_s, 1, 3600, 'The poll interval');
  if (poll) errors.poll_interval_s = poll;
  const stall = intIn(form.stall_timeout_s, 10, 86_400, 'The stall timeout');
  if (stall) errors.stall_timeout_s = stall;
  const retries = intIn(form.max_retries, 0, 20, 'Retries');
  if (retries) errors.max_retries = retries;
  return errors;
}

/** The API body for a form that passed validation. */
export function formToInput(form: AgentForm): AgentInput {
  const env = (text: string, keyRefs = false) => {
    const parsed = parseEnvLines(text, keyRefs);
    return 'env' in parsed ? parsed.env : {};
  };
  const literal = (text: string) =>
    Object.fromEntries(Object.entries(env(text)).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
  const workspace = form.workspace_base.trim();
  return {
    name: form.name.trim(),
    model: form.model.trim(),
    identity: form.identity,
    tools: AGENT_TOOLS.filter((tool) => form.tools.includes(tool)),
    mcp_servers: Object.fromEntries(
      form.mcp.map((row) => [row.name.trim(), { command: row.command.trim(), args: splitLines(row.args), env: literal(row.env) }]),
    ),
    ...(workspace ? { workspace_base: workspace } : {}),
    global_rules: form.global_rules,
    llm_provider: form.llm_provider,
    llm_base_url: form.llm_base_url.trim() || null,
    permission_policy: { allow: splitLines(form.allow), deny: splitLines(form.deny), default: form.policy_default },
    cli: {
      profile: 'claude-code',
      command: form.cli_command.trim() || null,
      args: splitLines(form.cli_args),
      env: env(form.cli_env, true),
      auto_mode: form.auto_mode,
    },
    poll_interval_s: Number(form.poll_interval_s),
    stall_timeout_s: Number(form.stall_timeout_s),
    max_retries: Number(form.max_retries),
  };
}

// Every type the daemon's HTTP and WebSocket API speaks, written once. Keep in step with the
// Rust handlers (src/http/*.rs); nothing else in the frontend declares API shapes. A project's
// git history (commits, diffs, undoing a step) is in types/history.ts, exported from here too.

export type * from './types/history';

export type Role = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  role: Role;
  created_at: string;
}

/** GET /api/admin/system: whether members' coding CLIs run sandboxed. */
export interface SystemStatus {
  sandbox: { enabled: boolean; available: boolean; problem: string | null };
}

export interface UserWithCount extends User {
  agent_count: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  user: User;
}

export interface ApiErrorBody {
  error: string;
  detail?: { field?: string; reason?: string; [key: string]: unknown } | null;
}

export const AGENT_TOOLS = [
  'send_message',
  'answer_prompt',
  'press_key',
  'mark_step_done',
  'mark_step_failed',
  'add_step',
  'update_step',
  'ask_human',
  'restart_cli',
  'remember',
  'wait',
] as const;
export type AgentTool = (typeof AGENT_TOOLS)[number];

export const LLM_PROVIDERS = ['openai', 'openrouter', 'ollama', 'custom'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export type PolicyDefault = 'llm' | 'ask' | 'approve';

export interface PermissionPolicy {
  allow: string[];
  deny: string[];
  default: PolicyDefault;
}

export interface McpServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A literal value, or a reference to one of the user's stored API keys (never stored in plain text). */
export type EnvValue = string | { api_key_id: number };

/** A coding-CLI program the admin registered; an agent's `cli.command` names one. */
export interface CliInstallation {
  name: string;
  profile: string;
}

export interface CliConfig {
  profile: 'claude-code';
  /** The name of a registered installation; null for the profile's default (claude on the server's PATH). */
  command: string | null;
  args: string[];
  env: Record<string, EnvValue>;
  /** Let Claude Code judge tool calls itself instead of the agent's permission policy. */
  auto_mode: boolean;
}

/** The fields a client sends to create or update an agent. */
export interface AgentInput {
  name: string;
  model: string;
  identity: string;
  tools: string[];
  mcp_servers: Record<string, McpServer>;
  /** Folder under the user's workspace; the server's default ("projects") when left out. */
  workspace_base?: string;
  global_rules: string;
  llm_provider: LlmProvider;
  llm_base_url: string | null;
  permission_policy: PermissionPolicy;
  cli: CliConfig;
  poll_interval_s: number;
  stall_timeout_s: number;
  max_retries: number;
}

export interface Agent extends AgentInput {
  workspace_base: string;
  id: number;
  project_count: number;
  created_at: string;
  updated_at: string;
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface PlanStep {
  title: string;
  details: string;
  status: StepStatus;
}

export type PlanStepInput = Pick<PlanStep, 'title' | 'details'> & Partial<Pick<PlanStep, 'status'>>;

export const PROJECT_STATUSES = [
  'created',
  'planning',
  'running',
  'paused',
  'needs_help',
  'completed',
  'failed',
] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export interface Cost {
  prompt_tokens: number;
  completion_tokens: number;
  usd: number;
}

export interface Project {
  id: number;
  agent_id: number;
  name: string;
  slug: string;
  description: string;
  architecture: string;
  implementation_plan: PlanStep[];
  status: ProjectStatus;
  current_step: number | null;
  question: string | null;
  human_control: boolean;
  /** A controller loop is running for it now (a stopped project shows as paused without one). */
  controller_running: boolean;
  tmux_session: string | null;
  workspace_path: string | null;
  cost: Cost;
  /** The repository it was cloned from, when to push there and the pull request opened. */
  remote?: ProjectRemote | null;
  created_at: string;
  updated_at: string;
}

export type PushMode = 'off' | 'each_step' | 'at_completion';

export interface ProjectRemote {
  url: string;
  push: PushMode;
  pull_request: boolean;
  base_branch: string | null;
  pull_request_url: string | null;
  pushed_sha: string | null;
  updated_at: string;
}

export interface NewProject {
  name: string;
  description: string;
  architecture?: string;
  implementation_plan?: PlanStepInput[];
  /** Clone this repository (https) instead of starting empty. */
  repo_url?: string;
  push?: PushMode;
  pull_request?: boolean;
}

/** The member's git token for private remotes and pull requests: never the token itself. */
export interface GitToken {
  set: boolean;
  last4?: string | null;
  readable?: boolean;
  updated_at?: string;
}

export type ProjectUpdate = Partial<{
  name: string;
  description: string;
  architecture: string;
  implementation_plan: PlanStepInput[];
}>;

export type ProjectAction = 'start' | 'stop' | 'restart' | 'pause' | 'resume';

export type LogLevel = 'info' | 'action' | 'error' | 'agent_decision';
export const LOG_LEVELS: readonly LogLevel[] = ['info', 'action', 'error', 'agent_decision'];

export interface LogEntry {
  id: number;
  project_id: number;
  level: LogLevel;
  message: string;
  timestamp: string;
}

/** How a member's Claude Code signs in (Settings → "Claude Code account"). */
export type ClaudeAccountKind = 'api_key' | 'oauth_token' | 'login';

/** The member's Claude Code account as the server shows it: never the secret itself. */
export interface ClaudeAccount {
  /** Null when none is set. */
  kind: ClaudeAccountKind | null;
  /** Last four characters of the key or token. */
  hint?: string;
  /** False when the stored secret can no longer be decrypted. */
  readable?: boolean;
  updated_at?: string;
}

export interface ApiKey {
  id: number;
  provider: string;
  label: string;
  /** Null when the stored key can no longer be decrypted. */
  last4: string | null;
  created_at: string;
  /** False when the stored key can no longer be decrypted (e.g. the server secret changed). */
  readable: boolean;
}

export interface Health {
  status: string;
  version: string;
}

// ---- WebSocket messages (issue 5) ----

export type LogsClientMessage = { type: 'subscribe'; after: number };

export type LogsServerMessage =
  | { type: 'log'; entry: LogEntry }
  | { type: 'status'; status: ProjectStatus; current_step: number | null; question: string | null }
  | { type: 'plan'; implementation_plan: PlanStep[] }
  | { type: 'stalled'; secs: number }
  | { type: 'stall_over' }
  | { type: 'resubscribe' };

export type TerminalKey = 'Enter' | 'Escape' | 'C-c' | 'Up' | 'Down' | 'Left' | 'Right' | 'Tab' | 'BSpace' | '1' | '2' | '3';

export type TerminalClientMessage =
  | { type: 'take_over' }
  | { type: 'release' }
  | { type: 'input'; data: string }
  | { type: 'key'; key: TerminalKey };

export type TerminalServerMessage =
  | { type: 'snapshot'; cols: number; rows: number; data: string }
  | { type: 'control'; human: boolean; by: string | null };

/** What a schedule does when it fires. */
export type ScheduleAction = 'start' | 'resume';

/** A project schedule (`/api/projects/{id}/schedules`). */
export interface Schedule {
  id: number;
  project_id: number;
  /** Six fields with seconds: `0 0 2 * * *` is 02:00 daily, in `timezone`. */
  cron: string;
  action: ScheduleAction;
  max_run_minutes: number | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  /** RFC 3339; null when disabled. */
  next_run: string | null;
  timezone: string;
}

export interface ScheduleInput {
  cron: string;
  action: ScheduleAction;
  max_run_minutes: number | null;
  enabled: boolean;
}

/** What an inbox item is: a question or permission, a failed project, or a running project
 * whose CLI made no progress for its stall time (answered with text or "restart"). */
export type InboxItemKind = 'needs_help' | 'failed' | 'stalled';

/** One thing waiting for the member (`GET /api/inbox`); its id is its project's id. */
export interface InboxItem {
  id: number;
  kind: InboxItemKind;
  project_id: number;
  project_name: string;
  question: string | null;
  /** For a permission: the tool and the exact command or path it is about. */
  permission: string | null;
  /** What `{"option"}` accepts for this item (empty: answer with text). */
  options: InboxOption[];
  /** The end of the live terminal, when the project's CLI is running. */
  screen: string | null;
  since: string;
  url: string;
}

/** A permission's options, then a stalled project's. */
export type InboxOption = 'allow' | 'deny' | 'restart';

export interface Inbox {
  count: number;
  items: InboxItem[];
}

/** `/api/ws/inbox`: the whole inbox on connect and after every change of the member's projects. */
export type InboxServerMessage = ({ type: 'inbox' } & Inbox) | { type: 'error'; message: string };

/** How an inbox item is answered: words, or one of its options. */
export type InboxAnswer = { text: string } | { option: InboxOption };

export interface PushSubscriptionRow {
  id: number;
  endpoint: string;
  device: string;
  created_at: string;
}

/** How the daemon talks to the admin's SMTP server (`none`: a server on this machine only). */
export type SmtpSecurity = 'tls' | 'starttls' | 'none';

/** `GET /api/admin/smtp` (null when no server is set up); the password is never sent back. */
export interface SmtpView {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string;
  sender: string;
  password_set: boolean;
  updated_at: string;
}

export interface SmtpInput {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string;
  sender: string;
  /** Omitted: keep the stored password. */
  password?: string;
}

/** An ntfy topic, a Telegram chat or an e-mail address (`GET /api/notifications/channels`). */
export interface NotifyChannel {
  kind: 'ntfy' | 'telegram' | 'email';
  /** The ntfy topic URL, the Telegram chat id, or the e-mail address. */
  target: string;
  token_last4: string | null;
}

/** One entry of a project's conversation (Claude Code's transcript; `/api/ws/projects/{id}/conversation`). */
export type ConversationEntry = { id: string; timestamp: string | null } & (
  | { kind: 'prompt'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'tool_use'; tool_use_id: string; name: string; input: Record<string, unknown> | null }
  | {
      kind: 'tool_result';
      tool_use_id: string;
      output: string;
      is_error: boolean;
      file_path?: string;
      /** Unified-diff hunks of a file tool's change. */
      patch?: string;
    }
);

export type ConversationServerMessage =
  | { type: 'entries'; entries: ConversationEntry[]; cursor: string }
  | { type: 'reset' }
  | { type: 'error'; message: string };

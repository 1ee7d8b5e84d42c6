-- What the controller needs to survive its own restart, and what users see of it.

-- The question shown to the user while a project needs help.
alter table projects add column question text;
-- The coding CLI's own session id (from its SessionStart hook), for `--resume`.
alter table projects add column cli_session_id text;
-- The action in flight, as JSON: e.g. {"kind":"step_sent","step":2,"at":"..."}. Lets a
-- restarted daemon resume without re-sending a message that was already sent.
alter table projects add column pending_action text;
-- Restarts of the CLI, as JSON unix-second timestamps, for "3 restarts in 10 minutes".
alter table projects add column restarts text not null default '[]';

-- Supervising-LLM usage, one row per call, for per-project and per-user cost.
create table llm_usage (
    id                integer primary key autoincrement,
    user_id           integer not null references users(id) on delete cascade,
    project_id        integer references projects(id) on delete cascade,
    model             text not null,
    prompt_tokens     integer not null,
    completion_tokens integer not null,
    cost_usd          real not null,
    created_at        text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index llm_usage_project on llm_usage(project_id);
create index llm_usage_user on llm_usage(user_id);

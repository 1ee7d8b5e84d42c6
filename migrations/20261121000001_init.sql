-- AutoCode schema. Timestamps are RFC 3339 UTC text written by SQLite itself.

create table users (
    id            integer primary key autoincrement,
    username      text not null unique,
    password_hash text not null,
    role          text not null check (role in ('admin', 'user')),
    created_at    text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- An auth session: one login on one device. Access tokens carry its id and are
-- checked against it on every request, so deleting or revoking it logs out at once.
create table auth_sessions (
    id          text primary key,
    user_id     integer not null references users(id) on delete cascade,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at  integer not null,          -- unix seconds; the refresh horizon
    revoked_at  text
);
create index auth_sessions_user on auth_sessions(user_id);

-- Refresh tokens are stored hashed; a used one stays as evidence for reuse detection.
create table refresh_tokens (
    token_hash  text primary key,
    session_id  text not null references auth_sessions(id) on delete cascade,
    used_at     text,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index refresh_tokens_session on refresh_tokens(session_id);

create table agents (
    id             integer primary key autoincrement,
    user_id        integer not null references users(id) on delete cascade,
    name           text not null,
    model          text not null,
    identity       text not null default '',
    tools          text not null default '[]',   -- json list of tool names
    mcp_servers    text not null default '{}',   -- json object name -> server
    workspace_base text not null default 'projects',
    global_rules   text not null default '',
    -- The supervising LLM: provider, optional base URL (provider default otherwise).
    llm_provider   text not null default 'openai',
    llm_base_url   text,
    permission_policy text not null default '{"allow":[],"deny":[],"default":"llm"}',
    cli            text not null default '{"profile":"claude-code","command":null,"args":[],"env":{}}',
    poll_interval_s   integer not null default 2,
    stall_timeout_s   integer not null default 300,
    max_retries       integer not null default 3,
    created_at     text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    unique (user_id, name)
);

create table projects (
    id                  integer primary key autoincrement,
    user_id             integer not null references users(id) on delete cascade,
    agent_id            integer not null references agents(id) on delete cascade,
    name                text not null,
    slug                text not null,
    description         text not null default '',
    architecture        text not null default '',
    implementation_plan text not null default '[]',  -- json list of {title, details, status}
    status              text not null default 'created'
        check (status in ('created', 'planning', 'running', 'paused', 'needs_help', 'completed', 'failed')),
    current_step        integer,
    tmux_session        text not null,
    workspace_path      text not null,
    created_at          text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    unique (user_id, slug),
    unique (user_id, name)
);
create index projects_agent on projects(agent_id);

create table agent_instances (
    id          integer primary key autoincrement,
    user_id     integer not null references users(id) on delete cascade,
    agent_id    integer not null references agents(id) on delete cascade,
    project_id  integer references projects(id) on delete cascade,
    pid         integer,
    status      text not null check (status in ('running', 'stopped', 'crashed')),
    started_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    stopped_at  text
);
create index agent_instances_project on agent_instances(project_id);

-- AUTOINCREMENT guarantees ids are never reused, so an id is a safe resume cursor.
create table logs (
    id                integer primary key autoincrement,
    project_id        integer not null references projects(id) on delete cascade,
    agent_instance_id integer references agent_instances(id) on delete set null,
    level             text not null check (level in ('info', 'action', 'error', 'agent_decision')),
    message           text not null,
    timestamp         text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index logs_project on logs(project_id, id);

create table api_keys (
    id          integer primary key autoincrement,
    user_id     integer not null references users(id) on delete cascade,
    provider    text not null,
    label       text not null,
    nonce       blob not null,
    ciphertext  blob not null,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index api_keys_user on api_keys(user_id);

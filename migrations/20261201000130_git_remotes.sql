-- A member's git credential (issue 13, item 5): one token per member, sealed like
-- `api_keys` rows, handed to git inside the member's sandbox for private remotes and
-- used as the bearer token of GitHub's pull-request API.
create table git_credentials (
    user_id     integer primary key references users(id) on delete cascade,
    nonce       blob not null,
    ciphertext  blob not null,
    updated_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The remote a project was cloned from and what AutoCode does with it: push the branch
-- after each step or at completion, and open a pull request at completion (GitHub only).
create table project_remotes (
    project_id       integer primary key references projects(id) on delete cascade,
    url              text not null,
    push             text not null default 'off'
                     check (push in ('off', 'each_step', 'at_completion')),
    pull_request     integer not null default 1,
    -- The remote's default branch when it was cloned: the pull request's base.
    base_branch      text,
    pull_request_url text,
    pushed_sha       text,
    updated_at       text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

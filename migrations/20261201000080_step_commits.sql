-- The commit each finished step left in its project's repository, so the API can say which
-- step a commit belongs to and a step can be undone. A revert keeps the row (the history
-- keeps the commit) and records the commit that undid it.
create table step_commits (
    id          integer primary key autoincrement,
    project_id  integer not null references projects(id) on delete cascade,
    step        integer not null,  -- 1-based, as members count steps
    sha         text not null,
    title       text not null,
    summary     text not null default '',
    reverted_by text,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index step_commits_project on step_commits(project_id, step);

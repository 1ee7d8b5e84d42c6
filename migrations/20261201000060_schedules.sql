-- Project schedules (issue 12): a cron expression (with seconds, in the server's timezone)
-- that starts or resumes a project, optionally pausing it after max_run_minutes.
create table schedules (
    id               integer primary key autoincrement,
    user_id          integer not null references users(id) on delete cascade,
    project_id       integer not null references projects(id) on delete cascade,
    cron             text not null,
    action           text not null check (action in ('start', 'resume')),
    max_run_minutes  integer check (max_run_minutes is null or max_run_minutes > 0),
    enabled          integer not null default 1 check (enabled in (0, 1)),
    -- Unix seconds up to which occurrences were handled (run, skipped or reported missed):
    -- after a restart, occurrences between this and the boot were missed.
    checked_at       integer not null,
    -- Unix seconds when the run this schedule started is to be paused (max_run_minutes).
    run_deadline     integer,
    created_at       text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index schedules_project on schedules(project_id);
create index schedules_user on schedules(user_id);

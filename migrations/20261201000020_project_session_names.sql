-- tmux session names come from the project id, so no two projects can share one (before,
-- `ann-marie`/`blog` and `ann`/`marie blog` both became `ann-marie-blog`). Existing rows
-- are renamed first so the unique index can be created; a CLI running under its old name
-- is seen as gone by the next daemon and restarted with --continue under the new one.
update projects set tmux_session = 'autocode-p' || id;
create unique index projects_tmux_session on projects (tmux_session);

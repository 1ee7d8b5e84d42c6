-- A running project whose CLI stopped making progress (issue 11): when its output last
-- moved, set by the supervisor when it detects the stall and cleared when the project moves
-- on (a message taken, the turn or step over, a restart, any status change). The inbox lists
-- a running project with it set as a stalled item.
alter table projects add column stalled_since text;

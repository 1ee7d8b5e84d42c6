-- At most one running instance per project: the registry already keeps one loop per
-- project, and this makes the database refuse a second `running` row that a next boot
-- would re-adopt as a second CLI. Older duplicates (only the newest can still be live)
-- end as crashed first, or the index could not be made.
update agent_instances
   set status = 'crashed', stopped_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 where status = 'running'
   and id not in (select max(id) from agent_instances where status = 'running' group by project_id);

create unique index agent_instances_one_running on agent_instances(project_id) where status = 'running';

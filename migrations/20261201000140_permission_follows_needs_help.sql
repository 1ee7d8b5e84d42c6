-- Permissions became a notification event of their own; before, they came with needs_help.
-- A member who had turned needs_help off keeps not hearing of permissions after the upgrade.
update notification_settings
   set settings = json_set(settings, '$.events.permission',
                           json(case when json_extract(settings, '$.events.needs_help') then 'true' else 'false' end))
 where json_type(settings, '$.events.needs_help') is not null
   and json_type(settings, '$.events.permission') is null;

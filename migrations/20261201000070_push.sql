-- Web Push: a member's browsers (one row per subscription endpoint) and what they want to
-- be told about. Settings are one JSON document per member, read and written whole.
create table push_subscriptions (
    id          integer primary key,
    user_id     integer not null references users(id) on delete cascade,
    endpoint    text not null,
    p256dh      text not null,
    auth        text not null,
    device      text not null default '',
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    unique (user_id, endpoint)
);

create table notification_settings (
    user_id   integer primary key references users(id) on delete cascade,
    settings  text not null
);

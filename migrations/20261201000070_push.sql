-- Notifications. Web Push: a member's browsers (one row per subscription endpoint) and what
-- they want to be told about (one JSON document per member, read and written whole).
-- Channels for phones without Web Push: an ntfy topic URL, or a Telegram bot (its token
-- sealed with the master key like API keys, bound to the member and the kind).
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

create table notify_channels (
    user_id     integer not null references users(id) on delete cascade,
    kind        text not null check (kind in ('ntfy', 'telegram')),
    target      text not null,
    nonce       blob not null default x'',
    secret      blob not null default x'',
    primary key (user_id, kind)
);

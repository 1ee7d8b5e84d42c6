-- Notification channels for phones without Web Push: an ntfy topic URL, or a Telegram bot
-- (its token sealed with the master key like API keys, bound to the member and the kind).
create table notify_channels (
    user_id     integer not null references users(id) on delete cascade,
    kind        text not null check (kind in ('ntfy', 'telegram')),
    target      text not null,
    nonce       blob not null default x'',
    secret      blob not null default x'',
    primary key (user_id, kind)
);

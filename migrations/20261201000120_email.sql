-- E-mail notifications: the admin's SMTP server (one row; the password sealed with the master
-- key like API keys) and 'email' as a member's channel kind (its target is their address).

create table smtp_settings (
    id          integer primary key check (id = 1),
    host        text not null,
    port        integer not null,
    security    text not null check (security in ('tls', 'starttls', 'none')),
    username    text not null default '',
    sender      text not null,
    nonce       blob not null default x'',
    secret      blob not null default x'',
    updated_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

create table notify_channels_new (
    user_id     integer not null references users(id) on delete cascade,
    kind        text not null check (kind in ('ntfy', 'telegram', 'email')),
    target      text not null,
    nonce       blob not null default x'',
    secret      blob not null default x'',
    primary key (user_id, kind)
);
insert into notify_channels_new (user_id, kind, target, nonce, secret)
    select user_id, kind, target, nonce, secret from notify_channels;
drop table notify_channels;
alter table notify_channels_new rename to notify_channels;

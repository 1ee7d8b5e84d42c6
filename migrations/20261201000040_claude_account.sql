-- Each member's own Claude Code account (issue 9, item 7): at most one per user. An API key
-- or a `claude setup-token` token is sealed like `api_keys` rows (the kind is part of the
-- associated data); `login` means the member logged in through the CLI's own /login in
-- their config home, so nothing is stored here but the choice.
create table claude_accounts (
    user_id     integer primary key references users(id) on delete cascade,
    kind        text not null check (kind in ('api_key', 'oauth_token', 'login')),
    nonce       blob not null,
    ciphertext  blob not null,
    updated_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

use super::*;

const KEY: &str = "sk-ant-api03-abcdefghij0123456789-WXYZ";
const TOKEN: &str = "sk-ant-oat01-abcdefghij0123456789-TOKN";

#[test]
fn credentials_are_checked_by_kind() {
    assert_eq!(
        validate(Kind::ApiKey, Some(&format!("  {KEY}\n"))).as_deref(),
        Ok(KEY)
    );
    assert_eq!(
        validate(Kind::OauthToken, Some(TOKEN)).as_deref(),
        Ok(TOKEN)
    );
    assert_eq!(validate(Kind::Login, None).as_deref(), Ok(""));
    let refused = [
        (Kind::ApiKey, None),
        (Kind::ApiKey, Some("sk-ant-short")),
        (Kind::ApiKey, Some("sk-ant-api03-abc def0123456789abcdef")),
        (Kind::ApiKey, Some("sk-ant-api03-abc\0def0123456789abcdef")),
        (Kind::ApiKey, Some("sk-proj-0123456789abcdefghijklmnop")),
        (Kind::ApiKey, Some(TOKEN)),
        (Kind::OauthToken, Some(KEY)),
        (Kind::Login, Some(KEY)),
    ];
    for (kind, value) in refused {
        let e = validate(kind, value).expect_err(&format!("{kind:?} {value:?}"));
        assert_eq!(e.field, "value");
    }
    let long = format!("sk-ant-api03-{}", "a".repeat(MAX_LEN));
    assert!(validate(Kind::ApiKey, Some(&long)).is_err());
}

async fn pool() -> (tempfile::TempDir, SqlitePool, i64, i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = db::open(&dir.path().join("t.db")).await.expect("open db");
    let a = db::users::insert(&pool, "ann", "x", "user")
        .await
        .expect("ann");
    let b = db::users::insert(&pool, "bob", "x", "user")
        .await
        .expect("bob");
    (dir, pool, a.id, b.id)
}

async fn credential(
    pool: &SqlitePool,
    master: &MasterKey,
    user_id: i64,
    env: &[(String, String)],
) -> LaunchCredential {
    launch_credential(pool, master, user_id, env)
        .await
        .expect("launch credential")
}

fn pairs(env: &LaunchCredential) -> Vec<(&str, &str)> {
    env.env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn a_launch_gets_its_owners_credential_unless_the_agent_names_one() {
    let (_dir, pool, ann, bob) = pool().await;
    let master = MasterKey::from_bytes([3; 32]);
    let none = credential(&pool, &master, ann, &[]).await;
    assert!(none.env.is_empty() && none.api_key.is_none());

    db::claude_accounts::put(&pool, &master, ann, "api_key", KEY)
        .await
        .expect("put");
    let got = credential(&pool, &master, ann, &[]).await;
    assert_eq!(pairs(&got), [("ANTHROPIC_API_KEY", KEY)]);
    assert_eq!(got.api_key.as_deref(), Some(KEY));
    assert!(!format!("{got:?}").contains(KEY), "Debug hides the key");
    // Bob stored nothing: he gets nothing of Ann's.
    let other = credential(&pool, &master, bob, &[]).await;
    assert!(other.env.is_empty());

    let own = [("ANTHROPIC_AUTH_TOKEN".to_owned(), "mine".to_owned())];
    let kept = credential(&pool, &master, ann, &own).await;
    assert!(kept.env.is_empty() && kept.api_key.is_none());

    db::claude_accounts::put(&pool, &master, ann, "oauth_token", TOKEN)
        .await
        .expect("put");
    let got = credential(&pool, &master, ann, &[]).await;
    assert_eq!(pairs(&got), [("CLAUDE_CODE_OAUTH_TOKEN", TOKEN)]);
    assert_eq!(got.api_key, None);

    db::claude_accounts::put(&pool, &master, ann, "login", "")
        .await
        .expect("put");
    let got = credential(&pool, &master, ann, &[]).await;
    assert!(got.env.is_empty());

    // A seal moved to another member's row, or read under another master key, fails loudly.
    db::claude_accounts::put(&pool, &master, ann, "api_key", KEY)
        .await
        .expect("put");
    sqlx::query("insert into claude_accounts select ?, kind, nonce, ciphertext, updated_at from claude_accounts where user_id = ?")
        .bind(bob)
        .bind(ann)
        .execute(&pool)
        .await
        .expect("copy row");
    let moved = launch_credential(&pool, &master, bob, &[]).await;
    assert!(matches!(moved, Err(CredentialError::Unreadable)));
    let other_key = MasterKey::from_bytes([4; 32]);
    let wrong = launch_credential(&pool, &other_key, ann, &[]).await;
    assert!(matches!(wrong, Err(CredentialError::Unreadable)));
}

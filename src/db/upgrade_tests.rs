//! Upgrading a database made before tmux sessions were named after the project id.

use std::borrow::Cow;

use super::*;

/// The migration that renames sessions and adds their unique index.
const SESSION_NAMES: i64 = 20261201000020;

#[tokio::test]
async fn old_look_alike_session_names_are_renamed_before_the_unique_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("autocode.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("options")
        .create_if_missing(true);
    let old = SqlitePool::connect_with(options).await.expect("connect");
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .migrations
                .iter()
                .filter(|m| m.version < SESSION_NAMES)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&old).await.expect("old schema");
    // `ann-marie`/`blog` and `ann`/`marie blog` shared a session under the old naming.
    sqlx::query(
        r"insert into users (id, username, password_hash, role)
              values (1, 'ann-marie', 'x', 'user'), (2, 'ann', 'x', 'user');
          insert into agents (id, user_id, name, model) values (1, 1, 'a', 'm'), (2, 2, 'a', 'm');
          insert into projects (id, user_id, agent_id, name, slug, tmux_session, workspace_path)
              values (7, 1, 1, 'blog', 'blog', 'ann-marie-blog', '/w/1'),
                     (9, 2, 2, 'marie blog', 'marie-blog', 'ann-marie-blog', '/w/2');",
    )
    .execute(&old)
    .await
    .expect("old rows");
    old.close().await;

    let pool = open(&path).await.expect("upgrade");
    let names: Vec<(i64, String)> =
        sqlx::query_as("select id, tmux_session from projects order by id")
            .fetch_all(&pool)
            .await
            .expect("names");
    assert_eq!(
        names,
        [(7, "autocode-p7".to_owned()), (9, "autocode-p9".to_owned())]
    );
    let duplicate = sqlx::query("update projects set tmux_session = 'autocode-p7' where id = 9")
        .execute(&pool)
        .await
        .expect_err("the unique index holds");
    assert!(is_unique_violation(&duplicate));
}

//! User accounts as a whole: the row, the workspace on disk and the sessions. Shared by
//! the HTTP API and the `autocode user` CLI so both enforce the same rules.

use sqlx::SqlitePool;

use crate::db::{self, users::User};
use crate::names;
use crate::passwords::{self, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::workspace::{Layout, PathError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("username {}", names::USERNAME_RULE)]
    InvalidUsername,
    #[error("password must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    InvalidPassword,
    #[error("role must be \"admin\" or \"user\"")]
    InvalidRole,
    #[error("a user with that name already exists")]
    Duplicate,
    #[error("no such user")]
    NotFound,
    #[error("the last admin cannot be deleted or demoted")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Hash(#[from] passwords::HashError),
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(AccountError::InvalidPassword)
    }
}

pub fn check_role(role: &str) -> Result<(), AccountError> {
    if role == db::users::ADMIN || role == db::users::USER {
        Ok(())
    } else {
        Err(AccountError::InvalidRole)
    }
}

pub async fn create(
    pool: &SqlitePool,
    layout: &Layout,
    username: &str,
    password: &str,
    role: &str,
) -> Result<User, AccountError> {
    if !names::is_valid_username(username) {
        return Err(AccountError::InvalidUsername);
    }
    check_password(password)?;
    check_role(role)?;
    let hash = passwords::hash(password.to_owned()).await?;
    let user = db::users::insert(pool, username, &hash, role)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                AccountError::Duplicate
            } else {
                AccountError::Db(e)
            }
        })?;
    if let Err(e) = layout.create_user_workspace(username) {
        // Without a workspace the account is unusable: undo the row.
        db::users::delete(pool, user.id).await?;
        return Err(e.into());
    }
    Ok(user)
}

/// Deletes the user's rows (agents, projects, keys, logs and sessions cascade) and then
/// their files. The caller stops their running work first.
pub async fn delete(
    pool: &SqlitePool,
    layout: &Layout,
    user_id: i64,
) -> Result<User, AccountError> {
    let user = db::users::get(pool, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let agent_ids = db::agents::ids_of_user(pool, user_id).await?;
    if !db::users::delete(pool, user_id).await? {
        return Err(AccountError::LastAdmin);
    }
    for id in agent_ids {
        layout.remove_tree(&layout.agent_dir(id)?)?;
    }
    layout.remove_tree(&layout.user_dir(&user.username)?)?;
    Ok(user)
}

/// Sets a new password and revokes every session but `keep`.
pub async fn set_password(
    pool: &SqlitePool,
    user_id: i64,
    password: &str,
    keep: Option<&str>,
) -> Result<(), AccountError> {
    check_password(password)?;
    let hash = passwords::hash(password.to_owned()).await?;
    if !db::users::set_password(pool, user_id, &hash).await? {
        return Err(AccountError::NotFound);
    }
    db::sessions::revoke_all_except(pool, user_id, keep).await?;
    Ok(())
}

pub async fn set_role(pool: &SqlitePool, user_id: i64, role: &str) -> Result<(), AccountError> {
    check_role(role)?;
    if db::users::get(pool, user_id).await?.is_none() {
        return Err(AccountError::NotFound);
    }
    // Roles are read from the database on every request, so this takes effect at once.
    if !db::users::set_role(pool, user_id, role).await? {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}

/// On first start there is no admin: create `admin` with the given password or a random
/// one. Returns the generated password (to print once), if one was generated.
pub async fn bootstrap_admin(
    pool: &SqlitePool,
    layout: &Layout,
    password: Option<String>,
) -> Result<Option<String>, AccountError> {
    if db::users::count_admins(pool).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (crate::tokens::random_token()[..24].to_owned(), true),
    };
    create(pool, layout, "admin", &password, db::users::ADMIN).await?;
    Ok(generated.then_some(password))
}

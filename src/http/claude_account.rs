//! The member's own Claude Code account (`/api/account/claude`): which credential their
//! agents use. The secret is write-only: reading returns its kind and last four characters,
//! read by decrypting, so a damaged record shows as unreadable rather than as a wrong hint.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, AuthUser};
use super::{Access, Route};
use crate::claude_account::login::{self, LoginPaths};
use crate::claude_account::{self, Kind};
use crate::db;
use crate::profile::Profile;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/api/account/claude",
            Access::User,
            get_account,
        ),
        Route::new(
            Method::PUT,
            "/api/account/claude",
            Access::User,
            put_account,
        ),
        Route::new(
            Method::DELETE,
            "/api/account/claude",
            Access::User,
            delete_account,
        ),
        Route::new(
            Method::POST,
            "/api/account/claude/login",
            Access::User,
            start_login,
        ),
        Route::new(
            Method::DELETE,
            "/api/account/claude/login",
            Access::User,
            end_login,
        ),
    ]
}

#[derive(Serialize, Debug, PartialEq)]
pub struct AccountView {
    /// None when the member chose nothing yet.
    kind: Option<Kind>,
    /// Last four characters of the secret; None for `login`, or when it cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    readable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

async fn view(state: &AppState, user_id: i64) -> ApiResult<AccountView> {
    let Some(row) = db::claude_accounts::get(&state.db, user_id).await? else {
        return Ok(AccountView {
            kind: None,
            hint: None,
            readable: None,
            updated_at: None,
        });
    };
    let secret = row.open(&state.master);
    let hint = secret
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(|s| crate::secrets::last4(s));
    Ok(AccountView {
        kind: Kind::parse(&row.kind),
        hint,
        readable: Some(secret.is_some()),
        updated_at: Some(row.updated_at),
    })
}

async fn get_account(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(view(&state, user.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutAccount {
    kind: Kind,
    #[serde(default)]
    value: Option<String>,
}

async fn put_account(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<PutAccount>,
) -> ApiResult<Json<AccountView>> {
    let secret = claude_account::validate(req.kind, req.value.as_deref())?;
    if req.kind == Kind::Login {
        signed_in(&state, user.id).await?;
    }
    db::claude_accounts::put(
        &state.db,
        &state.master,
        user.id,
        req.kind.as_str(),
        &secret,
    )
    .await?;
    Ok(Json(view(&state, user.id).await?))
}

/// "Log in here" counts once the CLI saved a login in the member's config home: otherwise
/// their agents would start signed out. Only the file's presence is looked at, beneath the
/// member's own directory and never through a link.
async fn signed_in(state: &AppState, user_id: i64) -> ApiResult<()> {
    let owner = db::users::get(&state.db, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let paths = LoginPaths::of_user(&state.layout.user_dir(&owner.username)?);
    let file = paths.credentials_file();
    let saved = crate::workspace::MemberDir::at(&paths.user_dir)
        .and_then(|member| member.check(&file))
        .is_ok()
        && std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file());
    if saved {
        Ok(())
    } else {
        Err(ApiError::Invalid {
            field: "kind".into(),
            reason: "Claude Code has not saved a sign-in yet: finish /login in the terminal first"
                .into(),
        })
    }
}

async fn delete_account(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    if db::claude_accounts::delete(&state.db, user.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Serialize)]
pub struct LoginSession {
    /// The tmux session whose terminal shows the CLI's sign-in.
    session: String,
}

/// Starts the member's "Log in here" session (see `claude_account::login`): Claude Code in
/// their sandbox, shown by `/api/ws/account/claude/login`, where they sign in themselves.
async fn start_login(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, Json<LoginSession>)> {
    let owner = db::users::get(&state.db, user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let paths = LoginPaths::of_user(&state.layout.user_dir(&owner.username)?);
    let profile = Profile::builtin("claude-code").map_err(ApiError::internal)?;
    let settings = crate::sandbox::Settings::from_config(&state.config.file);
    if settings.enabled {
        crate::sandbox::check(&settings)
            .await
            .map_err(ApiError::Unavailable)?;
    }
    let sandbox = state.lifecycle.member_sandbox(&paths.user_dir);
    let name = login::session_name(user.id).map_err(ApiError::internal)?;
    let tmux = state.monitor.tmux();
    if tmux.has_session(&name).await.map_err(ApiError::internal)? {
        return Err(ApiError::Conflict(
            "a login session is already open; finish or close it first".into(),
        ));
    }
    let program = login_program(&state.config.file, &profile);
    let run_dir = crate::sandbox::run_dir(state.layout.root()).join("launch");
    let cli_env = state.config.file.cli_env.clone();
    let (spec, file) = tokio::task::spawn_blocking({
        let name = name.clone();
        move || {
            login::session_spec(
                name, &sandbox, &profile, &program, &paths, &cli_env, &run_dir,
            )
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if let Err(e) = tmux.create_session(&spec).await {
        // Never started, so never read: the spec must not stay on disk.
        let _ = std::fs::remove_file(&file);
        return Err(ApiError::internal(e));
    }
    Ok((
        StatusCode::CREATED,
        Json(LoginSession {
            session: name.as_str().to_owned(),
        }),
    ))
}

/// The program a login session runs: the profile's own (`claude`) where the daemon's `PATH`
/// has it, as for an agent without `cli.command`; else the first installation the admin
/// registered for that profile.
fn login_program(file: &crate::config::FileConfig, profile: &Profile) -> String {
    let default = profile.launch.command.clone();
    let path = std::env::var("PATH").ok();
    if crate::sandbox::install::locate(&default, path.as_deref()).is_some() {
        return default;
    }
    file.cli_installations
        .values()
        .find(|i| i.profile == "claude-code")
        .map_or(default, |i| i.path.to_string_lossy().into_owned())
}

/// Ends the member's login session, whether or not the sign-in finished.
async fn end_login(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    let name = login::session_name(user.id).map_err(ApiError::internal)?;
    let tmux = state.monitor.tmux();
    if !tmux.has_session(&name).await.map_err(ApiError::internal)? {
        return Err(ApiError::NotFound);
    }
    tmux.kill_session(&name).await.map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

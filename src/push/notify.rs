//! From a project's status change to notifications: listens to the journal's broadcast,
//! decides whether the owner wants to hear about it (their settings, a muted project, the
//! cooldown, whether they are watching that project live) and hands one message per
//! subscription to the delivery queue.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::message::{About, message};
use super::{Message, Push};
use crate::controller::wording;
use crate::db::projects::ProjectStatus;
use crate::db::push::{self as store, Settings};
use crate::journal::{Journal, ProjectEvent};
use crate::ws::watching::Watching;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A question for the owner.
    NeedsHelp,
    /// A tool use the policy leaves to the owner.
    Permission,
    Completed,
    Failed,
    /// The CLI worked without output for the stall time and was interrupted (the
    /// supervisor's structured stall signal, never a log line's wording).
    Stalled,
}

impl Event {
    /// The event a journal entry means, if any.
    pub fn of(event: &ProjectEvent) -> Option<Self> {
        match event {
            ProjectEvent::Status {
                status, question, ..
            } => match status {
                ProjectStatus::NeedsHelp
                    if question
                        .as_deref()
                        .and_then(wording::permission_subject)
                        .is_some() =>
                {
                    Some(Event::Permission)
                }
                ProjectStatus::NeedsHelp => Some(Event::NeedsHelp),
                ProjectStatus::Completed => Some(Event::Completed),
                ProjectStatus::Failed => Some(Event::Failed),
                _ => None,
            },
            ProjectEvent::Stalled { .. } => Some(Event::Stalled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Event::NeedsHelp => "needs_help",
            Event::Permission => "permission",
            Event::Completed => "completed",
            Event::Failed => "failed",
            Event::Stalled => "stalled",
        }
    }

    fn wanted(self, settings: &Settings) -> bool {
        let e = &settings.events;
        match self {
            Event::NeedsHelp => e.needs_help,
            Event::Permission => e.permission,
            Event::Completed => e.completed,
            Event::Failed => e.failed,
            Event::Stalled => e.stalled,
        }
    }
}

/// The last push per project and event: a project that asks twice in a few minutes buzzes
/// once.
pub struct Cooldowns {
    period: Duration,
    last: Mutex<HashMap<(i64, Event), Instant>>,
}

impl Cooldowns {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            last: Mutex::default(),
        }
    }

    /// True (and the clock restarted) when this project and event may notify at `now`.
    pub fn allow(&self, project_id: i64, event: Event, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.retain(|_, at| now.duration_since(*at) < self.period);
        if last.contains_key(&(project_id, event)) {
            return false;
        }
        last.insert((project_id, event), now);
        true
    }
}

/// Listens until `cancel`. Runs beside the controllers, never inside them.
pub fn spawn(
    push: Push,
    db: SqlitePool,
    journal: &Journal,
    watching: Watching,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let mut events = journal.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = cancel.cancelled() => break,
                e = events.recv() => e,
            };
            match event {
                Ok(event) => {
                    let project_id = event.project_id();
                    if let ProjectEvent::Status { status, .. } = &event
                        && *status != ProjectStatus::NeedsHelp
                    {
                        // Answered (anywhere) or moved on: its buttons answer nothing now.
                        push.answers.revoke_project(project_id);
                    }
                    let Some(kind) = Event::of(&event) else {
                        continue;
                    };
                    let question = match &event {
                        ProjectEvent::Status { question, .. } => question.as_deref(),
                        _ => None,
                    };
                    let context = Context {
                        push: &push,
                        db: &db,
                        watching: &watching,
                        cancel: &cancel,
                    };
                    if let Err(e) = context.notify(project_id, kind, question).await {
                        tracing::error!(project_id, error = %e, "notification lookup failed");
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "notifications fell behind the journal");
                }
                Err(RecvError::Closed) => break,
            }
        }
    })
}

struct Context<'a> {
    push: &'a Push,
    db: &'a SqlitePool,
    watching: &'a Watching,
    cancel: &'a CancellationToken,
}

impl Context<'_> {
    async fn notify(
        &self,
        project_id: i64,
        event: Event,
        question: Option<&str>,
    ) -> sqlx::Result<()> {
        let Some((user_id, name)) = store::project_owner(self.db, project_id).await? else {
            return Ok(());
        };
        let settings = store::settings(self.db, user_id).await?;
        if !event.wanted(&settings) || settings.muted_projects.contains(&project_id) {
            return Ok(());
        }
        if self.watching.is_watching(user_id, project_id) {
            tracing::debug!(project_id, "owner is watching live; no push");
            return Ok(());
        }
        if !self.push.cooldowns.allow(project_id, event, Instant::now()) {
            tracing::debug!(project_id, event = event.as_str(), "in cooldown; no push");
            return Ok(());
        }
        let subs = if settings.channels.web_push {
            store::list(self.db, user_id).await?
        } else {
            Vec::new()
        };
        // One token for all of the member's browsers: the first answer uses it up. Only
        // for a command short enough to show whole (see `message::answerable`).
        let buttons = event == Event::Permission && super::message::answerable(question);
        let token = (buttons && !subs.is_empty()).then(|| {
            let q = question.unwrap_or_default();
            self.push
                .answers
                .issue(user_id, project_id, q, Instant::now())
        });
        let about = About {
            project_id,
            name: &name,
            event,
            question,
            answer_token: token.as_deref(),
        };
        let msg = message(&about);
        for sub in subs {
            self.push
                .delivery
                .enqueue(self.db, sub, msg.clone(), self.cancel);
        }
        send_to_channels(self.push, self.db, user_id, &msg, self.cancel).await?;
        Ok(())
    }
}

/// The member's ntfy topic, Telegram chat and e-mail address, as far as they set them up
/// (e-mail also needs the admin's SMTP server); returns how many were queued.
pub async fn send_to_channels(
    push: &Push,
    db: &SqlitePool,
    user_id: i64,
    msg: &Message,
    cancel: &CancellationToken,
) -> sqlx::Result<usize> {
    let setup = &push.channels;
    let mut queued = 0;
    for row in crate::db::channels::list(db, user_id).await? {
        let channel = match row.kind.as_str() {
            "ntfy" => super::channels::Channel::Ntfy { url: row.target },
            "telegram" => {
                let Some(token) = row.secret(&setup.master) else {
                    tracing::warn!(user_id, "the Telegram token cannot be read; skipped");
                    continue;
                };
                super::channels::Channel::Telegram {
                    api_base: setup.telegram_api_base.clone(),
                    token,
                    chat_id: row.target,
                }
            }
            "email" => {
                let Some(smtp) = smtp_server(db, &setup.master).await? else {
                    tracing::debug!(user_id, "no SMTP server is set up; e-mail skipped");
                    continue;
                };
                super::channels::Channel::Email {
                    smtp,
                    to: row.target,
                }
            }
            _ => continue,
        };
        push.delivery
            .enqueue_channel(channel, msg.clone(), setup.public_url.clone(), cancel);
        queued += 1;
    }
    Ok(queued)
}

/// The admin's SMTP server, password opened; None when none is set up.
async fn smtp_server(
    db: &SqlitePool,
    master: &crate::secrets::MasterKey,
) -> sqlx::Result<Option<super::email::Smtp>> {
    let Some(row) = crate::db::smtp::get(db).await? else {
        return Ok(None);
    };
    let (Some(security), Ok(port)) = (
        super::email::Security::parse(&row.security),
        u16::try_from(row.port),
    ) else {
        return Ok(None);
    };
    Ok(Some(super::email::Smtp {
        password: row.password(master),
        host: row.host,
        port,
        security,
        username: row.username,
        sender: row.sender,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_push_per_project_and_event_per_period() {
        let c = Cooldowns::new(Duration::from_secs(60));
        let t = Instant::now();
        assert!(c.allow(1, Event::NeedsHelp, t));
        assert!(!c.allow(1, Event::NeedsHelp, t + Duration::from_secs(59)));
        assert!(c.allow(1, Event::Completed, t), "another event");
        assert!(c.allow(2, Event::NeedsHelp, t), "another project");
        assert!(c.allow(1, Event::NeedsHelp, t + Duration::from_secs(61)));
    }
}

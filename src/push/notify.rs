//! From a project's status change to notifications: listens to the journal's broadcast,
//! decides whether the owner wants to hear about it (their settings, a muted project, the
//! cooldown, whether they are watching that project live) and hands one message per
//! subscription to the delivery queue.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use sqlx::SqlitePool;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Message, Push, Urgency};
use crate::db::projects::ProjectStatus;
use crate::db::push::{self as store, Settings};
use crate::journal::{Journal, ProjectEvent};
use crate::ws::watching::Watching;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    NeedsHelp,
    Completed,
    Failed,
}

impl Event {
    pub fn from_status(status: ProjectStatus) -> Option<Self> {
        match status {
            ProjectStatus::NeedsHelp => Some(Event::NeedsHelp),
            ProjectStatus::Completed => Some(Event::Completed),
            ProjectStatus::Failed => Some(Event::Failed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Event::NeedsHelp => "needs_help",
            Event::Completed => "completed",
            Event::Failed => "failed",
        }
    }

    fn wanted(self, settings: &Settings) -> bool {
        match self {
            Event::NeedsHelp => settings.events.needs_help,
            Event::Completed => settings.events.completed,
            Event::Failed => settings.events.failed,
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

/// The message for a project's new status, in the member's words.
pub fn message(project_id: i64, name: &str, event: Event, question: Option<&str>) -> Message {
    let (title, body, urgency) = match event {
        Event::NeedsHelp => (
            format!("{name} needs you"),
            question
                .unwrap_or("It is waiting for your answer.")
                .to_owned(),
            Urgency::High,
        ),
        Event::Completed => (
            format!("{name} is done"),
            "Every step of the plan is complete.".to_owned(),
            Urgency::Normal,
        ),
        Event::Failed => (
            format!("{name} stopped with an error"),
            "Open the project to see what went wrong.".to_owned(),
            Urgency::Normal,
        ),
    };
    Message {
        payload: json!({
            "title": title,
            "body": body,
            "url": format!("/projects/{project_id}"),
            "project_id": project_id,
            "event": event.as_str(),
            "tag": format!("project-{project_id}"),
        }),
        urgency,
        // One topic per project: a newer state replaces an undelivered older one.
        topic: format!("project-{project_id}"),
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
                Ok(ProjectEvent::Status {
                    project_id,
                    status,
                    question,
                    ..
                }) => {
                    let Some(event) = Event::from_status(status) else {
                        continue;
                    };
                    let context = Context {
                        push: &push,
                        db: &db,
                        watching: &watching,
                        cancel: &cancel,
                    };
                    if let Err(e) = context.notify(project_id, event, question.as_deref()).await {
                        tracing::error!(project_id, error = %e, "notification lookup failed");
                    }
                }
                Ok(_) => {}
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
        let msg = message(project_id, &name, event, question);
        if settings.channels.web_push {
            for sub in store::list(self.db, user_id).await? {
                self.push
                    .delivery
                    .enqueue(self.db, sub, msg.clone(), self.cancel);
            }
        }
        send_to_channels(self.push, self.db, user_id, &msg, self.cancel).await
    }
}

/// The member's ntfy topic and Telegram chat, if they set them up.
pub async fn send_to_channels(
    push: &Push,
    db: &SqlitePool,
    user_id: i64,
    msg: &Message,
    cancel: &CancellationToken,
) -> sqlx::Result<()> {
    let setup = &push.channels;
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
            _ => continue,
        };
        push.delivery
            .enqueue_channel(channel, msg.clone(), setup.public_url.clone(), cancel);
    }
    Ok(())
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

    #[test]
    fn needs_help_is_urgent_and_links_to_the_project() {
        let m = message(7, "Blog", Event::NeedsHelp, Some("Which colour?"));
        assert_eq!(m.urgency, Urgency::High);
        assert_eq!(m.payload["title"], "Blog needs you");
        assert_eq!(m.payload["body"], "Which colour?");
        assert_eq!(m.payload["url"], "/projects/7");
        assert_eq!(m.topic, "project-7");
        assert_eq!(
            message(7, "Blog", Event::Completed, None).urgency,
            Urgency::Normal
        );
    }
}

//! Typing into a project's terminal: take-over and release, text and named keys, each
//! refused unless this connection holds control of a running pane, and journaled by who
//! and when (a burst of typing as one entry, never the typed text).

use std::time::Instant;

use super::{Conn, ConnError, Terminal, TerminalNotice, TerminalRequest};
use crate::db::logs::Level;
use crate::tmux::{Key, PaneId};

/// The tmux key for a name the client sends; see `TerminalRequest::Key`.
pub fn parse_key(name: &str) -> Option<Key> {
    Key::from_name(name)
}

impl Terminal {
    async fn refuse(&self, conn: &mut Conn, message: &str) -> Result<(), ConnError> {
        conn.send_json(&TerminalNotice::Error {
            message: message.to_owned(),
        })
        .await
    }

    /// Project terminals only: a login session has no project journal (and is the member's
    /// own, with nobody else to tell).
    async fn journal(&self, message: String) {
        let Some(project_id) = self.target.project() else {
            return;
        };
        if let Err(e) = self
            .state
            .journal
            .log(project_id, None, Level::Action, &message)
            .await
        {
            tracing::error!(project_id, error = %e, "cannot journal terminal input");
        }
    }

    pub(super) async fn journal_typing(&mut self) {
        if self.typed_chars > 0 {
            let n = std::mem::take(&mut self.typed_chars);
            let plural = if n == 1 { "" } else { "s" };
            let who = self.viewer.username.clone();
            self.journal(format!(
                "{who} typed {n} character{plural} into the terminal"
            ))
            .await;
        }
        self.typed_at = None;
    }

    pub(super) async fn request(&mut self, conn: &mut Conn, text: &str) -> Result<(), ConnError> {
        let request = match serde_json::from_str::<TerminalRequest>(text) {
            Ok(request) => request,
            Err(e) => {
                return self
                    .refuse(conn, &format!("not a terminal request: {e}"))
                    .await;
            }
        };
        let connection = self.viewer.connection;
        let who = self.viewer.username.clone();
        match request {
            TerminalRequest::TakeOver => {
                // A login session is always the member's: nothing to take over.
                let Some(project_id) = self.target.project() else {
                    return self.send_control(conn).await;
                };
                self.state.lifecycle.human().take(
                    project_id,
                    self.viewer.user_id,
                    &who,
                    connection,
                );
                self.journal(format!("{who} took over the terminal")).await;
                Ok(())
            }
            TerminalRequest::Release => {
                let Some(project_id) = self.target.project() else {
                    return self.send_control(conn).await;
                };
                self.journal_typing().await;
                if self.state.lifecycle.human().release(project_id, connection) {
                    self.journal(format!("{who} released the terminal")).await;
                    Ok(())
                } else {
                    self.refuse(conn, "this terminal is not in your control")
                        .await
                }
            }
            TerminalRequest::Input { data } => {
                if data.contains('\0') {
                    return self.refuse(conn, "input cannot contain NUL").await;
                }
                let Some(pane) = self.typable(conn).await? else {
                    return Ok(());
                };
                match self
                    .tmux_send(pane, |tmux| async move {
                        tmux.send_literal(pane, &data)
                            .await
                            .map(|()| data.chars().count())
                    })
                    .await
                {
                    Some(n) => {
                        self.typed_chars += n;
                        self.typed_at = Some(Instant::now());
                        Ok(())
                    }
                    None => {
                        self.refuse(conn, "the terminal did not take the input")
                            .await
                    }
                }
            }
            TerminalRequest::Key { key: name } => {
                let Some(key) = parse_key(&name) else {
                    return self.refuse(conn, &format!("unknown key {name:?}")).await;
                };
                let Some(pane) = self.typable(conn).await? else {
                    return Ok(());
                };
                self.journal_typing().await;
                match self
                    .tmux_send(pane, |tmux| async move { tmux.send_key(pane, key).await })
                    .await
                {
                    Some(()) => {
                        self.journal(format!("{who} pressed {name} in the terminal"))
                            .await;
                        Ok(())
                    }
                    None => self.refuse(conn, "the terminal did not take the key").await,
                }
            }
        }
    }

    /// The live pane this connection may type into, or a refusal sent to the client.
    async fn typable(&self, conn: &mut Conn) -> Result<Option<PaneId>, ConnError> {
        let pane = match &self.pane {
            Some(w) if !w.exited => w.sub.pane,
            _ => {
                self.refuse(conn, "no terminal is running").await?;
                return Ok(None);
            }
        };
        let holds = match self.target.project() {
            Some(id) => self
                .state
                .lifecycle
                .human()
                .touch(id, self.viewer.connection),
            None => true,
        };
        if !holds {
            self.refuse(conn, "the terminal is read-only: take over first")
                .await?;
            return Ok(None);
        }
        Ok(Some(pane))
    }

    async fn tmux_send<T, F, Fut>(&self, pane: PaneId, send: F) -> Option<T>
    where
        F: FnOnce(crate::tmux::Tmux) -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::tmux::TmuxError>>,
    {
        let tmux = self.state.monitor.tmux().clone();
        match send(tmux).await {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::warn!(target = %self.target, %pane, error = %e, "sending to the pane failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_map_to_tmux_keys() {
        assert_eq!(parse_key("Enter"), Some(Key::Enter));
        assert_eq!(parse_key("C-c"), Some(Key::CtrlC));
        assert_eq!(parse_key("3"), Some(Key::Digit(3)));
        assert_eq!(parse_key("x"), None);
        assert_eq!(parse_key("C-x"), None);
    }
}

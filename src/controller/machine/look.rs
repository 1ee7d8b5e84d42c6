//! Acting on what the screen shows: a finished turn, a menu, an error, a dead CLI.

use tokio::time::Instant;

use super::{AfterAnswer, Effect, Machine, Message, ToolRequest, log};
use crate::controller::decide::Event;
use crate::controller::policy::Verdict;
use crate::db::logs::Level;
use crate::profile::MenuAction;
use crate::screen::{ErrorKind, State};

impl Machine {
    /// Acts on the current screen if it is new (not acted on yet) and the machine is free.
    pub(super) fn look(&mut self, now: Instant, out: &mut Vec<Effect>) {
        if !self.free() {
            return;
        }
        let Some(screen) = self.screen.clone() else {
            return;
        };
        let fresh = self.handled_seq != Some(screen.seq) && self.wake_at.is_none_or(|w| now >= w);
        if !fresh {
            return;
        }
        // Over means: work was seen and the CLI says so (its Stop hook) or its output for
        // our message is on screen. A frame between submit and the first token looks idle
        // but shows nothing below the echoed prompt yet.
        let evidence = self.turn.stop_seen || screen.turn_output;
        let turn_over = (self.turn.saw_work && evidence)
            || now.duration_since(self.turn.sent_at) >= self.config.quiet_turn_grace;
        let acted = match screen.state {
            // Text left in the box (a stray key, a put-back prompt) does not make the turn
            // any less over.
            State::Idle | State::IdleWithInput if turn_over => {
                if std::mem::take(&mut self.compacted) {
                    self.deliver(
                        Message::StateSummary,
                        "Sent a state summary after compaction".into(),
                        out,
                    );
                } else {
                    self.consult(Event::TurnFinished, out);
                }
                true
            }
            State::Permission if self.menu_answered_by_hook(now).is_some() => {
                // Most likely the request just answered through the hook, still drawn:
                // looked at again once the grace is over, if it is still there.
                self.wake_at = self.menu_answered_by_hook(now);
                false
            }
            State::Permission => {
                let shown = screen.permission.clone();
                self.permission(shown, screen.cut_short, &screen.options, out);
                true
            }
            State::Question => {
                let event = Event::Question {
                    text: screen.question.clone().unwrap_or_default(),
                    options: screen.options.clone(),
                };
                self.consult(event, out);
                true
            }
            State::ApiError => {
                let (kind, message) = screen
                    .error
                    .clone()
                    .unwrap_or((ErrorKind::Other, String::new()));
                self.api_error(kind, &message, now, out);
                true
            }
            State::Exited | State::SetupError => {
                self.restart("Claude Code exited", out);
                return;
            }
            State::TrustDialog => dialog(MenuAction::AcceptTrust, 1, out),
            State::ApiKeyDialog => dialog(MenuAction::AcceptApiKey, 1, out),
            State::BypassDialog => dialog(MenuAction::AcceptBypass, 2, out),
            State::AutoModeDialog => dialog(MenuAction::KeepManualMode, 2, out),
            _ => false,
        };
        if acted {
            self.handled_seq = Some(screen.seq);
            self.wake_at = None;
        }
    }

    /// Restarts the CLI and sends the step again.
    pub(super) fn restart(&mut self, reason: &str, out: &mut Vec<Effect>) {
        out.push(Effect::RestartCli {
            reason: reason.to_owned(),
        });
        self.screen = None;
        self.handled_seq = None;
        self.deliver(
            Message::StepPrompt,
            format!("Re-sent step {} after the restart", self.step + 1),
            out,
        );
    }

    /// Judges a permission request on the exact tool input from the CLI's hook when it
    /// names the tool on screen, on what the screen shows otherwise.
    fn permission(
        &mut self,
        shown: Option<ToolRequest>,
        cut_short: bool,
        options: &[String],
        out: &mut Vec<Effect>,
    ) {
        let hooked = self.last_tool.take();
        let (request, from_screen) = match (hooked, shown) {
            (Some(h), Some(s))
                if h.tool == s.tool && same_call(&h.subject, &s.subject, cut_short) =>
            {
                (h, false)
            }
            (Some(h), None) => (h, false),
            (_, Some(s)) => (s, true),
            (None, None) => (
                ToolRequest {
                    tool: "unknown".into(),
                    subject: String::new(),
                },
                true,
            ),
        };
        let what = describe(&request);
        let verdict = match (self.judge)(&request) {
            // A line the screen cut short may hide what the policy denies past its end:
            // never approve on it, ask the owner instead.
            Verdict::Approve if from_screen && cut_short => Verdict::AskHuman,
            verdict => verdict,
        };
        match verdict {
            Verdict::Approve => {
                out.push(Effect::AnswerMenu(MenuAction::Approve));
                out.push(log(
                    Level::Action,
                    format!("Approved {what} (your policy allows it)"),
                ));
            }
            Verdict::Deny(reason) => {
                out.push(Effect::AnswerMenu(MenuAction::Deny));
                out.push(log(Level::Action, format!("Denied {what}: {reason}")));
                self.deliver(
                    Message::Text(format!(
                        "That action ({}) was denied by the project's policy: {reason}. Do not try it again; find another way to finish the step.",
                        request.subject
                    )),
                    "Told Claude why the action was denied".into(),
                    out,
                );
            }
            Verdict::AskHuman => {
                let question = crate::controller::wording::permission_question(&what);
                self.ask(question, AfterAnswer::Permission(request), out);
            }
            Verdict::AskLlm => {
                let event = Event::Permission {
                    tool: request.tool,
                    subject: request.subject,
                    options: options.to_vec(),
                };
                self.consult(event, out);
            }
        }
    }

    fn api_error(&mut self, kind: ErrorKind, message: &str, now: Instant, out: &mut Vec<Effect>) {
        out.push(log(
            Level::Error,
            format!(
                "Claude's model API failed ({}): {message}",
                error_name(kind)
            ),
        ));
        match kind {
            ErrorKind::Auth => self.ask(
                format!(
                    "Claude Code cannot use its model API: the credentials were rejected ({message}). Fix the agent's API key, then reply to continue."
                ),
                AfterAnswer::AuthFixed,
                out,
            ),
            ErrorKind::PromptTooLong => self.deliver(
                Message::Text("/compact".into()),
                "Context is full: compacting".into(),
                out,
            ),
            _ => {
                let n = self.repeats.note(error_name(kind));
                let max = self.config.max_retries;
                if n > max {
                    self.ask(
                        format!("Claude's model API keeps failing ({message}), {n} times in a row. Reply to try again."),
                        AfterAnswer::RetryApi,
                        out,
                    );
                } else {
                    let wait = self.config.api_error_backoff * 2u32.saturating_pow(n - 1);
                    out.push(log(
                        Level::Info,
                        format!("Retrying in {} s (attempt {n} of {max})", wait.as_secs()),
                    ));
                    self.waiting = super::Waiting::Backoff(now + wait);
                }
            }
        }
    }
}

fn dialog(action: MenuAction, default: u32, out: &mut Vec<Effect>) -> bool {
    out.push(Effect::AnswerDialog { action, default });
    true
}

/// `Bash `npm test``, `Write `src/main.rs``: the tool and its subject for a log line.
pub(super) fn describe(request: &ToolRequest) -> String {
    if request.subject.is_empty() {
        request.tool.clone()
    } else {
        format!("{} `{}`", request.tool, request.subject)
    }
}

/// The error kind in words.
pub(super) fn error_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Overloaded => "overloaded",
        ErrorKind::Server => "server error",
        ErrorKind::Auth => "credentials rejected",
        ErrorKind::PromptTooLong => "context full",
        ErrorKind::Other => "other error",
    }
}

/// Whether the hook's input and the menu on screen are about the same call: the screen's
/// line (wrapped, shown relative to the workspace, or cut short, its mark at the end
/// dropped) appears within the hook's full subject. An empty hook subject or a stale one
/// from an earlier call is not used.
fn same_call(hooked: &str, shown: &str, cut_short: bool) -> bool {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown = words(shown);
    if cut_short {
        // The profile says how a cut is marked; its mark is at most three characters
        // (`…`, `...`), and dropping a real one or two only asks less of the match.
        let keep = shown.chars().count().saturating_sub(3);
        shown = shown.chars().take(keep).collect();
    }
    !hooked.trim().is_empty() && words(hooked).contains(&shown)
}

//! The owner's commands: messages (an answer when a question is open), pause and resume,
//! and a person taking the terminal over.

use tokio::time::Instant;

use super::{AfterAnswer, Effect, Machine, Message, Owner, Waiting, log};
use crate::db::logs::Level;
use crate::db::projects::ProjectStatus;
use crate::profile::MenuAction;

impl Machine {
    pub(super) fn on_owner(&mut self, cmd: Owner, now: Instant, out: &mut Vec<Effect>) {
        match cmd {
            Owner::Message { text, from } => {
                if let Waiting::Human(after) = &self.waiting {
                    let after = after.clone();
                    self.waiting = Waiting::Nothing;
                    out.push(log(Level::Info, format!("{from} replied: {text}")));
                    out.push(Effect::SetStatus(ProjectStatus::Running));
                    self.answered(after, text, from, out);
                } else {
                    // Delivered as soon as nothing else is in flight (see `resume`), once.
                    self.inbox.push_back((text, from));
                }
            }
            Owner::Pause => {
                let asking = self.asking();
                if !self.paused && !asking {
                    out.push(Effect::SetStatus(ProjectStatus::Paused));
                }
                self.paused = true;
            }
            Owner::Resume => {
                if self.paused && !self.asking() {
                    out.push(Effect::SetStatus(ProjectStatus::Running));
                }
                self.paused = false;
                self.handled_seq = None;
            }
            Owner::TakeOver => {
                if !self.human_in_control {
                    out.push(log(
                        Level::Info,
                        "Waiting: a person is in control of the terminal",
                    ));
                }
                self.human_in_control = true;
            }
            Owner::Release => {
                if self.human_in_control {
                    out.push(log(
                        Level::Info,
                        "The terminal was released; the controller continues",
                    ));
                    // What the person did counts as a new turn.
                    self.turn.reset(now);
                }
                self.human_in_control = false;
                self.handled_seq = None;
            }
        }
    }

    fn answered(&mut self, after: AfterAnswer, text: String, from: String, out: &mut Vec<Effect>) {
        match after {
            AfterAnswer::Forward => {
                self.deliver(
                    Message::Text(text),
                    format!("Sent {from}'s answer to Claude"),
                    out,
                );
            }
            AfterAnswer::Permission(request) => {
                let yes = crate::controller::wording::allows(&text);
                let what = super::look::describe(&request);
                if yes {
                    out.push(Effect::AnswerMenu(MenuAction::Approve));
                    out.push(log(
                        Level::Action,
                        format!("Approved {what} (you allowed it)"),
                    ));
                } else {
                    out.push(Effect::AnswerMenu(MenuAction::Deny));
                    out.push(log(
                        Level::Action,
                        format!("Denied {what} (you refused it)"),
                    ));
                }
            }
            AfterAnswer::AuthFixed => {
                out.push(Effect::RestartCli {
                    reason: "credentials were fixed".into(),
                });
                self.screen = None;
                self.handled_seq = None;
                self.continue_step(out);
            }
            AfterAnswer::RetryApi => {
                self.repeats.clear_errors();
                self.continue_step(out);
            }
        }
    }
}

//! Carrying out what the supervising LLM (or the rules) decided, in order; a delivery or
//! a question to the owner suspends the rest until it is answered.

use tokio::time::Instant;

use super::{AfterAnswer, Effect, Machine, Message, Waiting, log};
use crate::controller::decide::{Action, Decision, Event, Source};
use crate::db::logs::Level;

impl Machine {
    pub(super) fn on_decided(&mut self, decision: Decision, now: Instant) {
        let Waiting::Decision { event } = std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return;
        };
        if decision.source == Source::Fallback {
            self.repeats.fallbacks += 1;
        } else {
            self.repeats.fallbacks = 0;
        }
        // After a finished turn or a stall, whatever was decided starts a new turn.
        if matches!(event, Event::TurnFinished | Event::Stall { .. }) {
            self.turn.reset(now);
        }
        self.actions.extend(decision.actions);
    }

    /// Carries out decided actions until one has to wait for an answer.
    pub(super) fn run_actions(&mut self, now: Instant, out: &mut Vec<Effect>) {
        while self.waiting == Waiting::Nothing
            && !self.finished
            && let Some(action) = self.actions.pop_front()
        {
            self.act(action, now, out);
        }
    }

    fn act(&mut self, action: Action, now: Instant, out: &mut Vec<Effect>) {
        let step = self.step + 1;
        match action {
            Action::SendMessage { text } => {
                self.deliver(
                    Message::Text(text),
                    "Sent the supervisor's message to Claude".into(),
                    out,
                );
            }
            Action::AnswerPrompt { option } => {
                let option = u32::try_from(option).unwrap_or(u32::MAX);
                out.push(Effect::Choose(option));
                out.push(log(
                    Level::Action,
                    format!("Chose option {option} of the menu"),
                ));
            }
            Action::PressKey { key } => {
                out.push(log(Level::Action, format!("Pressed {}", key.words())));
                out.push(Effect::Press(key));
            }
            Action::MarkStepDone { summary } => {
                out.push(log(Level::Action, format!("Step {step} done: {summary}")));
                self.unstall(out);
                out.push(Effect::StepDone { summary });
                self.end();
            }
            Action::MarkStepFailed { reason } => {
                out.push(log(Level::Action, format!("Step {step} failed: {reason}")));
                self.unstall(out);
                out.push(Effect::StepFailed { reason });
                self.end();
            }
            edit @ (Action::AddStep { .. } | Action::UpdateStep { .. }) => {
                out.push(Effect::EditPlan(edit));
            }
            Action::AskHuman { question } => self.ask(question, AfterAnswer::Forward, out),
            Action::RestartCli => self.restart("the supervisor asked for a restart", out),
            Action::Remember { fact } => {
                out.push(log(Level::Action, format!("Remembered: {fact}")));
                out.push(Effect::Remember(fact));
            }
            Action::Wait { seconds } => {
                self.wake_at = Some(now + std::time::Duration::from_secs(seconds));
                self.handled_seq = None;
            }
        }
    }

    fn end(&mut self) {
        self.finished = true;
        self.actions.clear();
    }
}

//! The supervisor of one step as a pure state machine: [`Machine::on`] takes one input
//! (a screen change, a hook event, an owner command, a timer, an effect's result) and
//! returns the effects to carry out. No I/O and no async here: the driver
//! (`controller/supervise.rs`) owns the loop, turns the world into inputs and executes
//! effects; everything the supervisor *decides* is in this module and tested with
//! synthetic inputs.

mod actions;
mod effect;
mod hook;
mod input;
mod look;
mod owner;
mod stall;
mod turn;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

pub use effect::{Effect, Message};
pub use input::{Delivery, Hook, Input, Owner, Screen, ToolRequest};

use crate::controller::decide::{Action, Event};
use crate::controller::policy::Verdict;
use crate::db::logs::Level;
use turn::{Repeats, Turn};

/// Timings and limits; tests shorten them.
#[derive(Debug, Clone)]
pub struct Config {
    /// Working without output this long is a stall.
    pub stall_after: Duration,
    /// A turn that ends this soon after a send, without visible work, still counts.
    pub quiet_turn_grace: Duration,
    /// First wait after an API error of the CLI's model; doubles per repeat.
    pub api_error_backoff: Duration,
    /// API errors in a row retried before the owner is asked.
    pub max_retries: u32,
    /// Deliveries of one message tried before the owner is told.
    pub delivery_tries: u32,
}

/// Judges a permission request (the agent's policy); pure, so the machine may call it.
pub type Judge = Box<dyn Fn(&ToolRequest) -> Verdict + Send + Sync>;

/// What the machine is waiting for before it acts on the screen again.
#[derive(Debug, Clone, PartialEq)]
enum Waiting {
    Nothing,
    Decision {
        event: Event,
    },
    Delivery {
        message: Message,
        log: String,
        attempt: u32,
    },
    Human(AfterAnswer),
    /// Retrying after an API error at this time.
    Backoff(Instant),
}

/// What the owner's reply to a question leads to.
#[derive(Debug, Clone, PartialEq)]
enum AfterAnswer {
    /// Their reply goes to Claude.
    Forward,
    /// Their reply allows or refuses this tool call.
    Permission(ToolRequest),
    /// They fixed the credentials: restart the CLI and continue.
    AuthFixed,
    /// Try again after repeated API errors.
    RetryApi,
}

pub struct Machine {
    config: Config,
    judge: Judge,
    /// The step being supervised (0-based).
    step: usize,
    turn: Turn,
    screen: Option<Screen>,
    /// The screen (by seq) already acted on; it is not acted on twice.
    handled_seq: Option<u64>,
    repeats: Repeats,
    compacted: bool,
    /// A `wait` action: look again at this time.
    wake_at: Option<Instant>,
    /// The timer last announced to the driver.
    announced_wake: Option<Instant>,
    paused: bool,
    human_in_control: bool,
    waiting: Waiting,
    /// Decided actions not carried out yet (a delivery or a question is in between).
    actions: VecDeque<Action>,
    /// Messages from the owner waiting for the machine to be free.
    inbox: VecDeque<(String, String)>,
    /// The exact tool input from the CLI's latest PreToolUse/PermissionRequest hook.
    last_tool: Option<ToolRequest>,
    /// The `last_output` of the stall already dealt with: one stall, one interrupt.
    stall_handled: Option<Instant>,
    /// A stall was reported ([`Effect::Stalled`]) and is not over yet.
    stalled: bool,
    /// A permission answered through the CLI's hook, waiting to hear that the answer went.
    hook_answer: Option<(ToolRequest, Verdict)>,
    /// When a permission was last answered through the hook: a menu the CLI still draws
    /// for it is not answered again from the screen.
    hook_answered_at: Option<Instant>,
    finished: bool,
}

impl Machine {
    /// Supervises step `step`; `just_sent` when its prompt was just typed (a re-adopted
    /// step may already be over).
    pub fn new(config: Config, judge: Judge, step: usize, just_sent: bool, now: Instant) -> Self {
        Self {
            config,
            judge,
            step,
            turn: Turn::new(just_sent, now),
            screen: None,
            handled_seq: None,
            repeats: Repeats::default(),
            compacted: false,
            wake_at: None,
            announced_wake: None,
            paused: false,
            human_in_control: false,
            waiting: Waiting::Nothing,
            actions: VecDeque::new(),
            inbox: VecDeque::new(),
            last_tool: None,
            stall_handled: None,
            stalled: false,
            hook_answer: None,
            hook_answered_at: None,
            finished: false,
        }
    }

    /// Whether the step ended (done or failed): nothing more will be asked.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Whether the machine waits for the owner's answer.
    pub fn asking(&self) -> bool {
        matches!(self.waiting, Waiting::Human(_))
    }

    pub fn on(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        if self.finished {
            return Vec::new();
        }
        let mut out = Vec::new();
        match input {
            Input::Screen(screen) => self.on_screen(screen),
            Input::Hook(hook) => self.on_hook(hook, &mut out),
            Input::HookAnswered { taken } => self.on_hook_answered(taken, now, &mut out),
            Input::Owner(cmd) => self.on_owner(cmd, now, &mut out),
            Input::Tick => self.on_tick(now, &mut out),
            Input::Decided(decision) => self.on_decided(decision, now),
            Input::Delivered(result) => self.on_delivered(result, now, &mut out),
            Input::Restarted => {
                // A new session numbers its states afresh.
                self.screen = None;
                self.handled_seq = None;
                self.unstall(&mut out);
            }
        }
        if !self.finished {
            self.resume(now, &mut out);
        }
        let wake = if self.finished { None } else { self.deadline() };
        if wake != self.announced_wake {
            self.announced_wake = wake;
            out.push(Effect::WakeAt(wake));
        }
        out
    }

    /// Carries on with what was interrupted (decided actions, queued messages), then
    /// looks at the screen when nothing else is in flight.
    fn resume(&mut self, now: Instant, out: &mut Vec<Effect>) {
        if self.waiting != Waiting::Nothing {
            return;
        }
        self.run_actions(now, out);
        if self.waiting != Waiting::Nothing || self.finished {
            return;
        }
        // An owner's message waits for the CLI's prompt: typed mid-turn it would land in
        // whatever the CLI shows (a menu, a slash-command list) instead of the input box.
        if !self.human_in_control
            && self.at_prompt()
            && let Some((text, from)) = self.inbox.pop_front()
        {
            self.deliver(
                Message::Text(text),
                format!("Sent {from}'s message to Claude"),
                out,
            );
            return;
        }
        self.look(now, out);
    }

    fn on_screen(&mut self, screen: Screen) {
        use crate::screen::State;
        if matches!(
            screen.state,
            State::Working | State::Retrying | State::Compacting
        ) {
            self.turn.saw_work = true;
            self.compacted |= screen.state == State::Compacting;
        }
        self.screen = Some(screen);
    }

    /// The next time the machine wants to look even if nothing happens.
    fn deadline(&self) -> Option<Instant> {
        use crate::screen::State;
        if let Waiting::Backoff(at) = self.waiting {
            return Some(at);
        }
        let screen = self.screen.as_ref()?;
        let stall_at = (screen.state == State::Working
            && self.stall_handled != Some(screen.last_output))
        .then(|| screen.last_output + self.config.stall_after);
        let grace_at = (matches!(screen.state, State::Idle | State::IdleWithInput)
            && !self.turn.saw_work)
            .then(|| self.turn.sent_at + self.config.quiet_turn_grace);
        [stall_at, grace_at, self.wake_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_tick(&mut self, now: Instant, out: &mut Vec<Effect>) {
        use crate::screen::State;
        if let Waiting::Backoff(at) = self.waiting {
            if now >= at {
                self.waiting = Waiting::Nothing;
                self.continue_step(out);
            }
            return;
        }
        let Some(screen) = self.screen.clone() else {
            return;
        };
        let idle = matches!(screen.state, State::Idle | State::IdleWithInput);
        let stalled = screen.state == State::Working
            && self.stall_handled != Some(screen.last_output)
            && now >= screen.last_output + self.config.stall_after;
        if stalled && self.waiting == Waiting::Nothing && self.free() {
            self.stall(screen.last_output, out);
            return;
        }
        // The wait is over, or a quiet turn's grace ran out: look again at the same screen.
        let grace_over = idle && now >= self.turn.sent_at + self.config.quiet_turn_grace;
        if self.wake_at.is_some_and(|w| now >= w) || grace_over {
            self.wake_at = None;
            self.handled_seq = None;
            self.turn.saw_work |= grace_over;
        }
    }

    /// The CLI shows its prompt and takes input.
    fn at_prompt(&self) -> bool {
        use crate::screen::State;
        self.screen.as_ref().is_some_and(|s| {
            matches!(
                s.state,
                State::Idle | State::IdleWithInput | State::ApiError
            )
        })
    }

    /// Neither paused nor held by a person: the machine may act on the CLI.
    pub(super) fn free(&self) -> bool {
        !self.paused && !self.human_in_control
    }

    fn consult(&mut self, event: Event, out: &mut Vec<Effect>) {
        let reply = match event {
            Event::TurnFinished => self.turn.reply.clone(),
            _ => None,
        };
        out.push(Effect::Consult {
            event: event.clone(),
            prior_fallbacks: self.repeats.fallbacks,
            reply,
        });
        self.waiting = Waiting::Decision { event };
    }

    fn deliver(&mut self, message: Message, log: String, out: &mut Vec<Effect>) {
        // A wait the supervisor chose was about the turn before: the new one is judged
        // when it ends, not when the wait would have.
        self.wake_at = None;
        out.push(Effect::Deliver {
            message: message.clone(),
            log: log.clone(),
        });
        self.waiting = Waiting::Delivery {
            message,
            log,
            attempt: 1,
        };
    }

    fn ask(&mut self, question: String, after: AfterAnswer, out: &mut Vec<Effect>) {
        // The project needs help instead: the question replaces the stall in the inbox.
        self.unstall(out);
        out.push(Effect::AskHuman { question });
        self.waiting = Waiting::Human(after);
    }

    /// "Please continue" after an API error was dealt with.
    fn continue_step(&mut self, out: &mut Vec<Effect>) {
        self.deliver(
            Message::Text("Please continue with the current step.".into()),
            "Asked Claude to continue".into(),
            out,
        );
    }

    fn on_delivered(&mut self, result: Delivery, now: Instant, out: &mut Vec<Effect>) {
        let Waiting::Delivery {
            message,
            log: line,
            attempt,
        } = std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return;
        };
        match result {
            Delivery::Confirmed => {
                out.push(log(Level::Action, line));
                self.unstall(out);
                // The screen acted on stays handled: a stale error or menu is not judged
                // twice; the CLI's answer to the message is a new screen.
                self.turn.reset(now);
            }
            Delivery::Unconfirmed(why) if attempt < self.config.delivery_tries => {
                out.push(log(
                    Level::Error,
                    format!("Could not confirm that Claude took the message ({why}); trying again"),
                ));
                out.push(Effect::Deliver {
                    message: message.clone(),
                    log: line.clone(),
                });
                self.waiting = Waiting::Delivery {
                    message,
                    log: line,
                    attempt: attempt + 1,
                };
            }
            Delivery::Unconfirmed(why) => {
                out.push(log(
                    Level::Error,
                    format!("Gave up delivering a message after {attempt} tries ({why})"),
                ));
                self.handled_seq = None;
                self.ask(
                    format!(
                        "I could not confirm that Claude Code took a message ({why}). Please look at the terminal; your reply is sent to Claude."
                    ),
                    AfterAnswer::Forward,
                    out,
                );
            }
        }
    }
}

fn log(level: Level, text: impl Into<String>) -> Effect {
    Effect::Log {
        level,
        text: text.into(),
    }
}

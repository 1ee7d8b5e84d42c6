//! What the supervisor machine asks its driver to do. Effects are carried out in order;
//! [`Effect::Deliver`] and [`Effect::Consult`] each answer with an input
//! ([`super::Input::Delivered`], [`super::Input::Decided`]), and [`Effect::AskHuman`] is
//! answered by the owner's next message.

use tokio::time::Instant;

use crate::controller::decide::{Action, Event, Key};
use crate::db::logs::Level;
use crate::db::projects::ProjectStatus;
use crate::hooks::PermissionAnswer;
use crate::profile::MenuAction;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Type a message into the CLI once it takes input, and confirm it was submitted.
    Deliver { message: Message, log: String },
    /// Press one key.
    Press(Key),
    /// Interrupt the CLI's turn (its interrupt keys).
    Interrupt,
    /// Choose this option (1-based) of the menu on screen.
    Choose(u32),
    /// Answer the permission menu on screen the way the profile says.
    AnswerMenu(MenuAction),
    /// Answer the CLI's waiting permission hook (answered with [`super::Input::HookAnswered`]).
    AnswerHook(PermissionAnswer),
    /// Answer a start-up dialog the way the profile says, or with this option.
    AnswerDialog { action: MenuAction, default: u32 },
    /// Ask the supervising LLM (the rules when it cannot answer).
    /// `reply`: Claude's last reply when the CLI handed it over (a finished turn).
    Consult {
        event: Event,
        prior_fallbacks: u32,
        reply: Option<String>,
    },
    /// Ask the owner; the project needs help until they reply.
    AskHuman { question: String },
    /// The project's status changed (paused, running again).
    SetStatus(ProjectStatus),
    /// Start the CLI again (resuming its conversation).
    RestartCli { reason: String },
    /// Add or change a step of the plan (an `add_step` or `update_step` action).
    EditPlan(Action),
    /// Keep this fact in the project's memory.
    Remember(String),
    /// The CLI said its turn ended: take its idle screen as it is, without the settle time
    /// that guards against the pauses between a turn's steps.
    TrustIdle,
    /// Keep the CLI's conversation id, for resuming it.
    RecordSession(String),
    /// Look again at this time, even if nothing changes (`None`: no timer).
    WakeAt(Option<Instant>),
    /// The CLI worked `secs` without new output: the project is stalled until
    /// [`Effect::StallOver`] (the inbox lists it, the owner's phone hears of it).
    Stalled { secs: u64 },
    /// The stalled project moved on (a message taken, the turn or step over, a restart, a
    /// question for the owner instead).
    StallOver,
    /// A line for the project's log, in plain language.
    Log { level: Level, text: String },
    /// The step is done; supervising it ends.
    StepDone { summary: String },
    /// The step failed; the project stops.
    StepFailed { reason: String },
}

/// What a delivery types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    /// The current step's prompt (again, after a restart).
    StepPrompt,
    /// Where the project stands (after the CLI compacted its context).
    StateSummary,
}

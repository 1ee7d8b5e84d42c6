//! The CLI's hook events: its word that a turn began or ended, the exact input of the
//! tool it is about to use, and permissions answered before any menu is drawn.

use std::time::Duration;

use tokio::time::Instant;

use super::look::describe;
use super::{Effect, Hook, Machine, ToolRequest, log};
use crate::controller::policy::Verdict;
use crate::db::logs::Level;
use crate::hooks::PermissionAnswer;

/// How long after a permission answered through the hook a menu on screen is taken for
/// the CLI still drawing that request, and left alone; one still there later is answered.
pub(super) const HOOK_MENU_GRACE: Duration = Duration::from_secs(3);

impl Machine {
    pub(super) fn on_hook(&mut self, hook: Hook, out: &mut Vec<Effect>) {
        match hook {
            // The CLI's own word that the turn ended backs up the screen: a turn too quick
            // for any working frame to be seen still counts.
            Hook::Stop { reply } if self.turn.prompt_seen => {
                self.turn.saw_work = true;
                self.turn.stop_seen = true;
                self.turn.reply = reply;
                self.handled_seq = None;
                out.push(Effect::TrustIdle);
                self.unstall(out);
            }
            Hook::Stop { .. } | Hook::Other => {}
            // Taken from us or from a person at the terminal: a new turn, past any stall.
            Hook::PromptSubmitted => {
                self.turn.prompt_seen = true;
                self.turn.stop_seen = false;
                self.unstall(out);
            }
            Hook::ToolRequest(request) => self.last_tool = Some(request),
            Hook::PermissionAsked(request) => self.permission_asked(request, out),
            Hook::SessionStart { id } => out.push(Effect::RecordSession(id)),
        }
    }

    /// Answers a permission the policy settles (approve or deny) through the hook, so the
    /// CLI never shows its menu; one left to the owner or the supervising LLM gets no
    /// answer, and its menu is dealt with from the screen, judged on this exact input.
    fn permission_asked(&mut self, request: ToolRequest, out: &mut Vec<Effect>) {
        self.last_tool = Some(request.clone());
        if !self.free() {
            return;
        }
        let verdict = (self.judge)(&request);
        let answer = match &verdict {
            Verdict::Approve => PermissionAnswer::Allow,
            Verdict::Deny(reason) => PermissionAnswer::Deny(format!(
                "This was denied by the project's policy: {reason}. Do not try it again; find another way to finish the step."
            )),
            Verdict::AskHuman | Verdict::AskLlm => return,
        };
        out.push(Effect::AnswerHook(answer));
        self.hook_answer = Some((request, verdict));
    }

    pub(super) fn on_hook_answered(&mut self, taken: bool, now: Instant, out: &mut Vec<Effect>) {
        let Some((request, verdict)) = self.hook_answer.take() else {
            return;
        };
        if !taken {
            // Too late: the CLI shows its menu, answered from the screen.
            return;
        }
        self.hook_answered_at = Some(now);
        self.last_tool = None;
        let what = describe(&request);
        out.push(match verdict {
            Verdict::Deny(reason) => log(
                Level::Action,
                format!("Denied {what}: {reason} (Claude was told before it asked)"),
            ),
            _ => log(
                Level::Action,
                format!("Approved {what} before Claude Code asked (your policy allows it)"),
            ),
        });
    }

    /// Whether a permission menu on screen may be the one just answered through the hook.
    pub(super) fn menu_answered_by_hook(&self, now: Instant) -> Option<Instant> {
        self.hook_answered_at
            .map(|at| at + HOOK_MENU_GRACE)
            .filter(|until| now < *until)
    }
}

//! Stalls: the CLI worked for the stall time without any new output. The machine says so
//! once, as a log line for the owner and as the structured [`Effect::Stalled`] that the inbox
//! and the notifications go by, interrupts the CLI and asks the supervisor; and it says
//! [`Effect::StallOver`] once the project moved on. Progress on the screen alone does not end
//! a stall: the interrupt's own redraw looks like output, and an interrupted CLI only works
//! again once it takes a message, which its hook or our delivery reports.

use tokio::time::Instant;

use super::{Effect, Machine, log};
use crate::controller::decide::Event;
use crate::db::logs::Level;

impl Machine {
    /// A stall of the output last seen at `last_output`: reported, interrupted, judged.
    pub(super) fn stall(&mut self, last_output: Instant, out: &mut Vec<Effect>) {
        self.stall_handled = Some(last_output);
        self.stalled = true;
        let secs = self.config.stall_after.as_secs();
        out.push(log(
            Level::Error,
            crate::controller::wording::stall_line(secs),
        ));
        out.push(Effect::Stalled { secs });
        out.push(Effect::Interrupt);
        self.consult(Event::Stall { secs }, out);
    }

    /// The project moved on: a reported stall is over (said once).
    pub(super) fn unstall(&mut self, out: &mut Vec<Effect>) {
        if std::mem::take(&mut self.stalled) {
            out.push(Effect::StallOver);
        }
    }
}

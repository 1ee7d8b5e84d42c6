//! Two instants inside the daemon, read off its debug log lines through a tracing layer:
//! a `Stop` hook reaching the controller (the CLI said its turn ended) and the controller
//! pressing Enter on a typed message. With them a boundary's time splits into the CLI's
//! and the controller's own.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    StopHook,
    Enter,
}

/// The marks seen so far, oldest first.
#[derive(Clone, Default)]
pub struct Marks {
    seen: Arc<Mutex<Vec<(Instant, Mark)>>>,
}

impl Marks {
    /// Installs the layer as the process's subscriber (debug lines of the daemon only).
    pub fn install() -> Self {
        let marks = Marks::default();
        let filter = Targets::new().with_target("autocode", tracing::Level::DEBUG);
        tracing_subscriber::registry()
            .with(Recorder(marks.clone()).with_filter(filter))
            .init();
        marks
    }

    /// The first `mark` in `[after, before)`.
    pub fn first(&self, mark: Mark, after: Instant, before: Instant) -> Option<Instant> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter()
            .find(|(at, m)| *m == mark && *at >= after && *at < before)
            .map(|(at, _)| *at)
    }
}

struct Recorder(Marks);

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let at = Instant::now();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mark = match fields.message.as_str() {
            "hook" if fields.event == "Stop" => Mark::StopHook,
            "enter pressed" => Mark::Enter,
            _ => return,
        };
        let mut seen = self.0.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.push((at, mark));
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    event: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = text,
            "event" => self.event = text,
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "event" => self.event = value.to_owned(),
            _ => {}
        }
    }
}

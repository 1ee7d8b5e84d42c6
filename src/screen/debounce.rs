//! Turns a stream of per-frame classifications into state changes.
//!
//! States that mean "the turn is over" (idle, idle with input, API error) are only reported once
//! they have held for a settle time: between two steps of a turn the CLI can draw an idle-looking
//! frame for a moment. Everything else (working, a permission prompt, exit...) is reported at
//! once. Time is passed in, so tests need no clock.

use std::time::{Duration, Instant};

use super::state::{Classification, State};

/// Default time an end-of-turn state must hold before it is reported.
pub const DEFAULT_SETTLE: Duration = Duration::from_millis(300);

/// A reported change of state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// State reported before this one (`None` for the first report).
    pub previous: Option<State>,
    pub state: State,
    /// The latest classification showing the new state.
    pub classification: Classification,
    /// When the new state was first seen (for settled states this is before the report).
    pub at: Instant,
}

/// Debouncing policy.
#[derive(Debug, Clone)]
pub struct DebounceConfig {
    pub settle: Duration,
    /// States that must hold for `settle` before they are reported.
    pub settle_states: Vec<State>,
}

impl Default for DebounceConfig {
    fn default() -> Self {
        DebounceConfig {
            settle: DEFAULT_SETTLE,
            settle_states: vec![State::Idle, State::IdleWithInput, State::ApiError],
        }
    }
}

/// See the module docs. Feed every classification with [`Debouncer::feed`]; when no frame comes,
/// call [`Debouncer::poll`] at [`Debouncer::deadline`] so a settled state is still reported.
#[derive(Debug)]
pub struct Debouncer {
    config: DebounceConfig,
    reported: Option<Classification>,
    pending: Option<(Classification, Instant)>,
    /// Until then a settle state is reported without the settle time: the program said by
    /// other means (a hook) that it is done, so an idle frame is no pause between steps.
    trusted_until: Option<Instant>,
}

impl Debouncer {
    pub fn new(config: DebounceConfig) -> Self {
        Debouncer {
            config,
            reported: None,
            pending: None,
            trusted_until: None,
        }
    }

    /// The program said it finished (its Stop hook): the pending settle state, and those
    /// seen within `window` until it works again, are reported at once.
    pub fn trust_next(&mut self, now: Instant, window: Duration) -> Option<StateChange> {
        self.trusted_until = Some(now + window);
        self.poll(now)
    }

    /// The state last reported.
    pub fn current(&self) -> Option<State> {
        self.reported.as_ref().map(|c| c.state)
    }

    /// When a pending state will have settled, if one is pending.
    pub fn deadline(&self) -> Option<Instant> {
        let (_, since) = self.pending.as_ref()?;
        let settled = *since + self.config.settle;
        Some(match self.trusted_until {
            Some(until) if until > *since => (*since).min(settled),
            _ => settled,
        })
    }

    /// Takes the classification of a new frame seen at `now`; returns the change to report, if any.
    pub fn feed(&mut self, classification: Classification, now: Instant) -> Option<StateChange> {
        let unchanged = self
            .reported
            .as_ref()
            .is_some_and(|r| r.same_situation(&classification));
        if unchanged {
            self.pending = None;
            self.reported = Some(classification);
            return None;
        }
        if !self.config.settle_states.contains(&classification.state) {
            self.pending = None;
            return Some(self.report(classification, now));
        }
        let since = match &self.pending {
            Some((pending, since)) if pending.same_situation(&classification) => *since,
            _ => now,
        };
        self.pending = Some((classification, since));
        self.poll(now)
    }

    /// Reports the pending state if it has held long enough by `now`.
    pub fn poll(&mut self, now: Instant) -> Option<StateChange> {
        let deadline = self.deadline()?;
        if now < deadline {
            return None;
        }
        let (classification, since) = self.pending.take()?;
        Some(self.report(classification, since))
    }

    fn report(&mut self, classification: Classification, at: Instant) -> StateChange {
        // Trust lasts until the program works again: the end of a turn may be drawn in
        // more than one frame (a box that looks filled for a frame, then empty, or a
        // frame caught half redrawn, which reads as nothing recognisable).
        let settles = self.config.settle_states.contains(&classification.state);
        if !settles && classification.state != State::Starting {
            self.trusted_until = None;
        }
        let previous = self.current();
        self.reported = Some(classification.clone());
        StateChange {
            previous,
            state: classification.state,
            classification,
            at,
        }
    }
}

impl Default for Debouncer {
    fn default() -> Self {
        Debouncer::new(DebounceConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(state: State) -> Classification {
        Classification::new(state)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn immediate_states_are_reported_at_once_and_only_once() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        let change = d.feed(c(State::Working), t0).expect("a change is reported");
        assert_eq!(
            (change.previous, change.state, change.at),
            (None, State::Working, t0)
        );
        assert_eq!(d.feed(c(State::Working), t0 + ms(10)), None);
        let mut working = c(State::Working);
        working.context_used_percent = Some(50);
        assert_eq!(
            d.feed(working, t0 + ms(20)),
            None,
            "progress details are not a change"
        );
        let change = d
            .feed(c(State::Permission), t0 + ms(30))
            .expect("a change is reported");
        assert_eq!(change.previous, Some(State::Working));
        assert_eq!(change.at, t0 + ms(30));
    }

    #[test]
    fn a_stop_hook_reports_the_pending_idle_at_once() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("working");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(50)), None);
        let change = d
            .trust_next(t0 + ms(60), ms(1000))
            .expect("reported without the settle");
        assert_eq!(change.state, State::Idle);
    }

    #[test]
    fn a_stop_hook_before_the_idle_frame_lets_the_next_one_through() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("working");
        assert_eq!(d.trust_next(t0 + ms(10), ms(1000)), None);
        let change = d.feed(c(State::Idle), t0 + ms(20)).expect("at once");
        assert_eq!(change.state, State::Idle);
        // Trust is spent once it works again: the next pause between steps settles.
        d.feed(c(State::Working), t0 + ms(30)).expect("working");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(40)), None);
    }

    #[test]
    fn the_end_of_a_turn_drawn_in_two_frames_is_trusted_in_both() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("working");
        d.trust_next(t0 + ms(10), ms(1000));
        let first = d.feed(c(State::IdleWithInput), t0 + ms(20));
        assert_eq!(first.map(|c| c.state), Some(State::IdleWithInput));
        let second = d.feed(c(State::Idle), t0 + ms(25));
        assert_eq!(second.map(|c| c.state), Some(State::Idle), "no settle");
        // A frame caught half redrawn between two idle ones does not spend it either.
        d.feed(c(State::Starting), t0 + ms(30)).expect("reported");
        let third = d.feed(c(State::Idle), t0 + ms(35));
        assert_eq!(third.map(|c| c.state), Some(State::Idle), "no settle");
    }

    #[test]
    fn trust_expires() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("working");
        d.trust_next(t0, ms(100));
        assert_eq!(d.feed(c(State::Idle), t0 + ms(200)), None);
    }

    #[test]
    fn idle_is_reported_only_after_the_settle_time() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("a change is reported");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(100)), None);
        assert_eq!(d.deadline(), Some(t0 + ms(400)));
        assert_eq!(d.feed(c(State::Idle), t0 + ms(300)), None);
        assert_eq!(d.poll(t0 + ms(399)), None);
        let change = d.poll(t0 + ms(400)).expect("a change is reported");
        assert_eq!(change.state, State::Idle);
        assert_eq!(change.previous, Some(State::Working));
        assert_eq!(
            change.at,
            t0 + ms(100),
            "stamped with when idle was first seen"
        );
        assert_eq!(d.poll(t0 + ms(1000)), None);
        assert_eq!(
            d.feed(c(State::Idle), t0 + ms(1000)),
            None,
            "no duplicate report"
        );
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn a_flicker_of_idle_during_a_turn_is_not_reported() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("a change is reported");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(50)), None);
        assert_eq!(d.feed(c(State::Working), t0 + ms(150)), None);
        assert_eq!(d.poll(t0 + ms(1000)), None);
        assert_eq!(d.current(), Some(State::Working));
    }

    #[test]
    fn switching_between_settle_states_restarts_the_clock() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(DebounceConfig {
            settle: ms(100),
            ..DebounceConfig::default()
        });
        d.feed(c(State::Working), t0).expect("a change is reported");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(10)), None);
        assert_eq!(d.feed(c(State::IdleWithInput), t0 + ms(90)), None);
        assert_eq!(d.poll(t0 + ms(150)), None);
        let change = d
            .feed(c(State::IdleWithInput), t0 + ms(190))
            .expect("a change is reported");
        assert_eq!(change.state, State::IdleWithInput);
        assert_eq!(change.at, t0 + ms(90));
    }

    #[test]
    fn a_new_permission_prompt_is_a_new_report() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        let mut first = c(State::Permission);
        first.options = vec![crate::screen::MenuOption {
            number: 1,
            label: "Yes".into(),
            selected: true,
            numbered: true,
        }];
        let mut second = first.clone();
        second.options[0].label = "Yes, allow".into();
        assert!(d.feed(first.clone(), t0).is_some());
        assert_eq!(d.feed(first, t0 + ms(5)), None);
        assert!(d.feed(second, t0 + ms(10)).is_some());
    }

    #[test]
    fn exit_is_reported_at_once_even_from_a_pending_idle() {
        let t0 = Instant::now();
        let mut d = Debouncer::default();
        d.feed(c(State::Working), t0).expect("a change is reported");
        assert_eq!(d.feed(c(State::Idle), t0 + ms(10)), None);
        let change = d
            .feed(c(State::Exited), t0 + ms(20))
            .expect("a change is reported");
        assert_eq!(
            (change.previous, change.state),
            (Some(State::Working), State::Exited)
        );
        assert_eq!(d.poll(t0 + ms(1000)), None);
    }
}

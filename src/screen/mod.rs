//! Screen classification: the text of a coding CLI's terminal (plus optional pane metadata) in,
//! its state and details out. Pure functions and data, no I/O: the tmux driver supplies screens,
//! the profile supplies the rules (see `profile`), the controller consumes the state changes.

mod classify;
mod compiled;
mod debounce;
mod details;
mod layout;
mod meta;
mod rules;
mod state;
mod turn;

pub use classify::classify;
pub use compiled::{RulesError, ScreenRules};
pub use debounce::{DEFAULT_SETTLE, DebounceConfig, Debouncer, StateChange};
pub use meta::{PaneMeta, PaneMetaError};
pub use rules::{
    BoxCondition, DetailsSpec, ErrorKindSpec, ErrorsSpec, InputCondition, LayoutSpec, MatchSpec,
    OutputSpec, Region, RuleSpec, RulesSpec, TurnSpec,
};
pub use state::{
    ApiErrorInfo, Classification, ErrorKind, ExitInfo, MenuOption, PermissionRequest,
    QuestionRequest, RetryInfo, State,
};
pub use turn::{echoes, progress_fingerprint, turn_has_output};

//! The tmux driver and the live screens: the only module that runs the tmux binary.
//!
//! The daemon owns one tmux server on its own socket (`<data_dir>/tmux.sock`) and never
//! touches any other server. [`Tmux`] creates and kills project sessions, reads pane
//! metadata and types into panes ([`input`]); [`Monitor`] keeps every pane's current screen
//! in memory ([`Screens`]) from one control-mode client instead of polling `capture-pane`.
//! Nothing here passes user data through a shell or through tmux's format expansion.

mod control;
mod control_client;
mod error;
pub mod input;
mod maintenance;
mod monitor;
mod names;
mod screens;
mod server;
mod session;

pub use control::{ControlEvent, ControlParser, unescape};
pub use error::TmuxError;
pub use input::{Key, SubmitCheck, SubmitOptions, SubmitOutcome, Typed};
pub use monitor::{MONITOR_SESSION, Monitor, MonitorConfig};
pub use names::{PaneId, SessionName, WindowId};
pub use screens::{ScreenEvent, Screens, Snapshot};
pub use server::{DEFAULT_CALL_TIMEOUT, Tmux, version};
pub use session::{PaneInfo, SessionSpec};

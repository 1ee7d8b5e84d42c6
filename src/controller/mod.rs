//! The per-project controller.

pub mod decide;
pub mod policy;

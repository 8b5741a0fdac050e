//! What every tool's command line shares: exit codes, record counts, progress, the config file.

pub mod config;
pub mod exit;
pub mod progress;

pub use exit::{finish, Counts, Outcome};

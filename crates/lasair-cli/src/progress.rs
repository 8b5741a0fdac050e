//! A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or systemd).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting `unit`s towards `total` (a spinner when the total is unknown); hidden when
/// not `enabled` or when stderr is not a terminal.
pub fn bar(total: Option<u64>, unit: &str, enabled: bool) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = match total {
        Some(_) => {
            format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, ETA {{eta}}) {{msg}}")
        }
        None => format!("{{elapsed_precise}} {{spinner}} {{pos}} {unit} ({{per_sec}}) {{msg}}"),
    };
    let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

//! Errors that need a person (a node that cannot be reached, a disk full, a batch failing)
//! posted to a Slack incoming webhook, as Lasair's `lasairLogging` does: one line,
//! `ERROR: <host>: <tool>: <message>`; a message repeated at once is suppressed and counted,
//! and the count is told with the next different one (Lasair's `merge`).
//!
//! The webhook is configured once per process ([`configure`]: `--slack-webhook`, or
//! `LASAIR_SLACK_WEBHOOK`); without one, [`raise`] only counts. Posting never takes longer
//! than [`POST_TIMEOUT`], and a failed post is reported on stderr, never fatal.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::families::METRICS;

/// The longest a post may take; an alarm must not hold up a tool that is failing anyway.
pub const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// Repeats of one message suppressed before it is posted again anyway.
const MAX_SUPPRESSED: u32 = 20;

struct Alarms {
    url: String,
    tool: String,
    host: String,
    agent: ureq::Agent,
    /// The last message posted and how many repeats of it were suppressed since.
    last: Mutex<(String, u32)>,
}

static ALARMS: OnceLock<Alarms> = OnceLock::new();

/// A webhook's URL that is not one.
#[derive(Debug)]
pub struct BadWebhook(pub String);

impl std::fmt::Display for BadWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Slack webhook {:?} is not an http:// or https:// URL",
            self.0
        )
    }
}

impl std::error::Error for BadWebhook {}

/// Sets where `tool`'s alarms go, for the rest of the process (a second call is ignored).
pub fn configure(url: &str, tool: &str) -> Result<(), BadWebhook> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.chars().any(char::is_whitespace) {
        return Err(BadWebhook(url.to_owned()));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(POST_TIMEOUT))
        .http_status_as_error(true)
        .build()
        .into();
    let _ = ALARMS.set(Alarms {
        url: url.to_owned(),
        tool: tool.to_owned(),
        host: host_name(),
        agent,
        last: Mutex::new((String::new(), 0)),
    });
    Ok(())
}

/// Whether alarms have somewhere to go.
pub fn configured() -> bool {
    ALARMS.get().is_some()
}

/// Raises an alarm: posts `message` (a repeat of the last one is suppressed and counted).
pub fn raise(message: &str) {
    let outcome = match ALARMS.get() {
        None => "unconfigured",
        Some(alarms) => alarms.post(message),
    };
    METRICS.alarms.with_label_values(&[outcome]).inc();
}

/// The words an error's text gets when it is a full disk, so the person reading knows at
/// once.
pub fn describe_failure(error: &str) -> String {
    if error.contains("No space left on device") || error.contains("disk is full") {
        format!("disk full: {error}")
    } else {
        error.to_owned()
    }
}

impl Alarms {
    fn post(&self, message: &str) -> &'static str {
        let suppressed = {
            let mut last = match self.last.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            if last.0 == message && last.1 < MAX_SUPPRESSED {
                last.1 += 1;
                return "suppressed";
            }
            let suppressed = last.1;
            *last = (message.to_owned(), 0);
            suppressed
        };
        let mut text = format!("ERROR: {}: {}: {message}", self.host, self.tool);
        if suppressed > 0 {
            text.push_str(&format!(
                " (the message before was repeated {suppressed} more times)"
            ));
        }
        let body = serde_json::json!({ "text": text }).to_string();
        let sent = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body.as_bytes());
        match sent {
            Ok(_) => "posted",
            Err(e) => {
                eprintln!(
                    "{}: could not post an alarm to the Slack webhook: {e}",
                    self.tool
                );
                "failed"
            }
        }
    }
}

/// This machine's name, as Lasair's messages carry it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_must_be_a_url() {
        for bad in ["hooks.slack.com/x", "file:///etc/passwd", "https://a b"] {
            let err = configure(bad, "t").expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn a_full_disk_is_named_first() {
        assert_eq!(
            describe_failure("writing x: No space left on device (os error 28)"),
            "disk full: writing x: No space left on device (os error 28)"
        );
        assert_eq!(describe_failure("timed out"), "timed out");
    }
}

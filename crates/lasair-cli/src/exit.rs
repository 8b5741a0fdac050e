//! Exit codes and the end-of-run counts: 0 ok, 1 some records failed, 2 usage or setup error.

use std::fmt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// Records read, written and rejected during a run; shared between threads.
#[derive(Debug, Default)]
pub struct Counts {
    pub read: AtomicU64,
    pub written: AtomicU64,
    pub bad: AtomicU64,
}

impl Counts {
    pub fn add_read(&self, n: u64) {
        self.read.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_written(&self, n: u64) {
        self.written.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_bad(&self, n: u64) {
        self.bad.fetch_add(n, Ordering::Relaxed);
    }
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
    pub fn bad(&self) -> u64 {
        self.bad.load(Ordering::Relaxed)
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {}, written {}, bad {}",
            self.read(),
            self.written(),
            self.bad()
        )
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every record was handled (or the run was asked to stop and drained cleanly).
    Ok,
    /// Some records were bad: reported on stderr, skipped, the rest handled.
    SomeBad,
}

impl Outcome {
    pub fn from_counts(counts: &Counts) -> Self {
        if counts.bad() > 0 {
            Outcome::SomeBad
        } else {
            Outcome::Ok
        }
    }
}

/// Maps a tool's result to its exit code; a setup error is printed with its causes.
pub fn finish(tool: &str, result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::SomeBad) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{tool}: error: {}", describe(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, leaving out a cause the message above already quotes.
pub fn describe(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::describe;
    use anyhow::Context;

    #[test]
    fn causes_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io)
            .context("opening x: no such file")
            .context("config")
            .unwrap_err();
        assert_eq!(describe(&e), "config: opening x: no such file");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(describe(&e), "outer: inner");
    }
}

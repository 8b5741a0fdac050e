//! Graceful stop on SIGTERM (systemd) and SIGINT (Ctrl-C): tools finish the batch, commit, flush.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// Exit status of a second signal, as a shell reports death by that signal (128 + number).
const fn killed_by(signal: i32) -> i32 {
    128 + signal
}

/// Returns a flag set when SIGTERM or SIGINT arrives; tools check it between batches and then
/// drain and exit 0. A second signal while the flag is set ends the process at once, so a
/// stuck drain can still be interrupted.
pub fn install() -> Result<Arc<AtomicBool>, std::io::Error> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGTERM, SIGINT] {
        // The exit must be registered first: on the first signal it sees the flag still unset.
        flag::register_conditional_shutdown(signal, killed_by(signal), Arc::clone(&stop))?;
        flag::register(signal, Arc::clone(&stop))?;
    }
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn sigterm_sets_the_flag_without_ending_the_process() {
        let stop = install().expect("install handlers");
        assert!(!stop.load(Ordering::SeqCst));
        signal_hook::low_level::raise(SIGTERM).expect("raise SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(stop.load(Ordering::SeqCst), "SIGTERM did not set the flag");
    }
}

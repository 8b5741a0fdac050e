//! The user's command, run with `sh -c` over a shard's lightcurves (one JSON line each on its
//! input), printing JSON lines. It gets none of the LASAIR_* variables (where database and
//! store credentials live) and no open handle of the worker's: the worker read the
//! lightcurves and hands them over.

use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};

/// How much of a failing command's error output is kept: its end, where errors are.
const STDERR_KEPT: usize = 4096;

/// What one run of the command gave.
#[derive(Debug, Default)]
pub struct Ran {
    /// Each line it printed (a JSON value), empty lines left out.
    pub results: Vec<Vec<u8>>,
    /// Why the run failed (its exit status, or a line that is not JSON); none when it worked.
    pub error: Option<String>,
    /// The end of its error output.
    pub stderr: String,
}

/// Runs `command` once with `lines` on its input.
pub fn run(command: &str, lines: &[&[u8]]) -> io::Result<Ran> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LASAIR_") {
            cmd.env_remove(name);
        }
    }
    let mut child = cmd.spawn()?;
    let input = child.stdin.take();
    let mut stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (stderr, output) = std::thread::scope(|s| {
        let feeder = s.spawn(move || {
            let Some(mut input) = input else { return };
            for line in lines {
                // A command that stops reading (it may need no more) is no error here;
                // its exit status says whether it worked.
                if input
                    .write_all(line)
                    .and_then(|()| input.write_all(b"\n"))
                    .is_err()
                {
                    return;
                }
            }
        });
        let errors = s.spawn(move || tail(stderr));
        let mut output = Vec::new();
        let read = stdout
            .as_mut()
            .map_or(Ok(0), |o| o.read_to_end(&mut output));
        // A feeder that panicked fed less: the command's own status tells.
        let _ = feeder.join();
        let stderr = errors.join().unwrap_or_default();
        (stderr, read.map(|_| output))
    });
    let output = output?;
    let status = child.wait()?;
    Ok(judge(status, &output, stderr))
}

/// The last [`STDERR_KEPT`] bytes of a stream, as text.
fn tail(stream: Option<impl Read>) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * STDERR_KEPT {
            kept.drain(..kept.len() - STDERR_KEPT);
        }
    }
    if kept.len() > STDERR_KEPT {
        kept.drain(..kept.len() - STDERR_KEPT);
    }
    String::from_utf8_lossy(&kept).trim_end().to_owned()
}

fn judge(status: ExitStatus, output: &[u8], stderr: String) -> Ran {
    let mut ran = Ran {
        stderr,
        ..Ran::default()
    };
    for line in output.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() {
            let shown: String = String::from_utf8_lossy(line).chars().take(200).collect();
            ran.error = Some(format!("it printed a line that is not JSON: {shown:?}"));
            break;
        }
        ran.results.push(line.to_vec());
    }
    if !status.success() {
        ran.error = Some(format!("the command failed ({status})"));
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_in_and_out() {
        let ran = run("cat", &[br#"{"a":1}"#, br#"{"b":[2]}"#]).expect("ok");
        assert_eq!(ran.error, None);
        assert_eq!(
            ran.results,
            [br#"{"a":1}"#.to_vec(), br#"{"b":[2]}"#.to_vec()]
        );
    }

    #[test]
    fn a_failure_says_why_with_the_end_of_its_stderr() {
        let ran = run(
            "echo starting >&2; echo '{}'; echo broken >&2; exit 3",
            &[b"{}"],
        )
        .expect("ok");
        assert_eq!(
            ran.error.as_deref(),
            Some("the command failed (exit status: 3)")
        );
        assert_eq!(ran.stderr, "starting\nbroken");
        let ran = run("echo not json", &[]).expect("ok");
        assert!(ran.error.expect("ok").contains("not JSON: \"not json\""));
    }

    #[test]
    fn the_command_sees_no_lasair_variables_and_may_leave_its_input_unread() {
        // The test process's own environment stands for the worker's.
        std::env::set_var("LASAIR_TEST_SECRET_FOR_MINE", "hunter2");
        let ran = run(
            "env | grep -c '^LASAIR_' | sed 's/.*/{\"n\":&}/'; true",
            &[&b"{}"[..]; 10000],
        )
        .expect("ok");
        assert_eq!(ran.results, [br#"{"n":0}"#.to_vec()]);
        assert_eq!(ran.error, None);
    }
}

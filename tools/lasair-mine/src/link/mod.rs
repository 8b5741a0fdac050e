//! A connection to one worker: lines out to its input, lines back from its output, each read
//! bounded by the timeout. Over SSH ([`ssh`]) or to a process on this machine ([`local`]).

pub mod local;
pub mod ssh;

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// How the head reaches its workers.
#[derive(Debug, Clone)]
pub struct Reach {
    /// The worker binary: `lasair-mine` on the remote PATH unless given; locally, this
    /// program itself.
    pub remote_bin: Option<String>,
    /// The SSH login [default: the local user, when known].
    pub user: Option<String>,
    /// The private key [default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa; else
    /// the SSH agent].
    pub identity: Option<PathBuf>,
    /// The known_hosts file host keys are checked against.
    pub known_hosts: PathBuf,
    /// How long connecting, or any read or write, may wait.
    pub timeout: Duration,
}

/// One worker, started.
pub trait Link: Send {
    /// Writes one line (ending in a newline) to the worker.
    fn send(&mut self, line: &[u8]) -> io::Result<()>;

    /// Reads the next line into `line` (without its newline): false at the end of the
    /// worker's output; an error of kind `TimedOut` when nothing came for the timeout.
    fn recv(&mut self, line: &mut Vec<u8>) -> io::Result<bool>;

    /// Ends the worker's input and waits for it to exit, reading what it still writes; its
    /// exit status when known.
    fn finish(self: Box<Self>) -> io::Result<Option<i32>>;
}

/// Reads a line from a buffered reader into `line`, without its newline: false at the end.
fn read_line(reader: &mut impl io::BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let n = reader.read_until(b'\n', line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(n > 0)
}

/// A timed-out read, said the same way for both kinds of link.
fn timed_out(timeout: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no word from the worker for {} s", timeout.as_secs_f64()),
    )
}

//! A worker as a process on this machine (`--hosts local`): for one machine, and the demo.

use std::io::{self, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{read_line, timed_out, Link, Reach};

/// A local worker process; a thread reads its output so reads can time out.
pub struct Local {
    child: Child,
    input: Option<ChildStdin>,
    lines: Receiver<io::Result<Vec<u8>>>,
    timeout: Duration,
}

/// Starts `lasair-mine worker` (this program unless `--remote-bin` names another).
pub fn start(reach: &Reach) -> anyhow::Result<Box<dyn Link>> {
    let bin = match &reach.remote_bin {
        Some(bin) => bin.into(),
        None => std::env::current_exe()?,
    };
    let mut child = Command::new(&bin)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // Its own process group: Ctrl-C reaches the head alone, which then stops the workers
        // cleanly by closing their input.
        .process_group(0)
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {} worker: {e}", bin.display()))?;
    let input = child.stdin.take();
    let output = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("the worker's output is not a pipe"))?;
    let (tx, lines) = crossbeam_channel::bounded(256);
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 16, output);
        loop {
            let mut line = Vec::new();
            match read_line(&mut reader, &mut line) {
                Ok(true) => {
                    if tx.send(Ok(line)).is_err() {
                        return;
                    }
                }
                Ok(false) => return,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    Ok(Box::new(Local {
        child,
        input,
        lines,
        timeout: reach.timeout,
    }))
}

impl Link for Local {
    fn send(&mut self, line: &[u8]) -> io::Result<()> {
        let input = self
            .input
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "input closed"))?;
        input.write_all(line)?;
        input.flush()
    }

    fn recv(&mut self, line: &mut Vec<u8>) -> io::Result<bool> {
        match self.lines.recv_timeout(self.timeout) {
            Ok(Ok(l)) => {
                *line = l;
                Ok(true)
            }
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Disconnected) => Ok(false),
            Err(RecvTimeoutError::Timeout) => Err(timed_out(self.timeout)),
        }
    }

    fn finish(mut self: Box<Self>) -> io::Result<Option<i32>> {
        drop(self.input.take());
        loop {
            match self.lines.recv_timeout(self.timeout) {
                Ok(_) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.child.kill()?;
                    break;
                }
            }
        }
        Ok(self.child.wait()?.code())
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // A connection dropped without `finish` (lost, or the head is failing): the worker
        // must not outlive it.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

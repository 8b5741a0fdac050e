//! `lasair-mine worker`: what runs on each host, started by the head (over SSH, or locally).
//! It reads the setup and then shards from its input ([`crate::protocol`]), reads each
//! object's full lightcurve from the lightcurve store, and runs the features or the user's
//! command on them, writing results back. A thread writes its output and keeps the
//! connection alive while a shard takes long.

pub mod command;
mod object;

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use crossbeam_channel::{RecvTimeoutError, Sender};
use lasair_alert::{LineReader, Survey};
use lasair_store::LightcurveStore;

use crate::protocol::{self, Control, Done, Failed, Ready, Run, Setup, Shard, ToWorker};
use object::Object;

/// Runs the worker over `input` and `output` until its input ends.
pub fn run(input: impl BufRead, output: impl Write + Send + 'static) -> anyhow::Result<()> {
    let mut lines = input.split(b'\n');
    let first = lines
        .next()
        .transpose()
        .context("reading the setup")?
        .unwrap_or_default();
    let (to_head, writer) = {
        let heartbeat = read_setup(&first).map_or(1000, |s| s.heartbeat_ms.max(10));
        let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(1024);
        let writer = std::thread::spawn(move || write_out(rx, output, heartbeat));
        (tx, writer)
    };
    let result = serve(&first, &mut lines, &to_head);
    if let Err(e) = &result {
        let _ = to_head.send(protocol::line(&Control::Fatal(lasair_cli::exit::describe(
            e,
        ))));
    }
    drop(to_head);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer panicked")));
    result.and(written)
}

fn read_setup(line: &[u8]) -> anyhow::Result<Setup> {
    match serde_json::from_slice::<ToWorker>(line) {
        Ok(ToWorker::Setup(setup)) => Ok(setup),
        Ok(ToWorker::Shard(_)) => bail!("a shard came before the setup"),
        Err(e) => bail!("the first line is not the setup: {e}"),
    }
}

fn serve(
    first: &[u8],
    lines: &mut impl Iterator<Item = std::io::Result<Vec<u8>>>,
    to_head: &Sender<Vec<u8>>,
) -> anyhow::Result<()> {
    let setup = read_setup(first)?;
    if setup.version != protocol::VERSION {
        bail!(
            "the head is lasair-mine {}, this worker {}: install the same on every host",
            setup.version,
            protocol::VERSION
        );
    }
    let store = lasair_store::open_lightcurves(&setup.lightcurves)
        .with_context(|| format!("opening the lightcurve store {}", setup.lightcurves))?;
    let mut worker = Worker {
        store,
        reader: LineReader::default(),
        setup,
    };
    let ready = Control::Ready(Ready {
        version: protocol::VERSION.into(),
        host: host_name(),
    });
    send(to_head, protocol::line(&ready))?;
    for line in lines {
        let line = line.context("reading a shard")?;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<ToWorker>(&line) {
            Ok(ToWorker::Shard(shard)) => worker.shard(&shard, to_head)?,
            Ok(ToWorker::Setup(_)) => bail!("a second setup"),
            Err(e) => bail!("a line that is not a shard: {e}"),
        }
    }
    Ok(())
}

fn send(to_head: &Sender<Vec<u8>>, line: Vec<u8>) -> anyhow::Result<()> {
    to_head
        .send(line)
        .map_err(|_| anyhow::anyhow!("the head is gone (the output was closed)"))
}

/// This machine's name, for the head's messages.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}

/// Writes what the worker sends, and a heartbeat whenever nothing was sent for
/// `heartbeat_ms`; flushes once nothing more is waiting.
fn write_out(
    rx: crossbeam_channel::Receiver<Vec<u8>>,
    output: impl Write,
    heartbeat_ms: u64,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, output);
    let alive = protocol::line(&Control::Alive(true));
    loop {
        match rx.recv_timeout(Duration::from_millis(heartbeat_ms)) {
            Ok(line) => {
                out.write_all(&line)?;
                if rx.is_empty() {
                    out.flush()?;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                out.write_all(&alive)?;
                out.flush()?;
            }
            Err(RecvTimeoutError::Disconnected) => {
                out.flush()?;
                return Ok(());
            }
        }
    }
}

/// The worker's state: the store, and what it runs.
struct Worker {
    store: Box<dyn LightcurveStore>,
    reader: LineReader,
    setup: Setup,
}

impl Worker {
    fn survey(&self) -> Survey {
        self.setup.survey
    }

    /// Runs one shard: header, results and failures, footer.
    fn shard(&mut self, shard: &Shard, to_head: &Sender<Vec<u8>>) -> anyhow::Result<()> {
        send(to_head, protocol::line(&Control::Start(shard.id)))?;
        let mut done = Done {
            shard: shard.id,
            objects: shard.objects.len() as u64,
            ..Done::default()
        };
        let mut fail = |object_id: &str, error: String, stderr: String| {
            done.failed += 1;
            let failed = Control::Failed(Failed {
                object_id: object_id.to_owned(),
                error,
                stderr,
            });
            send(to_head, protocol::line(&failed))
        };
        let mut inputs: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut results: Vec<Vec<u8>> = Vec::new();
        for id in &shard.objects {
            let object = match Object::read(id, self.survey(), &mut *self.store, &mut self.reader) {
                Ok(Some(object)) => object,
                Ok(None) => {
                    done.skipped += 1;
                    continue;
                }
                Err(e) => {
                    fail(id, e, String::new())?;
                    continue;
                }
            };
            match &self.setup.run {
                Run::Features => match object.features(self.setup.keep_solar_system) {
                    Some(row) => results.push(row),
                    None => done.skipped += 1,
                },
                Run::Command(_) => inputs.push((id, object.line())),
            }
        }
        if let Run::Command(command) = &self.setup.run {
            results = run_command(command, &inputs, &mut fail)?;
        }
        done.results = results.len() as u64;
        let mut block = Vec::new();
        for r in &results {
            protocol::result_line(r, &mut block);
            if block.len() > 1 << 16 {
                send(to_head, std::mem::take(&mut block))?;
            }
        }
        send(to_head, block)?;
        send(to_head, protocol::line(&Control::Done(done)))
    }
}

/// The command over a shard's objects, once for them all; when that fails, once for each
/// object, to tell which it failed on (and keep the results of the others).
fn run_command(
    command: &str,
    inputs: &[(&str, Vec<u8>)],
    fail: &mut impl FnMut(&str, String, String) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let run = |lines: &[&[u8]]| command::run(command, lines).context("starting sh -c COMMAND");
    let all: Vec<&[u8]> = inputs.iter().map(|(_, l)| l.as_slice()).collect();
    let ran = run(&all)?;
    let Some(error) = ran.error else {
        return Ok(ran.results);
    };
    if let [(id, _)] = inputs {
        // Its run was the shard's.
        fail(id, error, ran.stderr)?;
        return Ok(Vec::new());
    }
    let mut results = Vec::new();
    for (id, line) in inputs {
        let one = run(&[line.as_slice()])?;
        match one.error {
            None => results.extend(one.results),
            Some(error) => fail(id, error, one.stderr)?,
        }
    }
    Ok(results)
}

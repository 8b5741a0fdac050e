//! `lasair-mine`: code run over many objects' full lightcurves on many machines over SSH, the
//! job Lasair's staff do to recompute features or run classifiers over millions of objects.
//!
//! The head ([`head`]) picks the objects ([`objects`]), cuts them into shards ([`queue`]) and
//! keeps a connection ([`link`]: SSH, or a local process) to a worker ([`worker`]) per process
//! of each host; they speak JSON lines ([`protocol`]). Results are written here ([`output`])
//! as each shard completes, exactly once whatever hosts are lost on the way.

pub mod args;
pub mod head;
pub mod hosts;
pub mod link;
pub mod objects;
pub mod output;
pub mod protocol;
pub mod queue;
pub mod worker;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lasair_alert::Survey;
use lasair_cli::Outcome;
use lasair_sql::UserQuery;

pub use args::{Args, Worker};
use head::Event;
use hosts::Host;
use link::Reach;
use output::{Format, Output, Upsert};
use protocol::{Run, Setup, Shard};

const TOOL: &str = "lasair-mine";

/// The binary's entry: the worker, or the head with the config file applied.
pub fn main(args: Args, stop: Arc<AtomicBool>) -> anyhow::Result<Outcome> {
    if args.worker.is_some() {
        worker::run(std::io::stdin().lock(), std::io::stdout())?;
        return Ok(Outcome::Ok);
    }
    let Some(args) = lasair_cli::config::effective(args, &mut std::io::stdout())? else {
        return Ok(Outcome::Ok);
    };
    run(&args, stop)
}

/// What a finished run did.
#[derive(Debug, Default)]
struct Tally {
    objects: u64,
    results: u64,
    failed: u64,
    skipped: u64,
    per_host: BTreeMap<String, u64>,
    lost: u64,
}

/// Mines: chooses the objects, runs the workers, writes the results.
pub fn run(args: &Args, stop: Arc<AtomicBool>) -> anyhow::Result<Outcome> {
    let command = args
        .run
        .as_deref()
        .context("--run is required: a shell command, or `features`")?;
    let hosts = hosts(args)?;
    let lightcurves = args
        .lightcurves
        .clone()
        .context("--lightcurves is required: the lightcurve store as the hosts reach it")?;
    let mut db = match &args.db {
        Some(url) if args.ids.is_none() || args.survey.is_none() => {
            Some(lasair_service::open(url, args.survey, true)?)
        }
        _ => None,
    };
    let survey = match (args.survey, &db) {
        (Some(s), _) => s,
        (None, Some(db)) => db.catalog().survey.parse::<Survey>()?,
        (None, None) => bail!("give --survey (ztf or lsst), or --db to read it from"),
    };
    let run = match command {
        "features" if survey == Survey::Lsst => bail!(
            "--run features: an LSST object's row needs the diaObject each alert carries, which \
             the lightcurve store does not keep; mine ZTF objects, or run a command"
        ),
        "features" => Run::Features,
        other => Run::Command(other.to_owned()),
    };
    let upsert = if args.upsert {
        if run != Run::Features {
            bail!("--upsert writes the rows of --run features, not a command's output");
        }
        let url = args.db.as_deref().context("--upsert needs --db")?;
        Some(Upsert::new(lasair_service::open(
            url,
            Some(survey),
            false,
        )?)?)
    } else {
        None
    };
    let chosen = choose(args, survey, db.as_mut())?;
    drop(db);
    let timeout = Duration::from_secs(args.timeout.unwrap_or(60).max(1));
    let setup = Setup {
        version: protocol::VERSION.into(),
        survey,
        lightcurves,
        run,
        heartbeat_ms: (timeout.as_millis() as u64 / 4).clamp(100, 10_000),
        keep_solar_system: args.keep_solar_system.unwrap_or(false),
    };
    let reach = reach(args, timeout)?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("--output {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut output = Output::new(args.format.unwrap_or(Format::Json), out, upsert);
    let shard_size = args.shard.unwrap_or(100).max(1);
    let shards: Vec<Shard> = chosen
        .ids
        .chunks(shard_size)
        .enumerate()
        .map(|(i, ids)| Shard {
            id: i as u64,
            objects: ids.to_vec(),
        })
        .collect();
    let started = Instant::now();
    let (tally, left) = mine(&hosts, &reach, &setup, shards, &mut output, &stop)?;
    finish(&tally, left, chosen.bad, started, &stop)
}

fn hosts(args: &Args) -> anyhow::Result<Vec<Host>> {
    let processes = args.processes.unwrap_or(1).max(1);
    match (&args.hosts, &args.hosts_file) {
        (Some(list), None) => hosts::from_list(list, processes),
        (None, Some(file)) => hosts::from_file(file, processes),
        (Some(_), Some(_)) => bail!("give --hosts or --hosts-file, not both"),
        (None, None) => {
            bail!("--hosts or --hosts-file is required (`--hosts local` runs on this machine)")
        }
    }
}

/// The objects: `--ids FILE` (or `-`), else the query on --db, else standard input.
fn choose(
    args: &Args,
    survey: Survey,
    db: Option<&mut lasair_db::Db>,
) -> anyhow::Result<objects::Chosen> {
    let stdin = || -> anyhow::Result<objects::Chosen> {
        if std::io::stdin().is_terminal() {
            bail!(
                "no objects: give --ids FILE, --db (with --where), or objectIds on standard input"
            );
        }
        objects::from_lines(std::io::stdin().lock(), "standard input", survey)
    };
    match (&args.ids, db) {
        (Some(path), _) if path.as_os_str() == "-" => stdin(),
        (Some(path), _) => {
            let file =
                std::fs::File::open(path).with_context(|| format!("--ids {}", path.display()))?;
            objects::from_lines(
                std::io::BufReader::new(file),
                &path.display().to_string(),
                survey,
            )
        }
        (None, Some(db)) => {
            let query = UserQuery {
                select: args
                    .select
                    .clone()
                    .unwrap_or_else(|| format!("objects.{}", db.catalog().key)),
                tables: args.tables.clone(),
                conditions: args.conditions.clone(),
                ..UserQuery::default()
            };
            let max = args.max_objects.unwrap_or(10_000_000);
            objects::from_query(db, survey, &query, max, Duration::from_secs(3600))
        }
        (None, None) => stdin(),
    }
}

fn reach(args: &Args, timeout: Duration) -> anyhow::Result<Reach> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let user = args.user.clone().or_else(local_user);
    let known_hosts = match (&args.known_hosts, &home) {
        (Some(k), _) => k.clone(),
        (None, Some(home)) => home.join(".ssh/known_hosts"),
        (None, None) => bail!("give --known-hosts: HOME is not set"),
    };
    Ok(Reach {
        remote_bin: args.remote_bin.clone(),
        user,
        identity: args.identity.clone(),
        known_hosts,
        timeout,
    })
}

/// The local user's name: USER, LOGNAME, or what `id -un` says.
fn local_user() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(|| {
            let out = std::process::Command::new("id").arg("-un").output().ok()?;
            let name = String::from_utf8(out.stdout).ok()?.trim().to_owned();
            (out.status.success() && !name.is_empty()).then_some(name)
        })
}

/// Runs the connections and writes each completed shard; the tally, and the objects left
/// undone.
fn mine(
    hosts: &[Host],
    reach: &Reach,
    setup: &Setup,
    shards: Vec<Shard>,
    output: &mut Output,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<(Tally, usize)> {
    let sizes: Vec<usize> = shards.iter().map(|s| s.objects.len()).collect();
    let total: usize = sizes.iter().sum();
    let queue = Arc::new(queue::Queue::new(shards, Arc::clone(stop)));
    let (tx, events) = crossbeam_channel::bounded(64);
    let threads = head::start(hosts, reach, setup, &queue, &tx);
    drop(tx);
    let mut writer = Writer {
        bar: lasair_cli::progress::bar(Some(total as u64), "objects", true),
        tally: Tally::default(),
        output,
        reader_gone: false,
        stop,
    };
    while let Ok(event) = events.recv() {
        if let Err(e) = writer.event(event) {
            stop.store(true, Ordering::SeqCst);
            // Connections waiting to hand over a shard see that no one listens, and end.
            drop(events);
            for t in threads {
                let _ = t.join();
            }
            return Err(e);
        }
    }
    for t in threads {
        let _ = t.join();
    }
    writer.bar.finish_and_clear();
    match writer.output.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => writer.reader_gone = true,
        other => other.context("writing the results")?,
    }
    let left = if writer.reader_gone {
        0
    } else {
        queue.objects_left(&sizes)
    };
    Ok((writer.tally, left))
}

/// What the connections' events become: output, messages, the progress bar and the tally.
struct Writer<'a> {
    bar: indicatif::ProgressBar,
    tally: Tally,
    output: &'a mut Output,
    /// The output's reader went away (`| head`): the run stops quietly.
    reader_gone: bool,
    stop: &'a AtomicBool,
}

impl Writer<'_> {
    fn say(&self, text: String) {
        self.bar.suspend(|| eprintln!("{TOOL}: {text}"));
    }

    fn event(&mut self, event: Event) -> anyhow::Result<()> {
        match event {
            Event::Ready { .. } => {}
            Event::Said { host, text } => self.say(format!("{host}: {text}")),
            Event::Lost {
                host,
                error,
                given_back,
            } => {
                self.tally.lost += 1;
                let again = match given_back {
                    0 => String::new(),
                    n => format!(" ({n} shards to run elsewhere)"),
                };
                self.say(format!("{host}: lost: {error}{again}"));
            }
            Event::Shard {
                host,
                results,
                failed,
                done,
            } => self.shard(host, &results, &failed, done)?,
        }
        Ok(())
    }

    fn shard(
        &mut self,
        host: String,
        results: &[Vec<u8>],
        failed: &[protocol::Failed],
        done: protocol::Done,
    ) -> anyhow::Result<()> {
        for f in failed {
            let stderr = match f.stderr.as_str() {
                "" => String::new(),
                text => format!("; its error output:\n  {}", text.replace('\n', "\n  ")),
            };
            self.say(format!(
                "{host}: object {}: {}{stderr}",
                f.object_id, f.error
            ));
        }
        let t = &mut self.tally;
        t.objects += done.objects;
        t.results += done.results;
        t.failed += done.failed;
        t.skipped += done.skipped;
        *t.per_host.entry(host).or_default() += done.objects;
        if !self.reader_gone {
            if let Err(e) = self.output.shard(results) {
                if !is_broken_pipe(&e) {
                    return Err(e);
                }
                self.reader_gone = true;
                self.stop.store(true, Ordering::SeqCst);
            }
        }
        self.bar.set_position(self.tally.objects);
        self.bar.set_message(by_host(&self.tally));
        Ok(())
    }
}

/// `host count, ...` of the objects each host has done.
fn by_host(tally: &Tally) -> String {
    let hosts: Vec<String> = tally
        .per_host
        .iter()
        .map(|(h, n)| format!("{h} {n}"))
        .collect();
    hosts.join(", ")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe),
            )
    })
}

/// The closing line, and the exit: 1 when an object failed, an id was refused, a host was
/// lost or the run was stopped; an error when objects were left with no worker to run them.
fn finish(
    tally: &Tally,
    left: usize,
    bad_ids: u64,
    started: Instant,
    stop: &AtomicBool,
) -> anyhow::Result<Outcome> {
    let seconds = started.elapsed().as_secs_f64();
    let hosts = by_host(tally);
    eprintln!(
        "{TOOL}: {} objects in {seconds:.2} s ({:.0} objects/s): {} results, {} failed, {} skipped; by host: {}",
        tally.objects,
        tally.objects as f64 / seconds.max(1e-9),
        tally.results,
        tally.failed,
        tally.skipped,
        if hosts.is_empty() { "none" } else { &hosts },
    );
    if left > 0 && stop.load(Ordering::SeqCst) {
        eprintln!("{TOOL}: stopped: {left} objects not mined");
        return Ok(Outcome::SomeBad);
    }
    if left > 0 {
        bail!("{left} objects were not mined: no worker was left to run them");
    }
    if tally.failed > 0 || bad_ids > 0 || tally.lost > 0 {
        return Ok(Outcome::SomeBad);
    }
    Ok(Outcome::Ok)
}

//! `lasair-ingest`: alerts in (Avro files or Kafka); cutouts to a folder tree, lightcurves to
//! the lightcurve store, one JSON line per alert out. A batch's offsets are committed only
//! after its cutouts are synced, its lightcurves committed and its JSON flushed.

mod args;
mod batch;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lasair_alert::{Decoder, Survey, WireSchemas};
use lasair_cli::{Counts, Outcome};
use lasair_store::{open_lightcurves, CutoutStore};
use lasair_stream::{open_sink, open_source, KafkaOptions, SourceKind};

pub use args::Args;
pub use batch::Stages;

/// The counts of a finished run.
#[derive(Debug, Default)]
pub struct Report {
    pub counts: Counts,
    /// Alerts decoded (a container may hold several, so this can exceed messages read).
    pub alerts: u64,
    pub seconds: f64,
}

/// The binary's entry: config file, `--print-config`, signals, then [`run`].
pub fn main(args: Args) -> anyhow::Result<Outcome> {
    let args = match &args.config {
        Some(path) => {
            let file: Args = lasair_cli::config::load_section(path, "ingest")?;
            args.clone().merged(file)
        }
        None => args,
    };
    if args.print_config {
        print!(
            "[ingest]\n{}",
            toml::to_string(&args).context("printing the config")?
        );
        return Ok(Outcome::Ok);
    }
    let shutdown = lasair_stream::shutdown::install().context("installing signal handlers")?;
    let quiet = args.quiet;
    let report = run(args, shutdown)?;
    if !quiet {
        eprintln!(
            "lasair-ingest: {} messages read, {} alerts, {} written, {} bad in {:.2}s ({:.0} alerts/s)",
            report.counts.read(),
            report.alerts,
            report.counts.written(),
            report.counts.bad(),
            report.seconds,
            report.alerts as f64 / report.seconds.max(1e-9)
        );
    }
    Ok(Outcome::from_counts(&report.counts))
}

/// Runs the ingest until the input ends or `shutdown` is set (then drains the current batch).
pub fn run(args: Args, shutdown: Arc<AtomicBool>) -> anyhow::Result<Report> {
    let started = Instant::now();
    let survey: Survey = args
        .survey
        .as_deref()
        .context("--survey is required (ztf or lsst)")?
        .parse()
        .map_err(anyhow::Error::msg)?;
    let wire = match (&args.schema, &args.schema_registry) {
        (Some(_), Some(_)) => bail!("give --schema or --schema-registry, not both"),
        (Some(path), None) => Some(WireSchemas::from_path(path).map_err(anyhow::Error::msg)?),
        (None, Some(url)) => Some(WireSchemas::registry(url)),
        (None, None) => None,
    };
    let kafka = kafka_options(&args)?;
    let inputs = if args.inputs.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.inputs.clone()
    };
    let mut source = open_source(&inputs, SourceKind::AvroFiles, &kafka)?;
    let mut sink = open_sink(args.output.as_deref().unwrap_or("-"), &kafka)?;
    let lightcurves = args
        .lightcurves
        .as_deref()
        .map(open_lightcurves)
        .transpose()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let mut stages = Stages {
        decoder: Decoder::new(survey, wire),
        cutouts: args.cutouts.clone().map(CutoutStore::new),
        lightcurves,
        pool,
    };

    let report = Report::default();
    let mut alerts = 0;
    let progress = lasair_cli::progress::bar(None, "alerts", !args.quiet);
    let batch_size = args.batch.unwrap_or(1000).max(1);
    let wait = Duration::from_millis(args.wait_ms.unwrap_or(500));
    while !shutdown.load(Ordering::Relaxed) {
        let messages = match source.next_batch(batch_size, wait) {
            Ok(messages) => messages,
            // An unreadable file is a bad input like any other: reported, counted, skipped.
            Err(e) => {
                report.counts.add_bad(1);
                eprintln!("lasair-ingest: {e}");
                continue;
            }
        };
        if messages.is_empty() {
            if source.finished() {
                break;
            }
            continue;
        }
        report.counts.add_read(messages.len() as u64);
        let done = stages.process(&messages, sink.as_mut(), &report.counts);
        let n = match done {
            Ok(n) => n,
            Err(e) if e.is_broken_pipe() => break,
            Err(e) => return Err(e.into()),
        };
        source.commit()?;
        alerts += n;
        progress.inc(n);
    }
    progress.finish_and_clear();
    Ok(Report {
        alerts,
        seconds: started.elapsed().as_secs_f64(),
        ..report
    })
}

fn kafka_options(args: &Args) -> anyhow::Result<KafkaOptions> {
    let extra = args
        .kafka_option
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .with_context(|| format!("--kafka-option {kv:?} is not KEY=VALUE"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(KafkaOptions {
        group: args.group.clone(),
        extra,
        client_id: "lasair-ingest".into(),
    })
}

//! `lasair-ingest`: alerts in (Avro files or Kafka); cutouts to a folder tree, lightcurves to
//! the lightcurve store, one JSON line per alert out. A batch's offsets are committed only
//! after its cutouts are synced, its lightcurves committed and its JSON flushed.

mod args;
mod batch;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lasair_alert::{Decoder, Survey, WireSchemas};
use lasair_cli::{Counts, Outcome};
use lasair_store::{open_lightcurves, CutoutStore};
use lasair_stream::{
    open_sink, open_source, run_batches, KafkaOptions, Sink, Source, SourceKind, Step,
};

pub use args::Args;

const TOOL: &str = "lasair-ingest";
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
    let Some(args) = lasair_cli::config::effective(args, &mut std::io::stdout())? else {
        return Ok(Outcome::Ok);
    };
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
    let (mut source, mut sink, mut stages) = open(&args)?;
    let report = Report::default();
    let mut alerts = 0;
    let progress = lasair_cli::progress::bar(None, "alerts", !args.quiet);
    let batch_size = args.batch.unwrap_or(1000).max(1);
    let wait = Duration::from_millis(args.wait_ms.unwrap_or(500));
    let counts = &report.counts;
    let drained = run_batches(
        source.as_mut(),
        batch_size,
        wait,
        &shutdown,
        TOOL,
        |messages| {
            counts.add_read(messages.len() as u64);
            match stages.process(messages, sink.as_mut(), counts) {
                Ok(n) => {
                    alerts += n;
                    progress.inc(n);
                    Ok(Step::Commit)
                }
                Err(e) if e.is_broken_pipe() => Ok(Step::Stop),
                Err(e) => Err(anyhow::Error::from(e)),
            }
        },
    )?;
    counts.add_bad(drained.bad_inputs);
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    Ok(Report {
        alerts,
        seconds,
        ..report
    })
}

/// What a run reads from, writes to, and does in between.
type Pipeline = (Box<dyn Source>, Box<dyn Sink>, Stages);

/// The source, the sink and the stages the arguments name.
fn open(args: &Args) -> anyhow::Result<Pipeline> {
    let survey: Survey = args
        .survey
        .as_deref()
        .context("--survey is required (ztf or lsst)")?
        .parse()?;
    let wire = match (&args.schema, &args.schema_registry) {
        (Some(_), Some(_)) => bail!("give --schema or --schema-registry, not both"),
        (Some(path), None) => Some(WireSchemas::from_path(path).map_err(anyhow::Error::msg)?),
        (None, Some(url)) => Some(WireSchemas::registry(url)),
        (None, None) => None,
    };
    let kafka = kafka_options(args)?;
    let stdin = vec!["-".to_owned()];
    let inputs = if args.inputs.is_empty() {
        &stdin
    } else {
        &args.inputs
    };
    let source = open_source(inputs, SourceKind::AvroFiles, &kafka)?;
    let sink = open_sink(args.output.as_deref().unwrap_or("-"), &kafka)?;
    let lightcurves = args
        .lightcurves
        .as_deref()
        .map(open_lightcurves)
        .transpose()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let stages = Stages {
        decoder: Decoder::new(survey, wire),
        cutouts: args.cutouts.clone().map(CutoutStore::new),
        lightcurves,
        pool,
    };
    Ok((source, sink, stages))
}

fn kafka_options(args: &Args) -> anyhow::Result<KafkaOptions> {
    let (group, pairs) = (args.group.clone(), &args.kafka_option);
    Ok(KafkaOptions::from_settings(group, pairs, TOOL)?)
}

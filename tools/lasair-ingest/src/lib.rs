//! `lasair-ingest`: alerts in (Avro files or Kafka); cutouts to the cutout store, lightcurves to
//! the lightcurve store, one JSON line per alert out. A batch's offsets are committed only
//! after its cutouts are durable, its lightcurves committed and its JSON flushed.

mod args;
mod batch;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context};
use lasair_alert::avro::DEFAULT_MAX_ALERT_BYTES;
use lasair_alert::{Decoder, WireSchemas};
use lasair_cli::{Counts, Outcome};
use lasair_store::{open_cutouts, open_lightcurves};
use lasair_stream::{open_sink, run_stage, Sink, Source, SourceKind};

pub use args::{Args, DEFAULTS};

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
    let quiet = args.stream.quiet;
    if !quiet {
        eprintln!("lasair-ingest: allocator {}", lasair_alloc::settings());
    }
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
    let (mut source, mut sink, mut stages) = open(&args)?;
    args.stream.monitor(TOOL, env!("CARGO_PKG_VERSION"))?;
    let counts = Counts::default();
    let run = run_stage(
        &args.stream,
        &DEFAULTS,
        TOOL,
        source.as_mut(),
        &shutdown,
        &counts,
        |messages| stages.process(messages, sink.as_mut(), &counts),
    )?;
    Ok(Report {
        counts,
        alerts: run.records,
        seconds: run.seconds,
    })
}

/// What a run reads from, writes to, and does in between.
type Pipeline = (Box<dyn Source>, Box<dyn Sink>, Stages);

/// The source, the sink and the stages the arguments name.
fn open(args: &Args) -> anyhow::Result<Pipeline> {
    let survey = args.survey.context("--survey is required (ztf or lsst)")?;
    let max_alert_bytes = args.max_alert_bytes.unwrap_or(DEFAULT_MAX_ALERT_BYTES);
    if max_alert_bytes == 0 {
        bail!("--max-alert-bytes must be at least 1");
    }
    let wire = match (&args.schema, &args.schema_registry) {
        (Some(_), Some(_)) => bail!("give --schema or --schema-registry, not both"),
        (Some(path), None) => Some(WireSchemas::from_path(path).map_err(anyhow::Error::msg)?),
        (None, Some(url)) => Some(WireSchemas::registry(url)),
        (None, None) => None,
    };
    let kafka = args.stream.kafka(TOOL)?;
    let source = args.stream.source(SourceKind::AvroFiles, &kafka)?;
    let sink = open_sink(args.output.as_deref().unwrap_or("-"), &kafka)?;
    let lightcurves = args
        .lightcurves
        .as_deref()
        .map(open_lightcurves)
        .transpose()?;
    let stages = Stages {
        decoder: Decoder::new(survey, wire).with_max_alert_bytes(max_alert_bytes),
        cutouts: args.cutouts.as_deref().map(open_cutouts).transpose()?,
        lightcurves,
        pool: args.stream.pool()?,
    };
    Ok((source, sink, stages))
}

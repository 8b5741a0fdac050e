//! The command line: options, where alerts go (a folder or Kafka), pacing, the summary line.

use std::fmt;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use lasair_alert::Survey;
use lasair_cli::Outcome;
use lasair_simulator::{set_schema_id, LsstSchema, SimConfig, Simulation};

use crate::output::Output;

/// Simulates realistic ZTF or LSST alerts in their real wire formats (ZTF: one Avro object
/// container file per alert; LSST: Confluent wire-format messages), each object's alerts
/// carrying its growing lightcurve. The same seed gives byte-identical alerts.
#[derive(Debug, Clone, Parser)]
#[command(name = "lasair-sim", version, about)]
pub struct Args {
    /// Survey to simulate: ztf or lsst.
    #[arg(long, default_value = "ztf")]
    pub survey: Survey,

    /// Number of alerts to produce (exactly).
    #[arg(long, default_value_t = 1000)]
    pub alerts: usize,

    /// Number of objects the alerts come from (fewer if there are fewer alerts; more if one
    /// would need over 150 alerts).
    #[arg(long, default_value_t = 100)]
    pub objects: usize,

    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Leave out the three FITS cutouts.
    #[arg(long)]
    pub no_cutouts: bool,

    /// Where alerts go: a folder (ZTF `<candid>.avro` files; LSST `<diaSourceId>.bin` wire
    /// messages and `schema.avsc`) or `kafka://HOST:PORT/TOPIC` (keyed by object id).
    #[arg(long)]
    pub out: Option<String>,

    /// Alerts per second; 0 sends as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,

    /// Rubin's alert schema for LSST alerts: 10.0 (lsst.v10_0, Rubin's first alerts) or 11.0
    /// (lsst.v11_0, the newest).
    #[arg(long, default_value_t = LsstSchema::V10_0)]
    pub lsst_schema: LsstSchema,

    /// Schema id written into LSST wire messages (default: Rubin's id of --lsst-schema, 1000
    /// for 10.0, 1100 for 11.0).
    #[arg(long)]
    pub schema_id: Option<u32>,

    /// Extra librdkafka producer settings for Kafka output, KEY=VALUE, repeatable.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    pub kafka_option: Vec<String>,

    /// Write the survey's writer schema as one self-contained .avsc file (what
    /// `lasair-ingest --schema` loads for LSST).
    #[arg(long, value_name = "FILE")]
    pub write_schema: Option<PathBuf>,

    /// Also write catalogues that explain the simulated sky (galaxies.csv, stars.csv,
    /// qsos.csv: host galaxies of supernovae, stars under variables, quasars under AGN) into
    /// this folder, for `lasair-sherlock catalogue add`.
    #[arg(long, value_name = "FOLDER")]
    pub catalogues: Option<PathBuf>,
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub alerts: usize,
    pub objects: usize,
    pub bytes: u64,
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} alerts of {} objects, {:.1} MB in {:.2} s ({:.0} alerts/s)",
            self.alerts,
            self.objects,
            self.bytes as f64 / 1e6,
            self.seconds,
            self.alerts as f64 / self.seconds.max(1e-9)
        )
    }
}

/// The binary's entry: runs until done or SIGTERM/SIGINT (then flushes what was sent) and
/// prints the summary on stderr.
pub fn main(args: Args) -> anyhow::Result<Outcome> {
    let stop = lasair_stream::shutdown::install().context("installing signal handlers")?;
    let summary = run_until(&args, &stop)?;
    eprintln!("lasair-sim: {} {summary}", args.survey);
    Ok(Outcome::Ok)
}

/// Simulates and writes the alerts (and the schema, if asked).
pub fn run(args: &Args) -> anyhow::Result<Summary> {
    run_until(args, &AtomicBool::new(false))
}

/// As [`run`], stopping early (after flushing what was written) once `stop` is set.
pub fn run_until(args: &Args, stop: &AtomicBool) -> anyhow::Result<Summary> {
    let started = Instant::now();
    if args.out.is_none() && args.write_schema.is_none() && args.catalogues.is_none() {
        bail!(
            "nothing to do: give --out FOLDER|kafka://HOST:PORT/TOPIC, --write-schema FILE or --catalogues FOLDER"
        );
    }
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        bail!(
            "--rate must be 0 or more alerts per second, not {}",
            args.rate
        );
    }
    let cfg = SimConfig {
        survey: args.survey,
        alerts: args.alerts,
        objects: args.objects,
        seed: args.seed,
        cutouts: !args.no_cutouts,
        lsst_schema: args.lsst_schema,
    };
    let sim = Simulation::new(&cfg)?;
    if let Some(path) = &args.write_schema {
        fs::write(path, sim.schema_json())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(dir) = &args.catalogues {
        sim.context_catalogues(args.seed)
            .write(dir)
            .with_context(|| format!("writing catalogues into {}", dir.display()))?;
    }
    let mut summary = Summary {
        alerts: 0,
        objects: sim.objects(),
        bytes: 0,
        seconds: 0.0,
    };
    let Some(spec) = &args.out else {
        return Ok(summary);
    };
    let mut out = Output::open(spec, &sim, &args.kafka_option)?;
    let reframe = args
        .schema_id
        .filter(|id| sim.needs_schema() && *id != args.lsst_schema.schema_id());
    let sending = Instant::now();
    for (i, alert) in sim.enumerate() {
        let mut alert = alert?;
        if let Some(id) = reframe {
            set_schema_id(&mut alert.payload, id);
        }
        if args.rate > 0.0 {
            pace(
                sending + Duration::from_secs_f64(i as f64 / args.rate),
                stop,
            );
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        out.write(&alert)?;
        summary.alerts += 1;
        summary.bytes += alert.payload.len() as u64;
    }
    out.finish()?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Waits until `due`, in short naps so that a stop request is not kept waiting.
fn pace(due: Instant, stop: &AtomicBool) {
    const NAP: Duration = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(NAP));
    }
}

//! `lasair-sync gw`: gravitational-wave sky maps (lasair-service's `mma`), from a map file
//! (`gw add`) or from the IGWN notices of GCN's Kafka topic `igwn.gwalert` (`gw --from`),
//! each reported as one JSON line; offsets are committed after a batch's maps are stored.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use lasair_cli::{Counts, Outcome};
use lasair_db::Db;
use lasair_service::mma::notice::{self, Applied};
use lasair_service::mma::{self, Event, Rule};
use lasair_service::ServiceError;
use lasair_sky::skymap::Skymap;
use lasair_stream::{run_stage, Failed, SourceKind, StageDefaults, StreamArgs};

/// The notices a batch takes at most, and how long it waits for them: notices are rare and
/// each is a map to register.
const DEFAULTS: StageDefaults = StageDefaults {
    batch: 10,
    wait_ms: 1000,
    unit: "notices",
};

/// Maps from a file, or notices from a stream.
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GwArgs {
    #[command(subcommand)]
    pub action: Option<GwAction>,

    /// Read IGWN notices (JSON) from here: `kafka://HOST:PORT/igwn.gwalert`, or files of JSON
    /// lines, until the input ends (a file) or SIGTERM (Kafka).
    #[arg(long)]
    pub from: Option<String>,

    /// Kafka consumer group [default: lasair-sync-gw].
    #[arg(long)]
    pub group: Option<String>,

    /// Extra librdkafka settings, KEY=VALUE, repeatable (GCN's credentials, for one).
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    pub kafka_option: Vec<String>,

    /// A map neither BNS nor NSBH is kept when its 90% area is at most this, deg²
    /// [default: 300].
    #[arg(long, global = true)]
    pub max_area90: Option<f64>,
}

/// What to do with maps by hand.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum GwAction {
    /// Registers a map file (multi-order or flat HEALPix FITS, gzipped or not).
    Add {
        /// The map file.
        skymap: PathBuf,
        /// The event's name (`S200129m`).
        #[arg(long)]
        name: String,
        /// The event's time, ISO 8601 UTC [default: the map's MJD-OBS or DATE-OBS].
        #[arg(long)]
        time: Option<String>,
        /// The event's class probabilities, JSON (`{"BNS": 0.9, "BBH": 0.1}`).
        #[arg(long)]
        classification: Option<String>,
    },
    /// Stops every version of an event matching (as a RETRACTION notice does).
    Retract {
        /// The event's name.
        name: String,
    },
    /// Lists the stored maps (of one event with --name).
    List {
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs `gw`, writing its JSON lines to `out`.
pub fn run(gw: &GwArgs, db: &mut Db, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let rule = Rule {
        max_area90: gw.max_area90.unwrap_or(Rule::default().max_area90),
    };
    let report = match (&gw.action, &gw.from) {
        (Some(action), _) => by_hand(action, db, &rule)?,
        (None, Some(from)) => return stream(gw, from, db, &rule, out),
        (None, None) => {
            anyhow::bail!("gw: give `add SKYMAP --name NAME`, `retract`, `list` or --from")
        }
    };
    writeln!(out, "{report}").context("writing the report")?;
    Ok(Outcome::Ok)
}

fn by_hand(action: &GwAction, db: &mut Db, rule: &Rule) -> anyhow::Result<serde_json::Value> {
    let report = match action {
        GwAction::Add {
            skymap,
            name,
            time,
            classification,
        } => {
            let mjd = time
                .as_deref()
                .map(|t| {
                    lasair_alert::time::mjd_of_utc(t)
                        .with_context(|| format!("--time {t:?} is not an ISO 8601 UTC time"))
                })
                .transpose()?;
            let map = Skymap::from_path(skymap)?;
            let mut event = Event::of_map(&map, name, mjd)?;
            if let Some(json) = classification {
                event.classification = serde_json::from_str(json).with_context(|| {
                    format!("--classification {json:?}: give {{\"BNS\": 0.9, ...}}")
                })?;
            }
            serde_json::to_value(Applied::Registered(mma::register(db, &map, &event, rule)?))?
        }
        GwAction::Retract { name } => serde_json::to_value(Applied::Retracted {
            name: name.clone(),
            maps: mma::retract(db, name)?,
        })?,
        GwAction::List { name } => {
            serde_json::json!({"maps": mma::list(db, name.as_deref())?})
        }
    };
    Ok(with_job(report))
}

fn with_job(mut report: serde_json::Value) -> serde_json::Value {
    if let Some(map) = report.as_object_mut() {
        map.insert("job".into(), "gw".into());
    }
    report
}

/// Notices from `from`, a line each; a notice that is not one is reported and skipped (the
/// run then exits 1); a database error stops the run before the batch is committed.
fn stream(
    gw: &GwArgs,
    from: &str,
    db: &mut Db,
    rule: &Rule,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let args = StreamArgs {
        inputs: vec![from.to_owned()],
        group: Some(gw.group.clone().unwrap_or_else(|| "lasair-sync-gw".into())),
        kafka_option: gw.kafka_option.clone(),
        quiet: true,
        ..StreamArgs::default()
    };
    let kafka = args.kafka(crate::TOOL)?;
    let mut source = args.source(SourceKind::Lines, &kafka)?;
    let shutdown = lasair_stream::shutdown::install().context("installing signal handlers")?;
    let counts = Counts::default();
    run_stage(
        &args,
        &DEFAULTS,
        crate::TOOL,
        source.as_mut(),
        &shutdown,
        &counts,
        |messages| {
            for m in messages {
                let origin = m.origin.to_string();
                match notice::apply(db, &m.payload, &origin, rule) {
                    Ok(done) => {
                        let line = with_job(serde_json::to_value(done).map_err(Failed::from)?);
                        writeln!(out, "{line}").map_err(Failed::from)?;
                    }
                    Err(e @ ServiceError::Invalid { .. }) => {
                        counts.add_bad(1);
                        eprintln!("{}: {e}", crate::TOOL);
                    }
                    Err(e) => return Err(Failed(e.into())),
                }
            }
            out.flush().map_err(Failed::from)?;
            Ok(messages.len() as u64)
        },
    )
    .map_err(|Failed(e)| e)?;
    Ok(Outcome::from_counts(&counts))
}

//! Command-line options, merged with the `[ingest]` section of the node config file
//! (flags and LASAIR_* environment variables win over the file).

use std::path::PathBuf;

use clap::Parser;
use lasair_alert::avro::DEFAULT_MAX_ALERT_BYTES;
use lasair_alert::Survey;
use lasair_stream::{StageDefaults, StreamArgs};
use serde::{Deserialize, Serialize};

/// Reads alerts (Avro files or Kafka), writes their cutouts and lightcurves, and emits one
/// JSON line per alert (stdout, a file or a Kafka topic) for lasair-sherlock.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(default)]
pub struct Args {
    /// Which survey the alerts come from: ztf or lsst.
    #[arg(long, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// Where JSON alerts go: `-` (stdout, the default), a file, or `kafka://HOST:PORT/TOPIC`.
    #[arg(long, short, env = "LASAIR_INGEST_OUTPUT")]
    pub output: Option<String>,

    /// Lightcurve store URL: `sqlite:PATH` or `scylla://HOST:PORT/KEYSPACE`; none if absent.
    #[arg(long, env = "LASAIR_LIGHTCURVES")]
    pub lightcurves: Option<String>,

    /// Cutout store URL: a folder (`DIR` or `file:DIR`, a tree of FITS files), `sqlite:PATH`
    /// or `cql://HOST:PORT/KEYSPACE[?ttl_days=N]`; cutouts are not kept if absent.
    #[arg(long, env = "LASAIR_CUTOUTS")]
    pub cutouts: Option<String>,

    /// Writer schema for LSST wire-format messages: an .avsc file or a folder of them.
    #[arg(long)]
    pub schema: Option<PathBuf>,

    /// Schema registry for LSST wire-format messages (`GET URL/schemas/ids/{id}`).
    #[arg(long, env = "LASAIR_SCHEMA_REGISTRY")]
    pub schema_registry: Option<String>,

    /// The largest alert taken, in bytes of its Avro encoding (a container block once
    /// inflated, likewise); a larger one is reported and skipped. 4 MiB by default, ten times
    /// the largest real alert of either survey.
    #[arg(long, value_name = "BYTES")]
    pub max_alert_bytes: Option<usize>,

    /// Inputs (Avro files or Kafka), batching, Kafka settings, threads.
    #[command(flatten)]
    #[serde(flatten)]
    pub stream: StreamArgs,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,
}

/// A thousand alerts (about 60 MB of ZTF Avro) per batch, closed after half a second.
pub const DEFAULTS: StageDefaults = StageDefaults {
    batch: 1000,
    wait_ms: 500,
    unit: "alerts",
};

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "ingest";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        self.stream = self.stream.merged(file.stream, &DEFAULTS);
        self.max_alert_bytes = (self.max_alert_bytes)
            .or(file.max_alert_bytes)
            .or(Some(DEFAULT_MAX_ALERT_BYTES));
        lasair_cli::fill_unset!(self, file;
            survey,
            output,
            lightcurves,
            cutouts,
            schema,
            schema_registry
        );
        self
    }
}

//! Command-line options, merged with the `[ingest]` section of the node config file
//! (flags and LASAIR_* environment variables win over the file).

use std::path::PathBuf;

use clap::Parser;
use serde::{Deserialize, Serialize};

/// Reads alerts (Avro files or Kafka), writes their cutouts and lightcurves, and emits one
/// JSON line per alert (stdout, a file or a Kafka topic) for lasair-sherlock.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    /// Where alerts come from: Avro files, folders, globs, `-` for stdin, or
    /// `kafka://HOST:PORT[,HOST:PORT]/TOPIC` (a comma list, or a `^regex` pattern).
    #[serde(rename = "input")]
    pub inputs: Vec<String>,

    /// Which survey the alerts come from: ztf or lsst.
    #[arg(long, env = "LASAIR_SURVEY")]
    pub survey: Option<String>,

    /// Where JSON alerts go: `-` (stdout, the default), a file, or `kafka://HOST:PORT/TOPIC`.
    #[arg(long, short, env = "LASAIR_INGEST_OUTPUT")]
    pub output: Option<String>,

    /// Lightcurve store URL: `sqlite:PATH` or `scylla://HOST:PORT/KEYSPACE`; none if absent.
    #[arg(long, env = "LASAIR_LIGHTCURVES")]
    pub lightcurves: Option<String>,

    /// Folder for cutout FITS files; cutouts are not kept if absent.
    #[arg(long, env = "LASAIR_CUTOUTS")]
    pub cutouts: Option<PathBuf>,

    /// Writer schema for LSST wire-format messages: an .avsc file or a folder of them.
    #[arg(long)]
    pub schema: Option<PathBuf>,

    /// Schema registry for LSST wire-format messages (`GET URL/schemas/ids/{id}`).
    #[arg(long, env = "LASAIR_SCHEMA_REGISTRY")]
    pub schema_registry: Option<String>,

    /// Kafka consumer group (replicas of this stage share one).
    #[arg(long, env = "LASAIR_KAFKA_GROUP")]
    pub group: Option<String>,

    /// Extra librdkafka settings, KEY=VALUE, repeatable (e.g. security.protocol=SSL).
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    #[serde(rename = "kafka_options")]
    pub kafka_option: Vec<String>,

    /// Alerts per batch: a batch's effects are made durable, then its offsets committed.
    #[arg(long)]
    pub batch: Option<usize>,

    /// Longest wait for a batch to fill from Kafka, in milliseconds.
    #[arg(long)]
    pub wait_ms: Option<u64>,

    /// Worker threads for decoding and writing (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Node config file (TOML; this tool reads its [ingest] section).
    #[arg(long, env = "LASAIR_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Print the effective configuration (TOML) and exit.
    #[arg(long)]
    #[serde(skip)]
    pub print_config: bool,

    /// Progress and counts on stderr are silenced, errors are still reported.
    #[arg(long, short)]
    #[serde(skip)]
    pub quiet: bool,
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "ingest";

    fn config_file(&self) -> Option<&std::path::Path> {
        self.config.as_deref()
    }

    fn print_config(&self) -> bool {
        self.print_config
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        if self.inputs.is_empty() {
            self.inputs = file.inputs;
        }
        if self.kafka_option.is_empty() {
            self.kafka_option = file.kafka_option;
        }
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = file.$f; } )* };
        }
        fill!(
            survey,
            output,
            lightcurves,
            cutouts,
            schema,
            schema_registry,
            group,
            batch,
            wait_ms,
            threads
        );
        self
    }
}

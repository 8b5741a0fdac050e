//! Command-line options, merged with the `[sherlock]` section of the node config file (flags
//! and LASAIR_* environment variables win over the file).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lasair_alert::Survey;
use lasair_stream::{StageDefaults, StreamArgs};
use serde::{Deserialize, Serialize};

use crate::catalogue::cli::CatalogueCommand;

/// Adds Sherlock's context to alerts: reads JSON alert lines (files, stdin or Kafka), searches
/// each position in the catalogue store, and writes each line back with a `sherlock` object
/// (classification SN, NT, AGN, CV, VS, BS, UNCLEAR or ORPHAN, the best match and the other
/// crossmatches ranked). `position` and `object` answer for one position; `catalogue` manages
/// the store.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(default)]
pub struct Args {
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,

    /// The catalogue store (SQLite file) to search.
    #[arg(long, global = true, env = "LASAIR_SHERLOCK_STORE")]
    pub store: Option<PathBuf>,

    /// Search configuration (TOML); the built-in default (search.toml) if absent.
    #[arg(long, global = true)]
    pub search: Option<PathBuf>,

    /// Cache of answers by position (SQLite); default: beside the store, `STORE.cache`.
    #[arg(long, global = true)]
    pub cache: Option<PathBuf>,

    /// Positions the cache holds in memory per generation (two generations; the file keeps
    /// every answer) [default: 1000000].
    #[arg(long, global = true)]
    pub cache_entries: Option<usize>,

    /// Keep no cache file (answers are still reused within the run).
    #[arg(long, global = true)]
    #[serde(default)]
    pub no_cache: bool,

    /// Where alerts go: `-` (stdout, the default), a file, or `kafka://HOST:PORT/TOPIC`.
    #[arg(long, short, env = "LASAIR_SHERLOCK_OUTPUT")]
    pub output: Option<String>,

    /// The main database, for `object` (`sqlite:PATH` or `mysql://...`).
    #[arg(long, global = true, env = "LASAIR_DB")]
    pub db: Option<String>,

    /// Which survey's tables the main database holds, for `object`: ztf or lsst [default:
    /// the survey whose tables the database holds].
    #[arg(long, global = true, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// Inputs (JSON alert lines or Kafka), batching, Kafka settings, threads.
    #[command(flatten)]
    #[serde(flatten)]
    pub stream: StreamArgs,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,
}

/// A thousand alerts per batch, closed after half a second.
pub const DEFAULTS: StageDefaults = StageDefaults {
    batch: 1000,
    wait_ms: 500,
    unit: "alerts",
};

/// The one-shot commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// The context of one position: RA and Dec in degrees or sexagesimal.
    Position {
        ra: String,
        #[arg(allow_hyphen_values = true)]
        dec: String,
        /// Every crossmatch, not only the best.
        #[arg(long)]
        all: bool,
    },
    /// The context of one object of the main database (at its mean position).
    Object {
        /// The objectId (ZTF) or diaObjectId (LSST).
        id: String,
        /// Every crossmatch, not only the best.
        #[arg(long)]
        all: bool,
    },
    /// Manages the catalogue store (--store): add, list, drop.
    Catalogue {
        #[command(subcommand)]
        command: Box<CatalogueCommand>,
    },
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "sherlock";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        self.stream = self.stream.merged(file.stream, &DEFAULTS);
        self.no_cache |= file.no_cache;
        lasair_cli::fill_unset!(self, file; store, search, cache, cache_entries, output, db, survey);
        self
    }
}

impl Args {
    /// The cache file: `--cache`, else beside the store; none with `--no-cache`.
    pub fn cache_path(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache.clone().or_else(|| {
            self.store.as_ref().map(|s| {
                let mut name = s.as_os_str().to_owned();
                name.push(".cache");
                PathBuf::from(name)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_cli::config::Section;

    #[test]
    fn flags_win_over_the_config_section() {
        let file: Args = lasair_cli::config::parse_section(
            "[sherlock]\nstore = \"a.db\"\nbatch = 10\ninput = [\"x.jsonl\"]\n",
            "sherlock",
        )
        .expect("section");
        let args = Args::parse_from(["lasair-sherlock", "--batch", "5", "y.jsonl"]).merged(file);
        assert_eq!(args.stream.batch, Some(5));
        assert_eq!(args.stream.inputs, ["y.jsonl"]);
        assert_eq!(args.store, Some(PathBuf::from("a.db")));
        assert_eq!(args.cache_path(), Some(PathBuf::from("a.db.cache")));
        assert!(
            lasair_cli::config::parse_section::<Args>("[sherlock]\nstor = 1\n", "sherlock")
                .is_err()
        );
    }

    #[test]
    fn subcommands_and_negative_declinations_parse() {
        let args = Args::parse_from(["lasair-sherlock", "position", "10.5", "-20:30:00", "--all"]);
        match args.command {
            Some(Command::Position { ra, dec, all }) => {
                assert_eq!(
                    (ra.as_str(), dec.as_str(), all),
                    ("10.5", "-20:30:00", true)
                );
            }
            other => panic!("{other:?}"),
        }
        let args = Args::parse_from(["lasair-sherlock", "object", "ZTF18abc", "--store", "s.db"]);
        assert!(matches!(args.command, Some(Command::Object { .. })));
        assert_eq!(args.store, Some(PathBuf::from("s.db")));
    }
}

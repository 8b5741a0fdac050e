//! Command-line options, merged with the `[sherlock]` section of the node config file (flags
//! and LASAIR_* environment variables win over the file).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

use crate::catalogue::cli::CatalogueCommand;

/// Adds Sherlock's context to alerts: reads JSON alert lines (files, stdin or Kafka), searches
/// each position in the catalogue store, and writes each line back with a `sherlock` object
/// (classification SN, NT, AGN, CV, VS, BS, UNCLEAR or ORPHAN, the best match and the other
/// crossmatches ranked). `position` and `object` answer for one position; `catalogue` manages
/// the store.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,

    /// Where alerts come from: JSON lines files, folders, globs, `-` for stdin (the default),
    /// or `kafka://HOST:PORT[,HOST:PORT]/TOPIC`.
    #[serde(rename = "input")]
    pub inputs: Vec<String>,

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

    /// Kafka consumer group (replicas of this stage share one).
    #[arg(long, env = "LASAIR_KAFKA_GROUP")]
    pub group: Option<String>,

    /// Extra librdkafka settings, KEY=VALUE, repeatable.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    #[serde(rename = "kafka_options")]
    pub kafka_option: Vec<String>,

    /// Alerts per batch: a batch is written and flushed, then its offsets committed.
    #[arg(long)]
    pub batch: Option<usize>,

    /// Longest wait for a batch to fill from Kafka, in milliseconds.
    #[arg(long)]
    pub wait_ms: Option<u64>,

    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Node config file (TOML; this tool reads its [sherlock] section).
    #[arg(long, global = true, env = "LASAIR_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Print the effective configuration (TOML) and exit.
    #[arg(long)]
    #[serde(skip)]
    pub print_config: bool,

    /// Counts on stderr are silenced; errors are still reported.
    #[arg(long, short, global = true)]
    #[serde(skip)]
    pub quiet: bool,
}

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
        /// The objectId (ZTF).
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
        self.no_cache |= file.no_cache;
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = file.$f; } )* };
        }
        fill!(
            store,
            search,
            cache,
            cache_entries,
            output,
            db,
            group,
            batch,
            wait_ms,
            threads
        );
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
        assert_eq!(args.batch, Some(5));
        assert_eq!(args.inputs, ["y.jsonl"]);
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

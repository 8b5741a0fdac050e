//! Command-line options, merged with the `[mine]` section of the node config file.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lasair_alert::Survey;
use serde::{Deserialize, Serialize};

use crate::output::Format;

/// Runs code over many objects' full lightcurves on many machines over SSH: picks the objects
/// (a query on the main database, or a list of objectIds), streams shards of them to a worker
/// on each host, where each object's full lightcurve is read from the lightcurve store and
/// piped as one JSON line into the command; the command's JSON lines come back and are
/// written here. `--run features` recomputes each object's `objects` row instead, and
/// `--upsert` writes the rows into the main database.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about, args_conflicts_with_subcommands = true)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    /// What each worker runs: a shell command (`sh -c`) reading one JSON line per object (the
    /// object's full lightcurve, as lasair-ingest writes an alert) and printing JSON lines;
    /// or `features`, the object's `objects` row recomputed by lasair-features (ZTF).
    #[arg(long)]
    #[serde(skip)]
    pub run: Option<String>,

    /// The objects: a file of objectIds, one a line (`-` for standard input). Without it,
    /// the objects come from the query on --db, or from standard input when there is no --db.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub ids: Option<PathBuf>,

    /// The main database: `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB`. The objects are
    /// chosen on it (read-only) unless --ids is given; --upsert writes to it.
    #[arg(long, env = "LASAIR_DB")]
    pub db: Option<String>,

    /// The SELECT list of the query choosing objects; it must give the object key [default:
    /// objects.objectId, or objects.diaObjectId for LSST].
    #[arg(long)]
    #[serde(skip)]
    pub select: Option<String>,

    /// The query's tables: objects, sherlock_classifications, crossmatch_tns, watchlist:ID, area:ID, annotator:TOPIC.
    #[arg(long, default_value = "objects")]
    #[serde(skip)]
    pub tables: String,

    /// The query's WHERE clause [default: every object].
    #[arg(long = "where", default_value = "")]
    #[serde(skip)]
    pub conditions: String,

    /// The most objects a query may choose [default: 10000000].
    #[arg(long)]
    pub max_objects: Option<u64>,

    /// Which survey's objects: ztf or lsst [default: the survey whose tables --db holds].
    #[arg(long, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// The lightcurve store as the workers reach it: `sqlite:PATH` (a path on each host) or
    /// `scylla://HOST:PORT/KEYSPACE`.
    #[arg(long, env = "LASAIR_LIGHTCURVES")]
    pub lightcurves: Option<String>,

    /// The hosts, comma-separated: `NAME[:PORT]`, or `local` for processes on this machine.
    #[arg(long, conflicts_with = "hosts_file")]
    pub hosts: Option<String>,

    /// A file of hosts: a `host[:port] [processes]` line each.
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,

    /// Worker processes on each host that does not say [default: 1].
    #[arg(long)]
    pub processes: Option<usize>,

    /// The SSH login on the hosts [default: the local user].
    #[arg(long)]
    pub user: Option<String>,

    /// The private key to log in with [default: the SSH agent's, then ~/.ssh/id_ed25519,
    /// id_ecdsa, id_rsa].
    #[arg(long, value_name = "KEYFILE")]
    pub identity: Option<PathBuf>,

    /// The known_hosts file the hosts' keys are checked against [default: ~/.ssh/known_hosts].
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,

    /// The lasair-mine program on the hosts, where it is not on their PATH.
    #[arg(long, value_name = "PATH")]
    pub remote_bin: Option<String>,

    /// Seconds a host may stay silent (connecting, or while working) before it counts as lost
    /// and its shards are run elsewhere [default: 60].
    #[arg(long)]
    pub timeout: Option<u64>,

    /// Objects per shard, the unit handed to a worker and run again after a loss [default: 100].
    #[arg(long)]
    pub shard: Option<usize>,

    /// Keep known solar-system objects in `--run features` (Lasair leaves them out).
    #[arg(long)]
    pub keep_solar_system: Option<bool>,

    /// Upsert the rows of `--run features` into the `objects` table of --db (a row replaces
    /// the stored one unless that is newer).
    #[arg(long)]
    #[serde(skip)]
    pub upsert: bool,

    /// Output: JSON lines as the workers printed them (default), or CSV.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the results to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,

    #[command(subcommand)]
    #[serde(skip)]
    pub worker: Option<Worker>,
}

/// The worker side.
#[derive(Debug, Clone, Subcommand)]
pub enum Worker {
    /// Run as a worker: started by the head on each host (over SSH), it speaks the
    /// protocol on its standard input and output. Not for people.
    Worker,
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "mine";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = file.$f; } )* };
        }
        fill!(
            db,
            max_objects,
            survey,
            lightcurves,
            hosts,
            hosts_file,
            processes,
            user,
            identity,
            known_hosts,
            remote_bin,
            timeout,
            shard,
            keep_solar_system,
            format
        );
        self
    }
}

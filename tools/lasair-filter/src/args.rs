//! Command-line options, merged with the `[filter]` section of the node config file (flags and
//! LASAIR_* environment variables win over the file).

use std::path::PathBuf;

use clap::Parser;
use lasair_alert::Survey;
use lasair_stream::{StageDefaults, StreamArgs};
use serde::{Deserialize, Serialize};

/// Reads alerts with their Sherlock context (JSON lines, from lasair-sherlock), computes each
/// object's features, finds watchlist and watchmap hits, runs every active user filter on the
/// batch and sends its results out (a Kafka topic per filter, or an email digest), then
/// upserts the batch into the main database and only then commits the input offsets. With
/// --annotations, reads the annotation stream instead and runs the filters triggered by
/// annotations.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(default)]
pub struct Args {
    /// Which survey the alerts come from: ztf or lsst.
    #[arg(long, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// The main database (read/write): `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB`.
    /// Filters, watchlists and watchmaps are read from it; each batch is upserted into it.
    #[arg(long, env = "LASAIR_DB")]
    pub db: Option<String>,

    /// Where filter results go: `kafka://HOST:PORT[,HOST:PORT]` (a topic per filter, named as
    /// Lasair names them) or a folder of TOPIC.jsonl files [default: no streams].
    #[arg(long, env = "LASAIR_FILTER_TOPICS")]
    pub topics: Option<String>,

    /// The local copy of crossmatch_tns and annotations (a SQLite file lasair-sync refreshes),
    /// so filters that join them run on the batch.
    #[arg(long)]
    pub copies: Option<PathBuf>,

    /// SMTP server for email digests, `HOST:PORT` [default: no email].
    #[arg(long, env = "LASAIR_SMTP")]
    pub smtp: Option<String>,

    /// The sender of email digests.
    #[arg(long)]
    pub mail_from: Option<String>,

    /// The web address object links in emails point at [default: https://lasair.example.org].
    #[arg(long)]
    pub lasair_url: Option<String>,

    /// Folder of email digest state (what each email filter has gathered since its last
    /// email); shared by the filter nodes in production [default: var/digests].
    #[arg(long)]
    pub digests: Option<PathBuf>,

    /// Run the filters triggered by annotations (Lasair's run codes 2 and 3) instead of the
    /// alert stage: the inputs are the annotation stream (JSON lines, one annotation each, as
    /// the web server writes them), and each batch runs every such active filter that names an
    /// annotator of the batch (`annotator:TOPIC`) on the main database, for the objects that
    /// annotator annotated; results go out as the alert stage's do. Run it as a process of
    /// its own, with its own --group.
    #[arg(long)]
    pub annotations: bool,

    /// Inputs (JSON lines from lasair-sherlock, or Kafka), batching, Kafka settings, threads.
    #[command(flatten)]
    #[serde(flatten)]
    pub stream: StreamArgs,

    /// Time limit of each user filter on a batch, in milliseconds [default: 1000].
    #[arg(long)]
    pub filter_timeout_ms: Option<u64>,

    /// Rows one filter may send per batch at most [default: 1000].
    #[arg(long)]
    pub filter_max_rows: Option<u64>,

    /// How often filters, watchlists and watchmaps are read again from the main database, in
    /// seconds [default: 60].
    #[arg(long)]
    pub refresh_s: Option<u64>,

    /// The folder of the SFD dust map, `SFD_dust_4096_ngp.fits` and `SFD_dust_4096_sgp.fits`
    /// (dustmaps' `sfd` folder will do): LSST's `ebv`, and the fluxes of absMag, the pair
    /// colours and the Bazin x blackbody fit dereddened with it, as Lasair-LSST does. Without
    /// it, `ebv` is NULL and nothing is dereddened.
    #[arg(long)]
    pub dust_map: Option<PathBuf>,

    /// Keep known solar-system objects (Lasair leaves them out of the objects table).
    #[arg(long)]
    pub keep_solar_system: Option<bool>,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,

    /// Staff commands on the main database (watchlists, watchmaps, filters) instead of
    /// running the stage.
    #[command(subcommand)]
    #[serde(skip)]
    pub manage: Option<crate::manage::Manage>,
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "filter";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        self.stream = self.stream.merged(file.stream, &DEFAULTS);
        self.annotations |= file.annotations;
        lasair_cli::fill_unset!(self, file;
            survey,
            db,
            topics,
            copies,
            smtp,
            mail_from,
            lasair_url,
            digests,
            filter_timeout_ms,
            filter_max_rows,
            refresh_s,
            dust_map,
            keep_solar_system
        );
        self
    }
}

/// Ten thousand alerts per batch, closed after a second: users' filters run once a batch, so
/// a batch is as large as the latency allows.
pub const DEFAULTS: StageDefaults = StageDefaults {
    batch: 10_000,
    wait_ms: 1000,
    unit: "objects",
};

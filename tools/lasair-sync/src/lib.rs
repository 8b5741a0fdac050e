//! `lasair-sync`: the background jobs cron (or a systemd timer) runs beside the pipeline, one
//! subcommand each: `tns` keeps the Transient Name Server's names and tags the objects near
//! them, `copies` writes a filter node's local copy of the tables its batches join, `brokers`
//! takes another broker's classifications as annotations, `expire` stops what users have not
//! saved for 180 days (mailing them first), `stats` records a night's figures for the status
//! page, `gw` registers gravitational-wave sky maps. Each prints one JSON line of what it did,
//! exits 0 only when its
//! work is durable, and changes nothing when run twice.

mod brokers;
mod expire;
mod gw;
mod tns;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lasair_alert::Survey;
use lasair_cli::Outcome;
use lasair_db::Db;
use serde::{Deserialize, Serialize};

const TOOL: &str = "lasair-sync";

/// The background jobs: TNS, the filter nodes' local copies, expiry, nightly figures.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    /// Main database: `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB`.
    #[arg(long, global = true, env = "LASAIR_DB")]
    pub db: Option<String>,

    /// Which survey's tables the database holds: ztf or lsst [default: the survey whose
    /// tables the database holds].
    #[arg(long, global = true, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// Where TNS publishes its public objects files [default: TNS's own].
    #[arg(long, global = true)]
    pub base_url: Option<String>,

    /// A file holding the TNS bot's API key (sent as a form field, never shown); or set
    /// LASAIR_TNS_API_KEY.
    #[arg(long, global = true)]
    pub api_key_file: Option<PathBuf>,

    /// The id TNS gave our bot (it goes in the User-Agent TNS requires).
    #[arg(long, global = true)]
    pub bot_id: Option<u64>,

    /// The name our bot is registered under at TNS.
    #[arg(long, global = true)]
    pub bot_name: Option<String>,

    /// How near a TNS name an object must be to be tagged with it, arcsec [default: 3].
    #[arg(long, global = true)]
    pub radius: Option<f64>,

    /// SMTP server for expiry notices, `HOST:PORT` [default: none: notices are printed, not
    /// mailed].
    #[arg(long, global = true, env = "LASAIR_SMTP")]
    pub smtp: Option<String>,

    /// The sender of expiry notices.
    #[arg(long, global = true)]
    pub mail_from: Option<String>,

    /// The web address links in notices point at [default: https://lasair.example.org].
    #[arg(long, global = true)]
    pub lasair_url: Option<String>,

    /// The annotation stream the annotations taken from other brokers go to (a JSON-lines
    /// file or kafka://HOST:PORT/TOPIC), where lasair-filter --annotations reads them
    /// [default: none].
    #[arg(long, global = true, env = "LASAIR_ANNOTATIONS")]
    pub annotations: Option<String>,

    /// librdkafka settings for reading another broker's topics, KEY=VALUE, repeatable (its
    /// credentials: security.protocol, sasl.mechanism, sasl.username, sasl.password).
    #[arg(long = "kafka-option", global = true, value_name = "KEY=VALUE")]
    #[serde(rename = "kafka_options")]
    pub kafka_option: Vec<String>,

    /// Metrics and alarms.
    #[command(flatten)]
    #[serde(flatten)]
    pub monitor: lasair_stream::MonitorArgs,

    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,
}

/// The jobs.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Takes TNS's public objects (a day's changes by default), keeps them in the `tns` table,
    /// and tags the known objects near each new or changed name.
    Tns(tns::TnsArgs),
    /// Takes another broker's classifications (Fink, ALeRCE, AMPEL) from its topics as
    /// annotations, as the annotate API stores them, and sends them on to the annotation
    /// stream; reads to the end of the topics (or --max-messages) and stops.
    Brokers(brokers::BrokersArgs),
    /// Writes a filter node's local copy of crossmatch_tns and annotations (for
    /// lasair-filter --copies), replacing the file at once.
    Copies {
        /// The SQLite file lasair-filter --copies reads.
        #[arg(long)]
        to: PathBuf,
    },
    /// Stops filters, watchlists and watchmaps 180 days after their last save, mailing
    /// their owners; warns them 28 days before.
    Expire(expire::ExpireArgs),
    /// Records a night's figures (objects updated and in all, TNS names, annotations, active
    /// filters, watchlists and watchmaps, users) for the status page.
    Stats {
        /// The night, `YYYY-MM-DD` (UTC) [default: yesterday].
        #[arg(long)]
        night: Option<String>,
    },
    /// Registers gravitational-wave sky maps: a map file (`gw add`), or the IGWN notices of a
    /// stream (`gw --from kafka://HOST:PORT/igwn.gwalert`); their 90% areas tag the objects in
    /// them for 21 days after the event.
    Gw(gw::GwArgs),
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "sync";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    fn merged(mut self, file: Args) -> Args {
        lasair_cli::fill_unset!(self, file;
            db,
            survey,
            base_url,
            api_key_file,
            bot_id,
            bot_name,
            radius,
            smtp,
            mail_from,
            lasair_url,
            annotations
        );
        if self.kafka_option.is_empty() {
            self.kafka_option = file.kafka_option;
        }
        self.monitor = self.monitor.merged(file.monitor);
        if self.radius.is_none() {
            self.radius = Some(3.0);
        }
        self
    }
}

/// Runs the job the command line names, writing its JSON line to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let Some(args) = &lasair_cli::config::effective(args.clone(), out)? else {
        return Ok(Outcome::Ok);
    };
    let Some(command) = &args.command else {
        anyhow::bail!("name a job: tns, copies, brokers, expire, stats or gw (see --help)");
    };
    args.monitor.start(TOOL, env!("CARGO_PKG_VERSION"))?;
    job(args, command, out).inspect_err(|e| {
        let reason = lasair_metrics::alarm::describe_failure(&lasair_cli::exit::describe(e));
        lasair_metrics::alarm::raise(&format!("{} failed: {reason}", command.name()));
    })
}

impl Command {
    /// The job's name, as its subcommand is written.
    fn name(&self) -> &'static str {
        match self {
            Command::Tns(_) => "tns",
            Command::Brokers(_) => "brokers",
            Command::Copies { .. } => "copies",
            Command::Expire(_) => "expire",
            Command::Stats { .. } => "stats",
            Command::Gw(_) => "gw",
        }
    }
}

/// Runs one job.
fn job(args: &Args, command: &Command, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut db = open(args)?;
    let mut outcome = Outcome::Ok;
    let report = match command {
        Command::Tns(tns) => tns::run(args, tns, &mut db)?,
        Command::Copies { to } => {
            let counts = db
                .write_copies(to)
                .with_context(|| format!("writing the local copies {}", to.display()))?;
            let tables: serde_json::Map<String, serde_json::Value> = counts
                .into_iter()
                .map(|(t, n)| (t.to_owned(), n.into()))
                .collect();
            serde_json::json!({"job": "copies", "to": to, "rows": tables})
        }
        Command::Brokers(b) => {
            let (report, done) = brokers::run(args, b, &mut db)?;
            outcome = done;
            report
        }
        Command::Expire(expire) => expire::run(args, expire, &mut db)?,
        Command::Gw(gw) => return gw::run(gw, &mut db, out),
        Command::Stats { night } => {
            let night = night.clone().unwrap_or_else(yesterday);
            let figures = lasair_service::statistics::night(&mut db, &night)?;
            let figures: serde_json::Map<String, serde_json::Value> =
                figures.into_iter().map(|(n, v)| (n, v.into())).collect();
            serde_json::json!({"job": "stats", "night": night, "figures": figures})
        }
    };
    writeln!(out, "{report}").context("writing the report")?;
    Ok(outcome)
}

fn open(args: &Args) -> anyhow::Result<Db> {
    let url = args
        .db
        .as_deref()
        .context("no database: give --db, LASAIR_DB or db in the [sync] section")?;
    Ok(lasair_service::open(url, args.survey, false)?)
}

/// Yesterday's date, UTC, `YYYY-MM-DD`.
fn yesterday() -> String {
    let now = lasair_alert::time::mjd_now();
    lasair_alert::time::utc_string(now - 1.0)[..10].to_owned()
}

//! Command-line options, merged with the `[serve]` section of the node config file, and the
//! staff commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lasair_alert::Survey;
use lasair_service::users::ApiClass;
use serde::{Deserialize, Serialize};

/// Where the server listens unless told.
pub const LISTEN: &str = "127.0.0.1:8080";

/// A user's query's time limit unless told, seconds.
pub const DEFAULT_QUERY_TIMEOUT: u64 = 60;

/// Serves Lasair's HTTP API (`/api/cone/`, `/api/query/`, `/api/object/`, `/api/sherlock/...`,
/// `/api/annotate/`, `/api/auth-token/`, `/fits/...`) as the official `lasair` client calls
/// it; or, with a command, adds users and annotators.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,

    /// Which survey's tables the database holds: ztf or lsst [default: the survey whose
    /// tables the database holds]; it decides the shapes of the answers.
    #[arg(long, global = true, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// Main database: `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB`.
    #[arg(long, global = true, env = "LASAIR_DB")]
    pub db: Option<String>,

    /// Users' queries run here: a SELECT-only account on MariaDB [default: --db, opened
    /// read-only].
    #[arg(long)]
    pub readonly_db: Option<String>,

    /// Lightcurve store: `sqlite:PATH` or `scylla://HOST:PORT/KEYSPACE` (objects are answered
    /// without their lightcurves when absent).
    #[arg(long)]
    pub lightcurves: Option<String>,

    /// The cutout store lasair-ingest writes (`/fits/...` and the object pages' cutouts read
    /// it): a folder (`DIR` or `file:DIR`), `sqlite:PATH` or `cql://HOST:PORT/KEYSPACE`.
    #[arg(long)]
    pub cutouts: Option<String>,

    /// Sherlock's catalogue store (lasair-sherlock --store); without one the Sherlock routes
    /// answer that this cluster has no Sherlock service.
    #[arg(long)]
    pub store: Option<PathBuf>,

    /// Sherlock's search configuration (TOML) [default: the built-in searches].
    #[arg(long)]
    pub search: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,

    /// Metrics and alarms.
    #[command(flatten)]
    #[serde(flatten)]
    pub monitor: lasair_stream::MonitorArgs,

    /// The public Kafka broker users read their filters' topics from, as the filter pages
    /// show it (`HOST:PORT`) [default: localhost:9092].
    #[arg(long)]
    pub public_kafka: Option<String>,

    /// The SMTP server (`HOST:PORT`) that mails the accounts' activation and reset codes
    /// [default: none: accounts are made by staff only].
    #[arg(long, env = "LASAIR_SMTP")]
    pub smtp: Option<String>,

    /// The sender of those mails [default: lasair@localhost].
    #[arg(long)]
    pub mail_from: Option<String>,

    /// The folder npm installed the web pages' browser libraries into (`npm ci` in web/ makes
    /// web/node_modules) [default: none: the pages draw no plots].
    #[arg(long)]
    pub web_assets: Option<PathBuf>,

    /// The server's address as users reach it, for the cutout links in answers
    /// [default: http:// and --listen].
    #[arg(long)]
    pub public_url: Option<String>,

    /// Where accepted annotations also go, for lasair-filter's annotation trigger: a JSON
    /// lines file (appended to, as lasair-sync brokers appends to it) or
    /// `kafka://HOST:PORT/TOPIC` [default: the database only].
    #[arg(long)]
    pub annotations: Option<String>,

    /// API calls per hour of the public demo account [default: 10].
    #[arg(long)]
    pub calls_demo: Option<u32>,

    /// API calls per hour of a user [default: 100].
    #[arg(long)]
    pub calls_user: Option<u32>,

    /// API calls per hour of a power user [default: 10000].
    #[arg(long)]
    pub calls_power: Option<u32>,

    /// The reverse proxy in front of the server (repeat for several): a request from one of
    /// these is from the address its `X-Forwarded-For` gives (the last one not itself a
    /// trusted proxy); any other request's header is ignored. Anonymous visitors' queries on
    /// the web pages are counted per address, at the demo account's calls per hour
    /// [default: none; the peer's address is the visitor's].
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,

    /// Time limit of a user's query, in seconds [default: 60].
    #[arg(long)]
    pub query_timeout: Option<u64>,

    /// Worker threads answering requests [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,
}

/// Staff commands, for a shell or Ansible.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Users of the web site and the API.
    User {
        #[command(subcommand)]
        cmd: UserCommand,
    },
    /// Annotators: topics a user's classifier may annotate objects under.
    Annotator {
        #[command(subcommand)]
        cmd: AnnotatorCommand,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Adds a user and prints their API token.
    Add {
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// Read the password from standard input (one line); without it the user has only
        /// the token.
        #[arg(long)]
        password_stdin: bool,
        /// A power user (Lasair's `powerapi` group): 1,000,000 rows, 10,000 calls an hour.
        #[arg(long, conflicts_with = "demo")]
        power: bool,
        /// The public demo account (Lasair's `dummy`): 1,000 rows, 10 calls an hour.
        #[arg(long)]
        demo: bool,
        /// Staff: the web site's staff page (`/admin/`) is theirs, and what they make public
        /// is listed among the broker's resources.
        #[arg(long)]
        staff: bool,
    },
    /// Prints a user's API token (made on first asking).
    Token { name: String },
    /// Prints a user as a JSON line: id, username, email, API class (their id is what
    /// lasair-filter's staff commands take as --user).
    Show { name: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum AnnotatorCommand {
    /// Registers an active annotator owned by a user.
    Add {
        topic: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Listed for every user, not only its owner.
        #[arg(long)]
        public: bool,
    },
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "serve";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    fn merged(mut self, file: Args) -> Args {
        lasair_cli::fill_unset!(self, file;
            survey,
            db,
            readonly_db,
            lightcurves,
            cutouts,
            store,
            search,
            listen,
            web_assets,
            smtp,
            mail_from,
            public_kafka,
            public_url,
            annotations,
            calls_demo,
            calls_user,
            calls_power,
            trusted_proxies,
            query_timeout,
            threads
        );
        self.monitor = self.monitor.merged(file.monitor);
        // The defaults, so --print-config shows what the server will do.
        let calls = ApiClass::ALL.map(ApiClass::calls_per_hour);
        self.listen.get_or_insert_with(|| LISTEN.to_owned());
        self.calls_demo.get_or_insert(calls[0]);
        self.calls_user.get_or_insert(calls[1]);
        self.calls_power.get_or_insert(calls[2]);
        self.query_timeout.get_or_insert(DEFAULT_QUERY_TIMEOUT);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_cli::config::Section;

    #[test]
    fn the_file_fills_what_the_command_line_leaves() {
        let file: Args = lasair_cli::config::parse_section(
            "[serve]\ndb = \"sqlite:a.db\"\nlisten = \"0.0.0.0:80\"\ncalls_user = 5\n",
            "serve",
        )
        .expect("parsed");
        let args = Args::parse_from(["lasair-serve", "--listen", "127.0.0.1:9"]).merged(file);
        assert_eq!(args.listen.as_deref(), Some("127.0.0.1:9"));
        assert_eq!(args.db.as_deref(), Some("sqlite:a.db"));
        assert_eq!(args.calls_user, Some(5));
        assert_eq!(
            (args.calls_demo, args.calls_power, args.query_timeout),
            (Some(10), Some(10_000), Some(60))
        );
        assert!(
            lasair_cli::config::parse_section::<Args>("[serve]\nlisen = 1\n", "serve").is_err()
        );
        let args = Args::parse_from([
            "lasair-serve",
            "user",
            "add",
            "ada",
            "--power",
            "--db",
            "sqlite:x",
        ]);
        assert!(matches!(
            args.command,
            Some(Command::User {
                cmd: UserCommand::Add { power: true, .. }
            })
        ));
        assert_eq!(args.db.as_deref(), Some("sqlite:x"));
    }
}

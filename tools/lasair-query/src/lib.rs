//! `lasair-query`: astronomers' SQL (a select list, a table list, a WHERE clause) compiled by
//! lasair-sql and run on a read-only connection to the main database, with a time limit and a
//! row limit; JSON lines, CSV or an aligned table out.

mod format;

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use lasair_alert::Survey;
use lasair_cli::Outcome;
use lasair_service::query::{compile_for, saved, QueryLimits};
use lasair_sql::UserQuery;
use serde::{Deserialize, Serialize};

/// Runs a Lasair query on the main database: the SELECT list, the tables and the WHERE clause
/// as Lasair's web form takes them, or a saved filter by name.
#[derive(Debug, Clone, Default, Parser, Serialize, Deserialize)]
#[command(version, about)]
#[serde(deny_unknown_fields, default)]
pub struct Args {
    /// Main database, read-only: `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB` (a SELECT-only account).
    #[arg(long, env = "LASAIR_QUERY_DB")]
    pub db: Option<String>,

    /// Which survey's tables the database holds: ztf or lsst [default: the survey whose
    /// tables the database holds].
    #[arg(long, env = "LASAIR_SURVEY")]
    pub survey: Option<Survey>,

    /// The SELECT list, e.g. `objects.objectId, objects.gmag` (default: the object key).
    #[arg(long)]
    #[serde(skip)]
    pub select: Option<String>,

    /// The tables: objects, sherlock_classifications, crossmatch_tns, watchlist:ID, area:ID, annotator:TOPIC.
    #[arg(long, default_value = "objects")]
    #[serde(skip)]
    pub tables: String,

    /// The WHERE clause (may end with ORDER BY ...).
    #[arg(long = "where", default_value = "")]
    #[serde(skip)]
    pub conditions: String,

    /// ORDER BY list, when not written at the end of --where.
    #[arg(long)]
    #[serde(skip)]
    pub order_by: Option<String>,

    /// Run the saved filter of this name instead of --select/--tables/--where.
    #[arg(long, conflicts_with_all = ["select", "tables", "conditions"])]
    #[serde(skip)]
    pub filter: Option<String>,

    /// At most this many rows (capped by --max-rows).
    #[arg(long)]
    #[serde(skip)]
    pub limit: Option<u64>,

    /// Skip this many rows first.
    #[arg(long)]
    #[serde(skip)]
    pub offset: Option<u64>,

    /// The largest number of rows any query may return [default: 10000].
    #[arg(long)]
    pub max_rows: Option<u64>,

    /// Time limit of the query, in seconds [default: 60].
    #[arg(long)]
    pub timeout: Option<u64>,

    /// Output: JSON lines (default), CSV for spreadsheets, or an aligned table for a terminal.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Print the compiled SQL instead of running it.
    #[arg(long)]
    #[serde(skip)]
    pub explain: bool,

    /// Administration: open --db for writing (creating or migrating its schema) and print the
    /// GRANT statements that let ACCOUNT (e.g. `'lasair_ro'@'%'`) read the user-visible
    /// tables and nothing else, for `mariadb` to run as an administrator.
    #[arg(long, value_name = "ACCOUNT", conflicts_with_all = ["filter", "explain"])]
    #[serde(skip)]
    pub print_grants: Option<String>,

    #[command(flatten)]
    #[serde(skip)]
    pub node: lasair_cli::config::ConfigArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Table,
}

impl lasair_cli::config::Section for Args {
    const NAME: &'static str = "query";

    fn config_args(&self) -> &lasair_cli::config::ConfigArgs {
        &self.node
    }

    /// Fills what the command line left unset from the config file's section.
    fn merged(mut self, file: Args) -> Args {
        lasair_cli::fill_unset!(self, file; db, survey, max_rows, timeout, format);
        self
    }
}

/// Compiles and runs the query, writing the rows to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let Some(args) = &lasair_cli::config::effective(args.clone(), out)? else {
        return Ok(Outcome::Ok);
    };
    let url = args
        .db
        .as_deref()
        .context("no database: give --db, LASAIR_QUERY_DB or db in the [query] section")?;
    if let Some(account) = &args.print_grants {
        // Refused before the open, which would need the survey of a database not yet made.
        lasair_db::grants_database_of(url)?;
        let db = lasair_service::open(url, args.survey, false)?;
        for grant in db.readonly_grants(account)? {
            writeln!(out, "{grant};").context("writing the grants")?;
        }
        return Ok(Outcome::Ok);
    }
    let mut db = lasair_service::open(url, args.survey, true)?;
    let catalog = db.catalog();
    let mut query = match &args.filter {
        Some(name) => saved(&mut db, name)?,
        None => UserQuery {
            select: args
                .select
                .clone()
                .unwrap_or_else(|| format!("objects.{}", catalog.key)),
            tables: args.tables.clone(),
            conditions: args.conditions.clone(),
            order_by: args.order_by.clone(),
            ..UserQuery::default()
        },
    };
    query.limit = args.limit;
    query.offset = args.offset;
    let mut limits = QueryLimits::default();
    limits.sql.max_rows = args.max_rows.unwrap_or(limits.sql.max_rows);
    if let Some(secs) = args.timeout {
        limits.timeout = Duration::from_secs(secs);
    }
    if args.explain {
        let compiled = compile_for(&db, &query, &limits)?;
        writeln!(out, "{}", compiled.sql).context("writing the SQL")?;
        return Ok(Outcome::Ok);
    }
    let deadline = std::time::Instant::now() + limits.timeout;
    let rows = lasair_service::query::run(&mut db, &query, &limits)?;
    match format::write(&rows, args.format.unwrap_or(Format::Json), out, deadline) {
        Err(e) if format::is_broken_pipe(&e) => Ok(Outcome::Ok),
        other => other.map(|()| Outcome::Ok),
    }
}

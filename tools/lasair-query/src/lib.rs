//! `lasair-query`: astronomers' SQL (a select list, a table list, a WHERE clause) compiled by
//! lasair-sql and run on a read-only connection to the main database, with a time limit and a
//! row limit; JSON lines, CSV or an aligned table out.

mod format;
mod saved;

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use lasair_cli::Outcome;
use lasair_db::Db;
use lasair_sql::{catalog, compile, Limits, UserQuery};

/// Runs a Lasair query on the main database: the SELECT list, the tables and the WHERE clause
/// as Lasair's web form takes them, or a saved filter by name.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Args {
    /// Main database, read-only: `sqlite:PATH` or `mysql://USER:PW@HOST:PORT/DB` (a SELECT-only account).
    #[arg(long, env = "LASAIR_QUERY_DB")]
    pub db: String,

    /// The SELECT list, e.g. `objects.objectId, objects.gmag`.
    #[arg(long, default_value = "objects.objectId")]
    pub select: String,

    /// The tables: objects, sherlock_classifications, crossmatch_tns, watchlist:ID, area:ID, annotator:TOPIC.
    #[arg(long, default_value = "objects")]
    pub tables: String,

    /// The WHERE clause (may end with ORDER BY ...).
    #[arg(long = "where", default_value = "")]
    pub conditions: String,

    /// ORDER BY list, when not written at the end of --where.
    #[arg(long)]
    pub order_by: Option<String>,

    /// Run the saved filter of this name instead of --select/--tables/--where.
    #[arg(long, conflicts_with_all = ["select", "tables", "conditions"])]
    pub filter: Option<String>,

    /// At most this many rows (capped by --max-rows).
    #[arg(long)]
    pub limit: Option<u64>,

    /// Skip this many rows first.
    #[arg(long)]
    pub offset: Option<u64>,

    /// The largest number of rows any query may return.
    #[arg(long, default_value_t = 10_000)]
    pub max_rows: u64,

    /// Time limit of the query, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,

    /// Output: JSON lines (default), CSV for spreadsheets, or an aligned table for a terminal.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Print the compiled SQL instead of running it.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Table,
}

/// Compiles and runs the query, writing the rows to `out`.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut db = Db::open_readonly(&args.db)?;
    let mut query = match &args.filter {
        Some(name) => saved::filter(&mut db, name)?,
        None => UserQuery {
            select: args.select.clone(),
            tables: args.tables.clone(),
            conditions: args.conditions.clone(),
            order_by: args.order_by.clone(),
            ..UserQuery::default()
        },
    };
    query.limit = args.limit;
    query.offset = args.offset;
    let limits = Limits {
        max_rows: args.max_rows,
        ..Limits::default()
    };
    let compiled = compile(&query, &catalog::ZTF, db.dialect(), &limits)?;
    if args.explain {
        writeln!(out, "{}", compiled.sql).context("writing the SQL")?;
        return Ok(Outcome::Ok);
    }
    let rows = db.query_readonly(&compiled.sql, Duration::from_secs(args.timeout))?;
    match format::write(&rows, args.format, out) {
        Err(e) if format::is_broken_pipe(&e) => Ok(Outcome::Ok),
        other => other.map(|()| Outcome::Ok),
    }
}

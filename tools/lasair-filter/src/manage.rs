//! Staff manage watchlists, watchmaps and filters from the shell until the web front end
//! exists: add from a file (watchlists: CSV or pipe-separated cones; watchmaps: a MOC file),
//! list, show, activate, mute, delete. Everything goes to the main database's service tables.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use lasair_cli::Outcome;
use lasair_db::{Db, Value};
use lasair_sky::area::Area;
use lasair_sky::cones::{check_radius, read_cones};
use lasair_sql::{compile, Dialect, Limits, UserQuery};

use crate::filters::topic_name;
use crate::sky::encode_moc;

/// What staff can do from the shell.
#[derive(Debug, Clone, Subcommand)]
pub enum Manage {
    /// Watchlists: named cones; alerts inside one are recorded in watchlist_hits.
    Watchlist {
        #[command(subcommand)]
        cmd: Command,
    },
    /// Watchmaps: sky areas (MOCs); alerts inside one are recorded in area_hits.
    Watchmap {
        #[command(subcommand)]
        cmd: Command,
    },
    /// Users' filters: SQL run on every batch, results to a topic or an email digest.
    Filter {
        #[command(subcommand)]
        cmd: FilterCommand,
    },
}

/// Operations on watchlists and watchmaps.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Add from a file: cones (`ra|dec|name[|radius]` or CSV) or a MOC (FITS, ASCII, JSON).
    Add(NewEntry),
    /// One line per entry.
    List,
    /// One entry in full.
    Show { id: i64 },
    /// Match it against the stream.
    Activate { id: i64 },
    /// Stop matching it (kept).
    Mute { id: i64 },
    /// Remove it (a watchlist with its cones).
    Delete { id: i64 },
}

/// A watchlist or watchmap to add.
#[derive(Debug, Clone, clap::Args)]
pub struct NewEntry {
    file: PathBuf,
    #[arg(long)]
    name: String,
    /// The owner's user id.
    #[arg(long)]
    user: i64,
    /// Default cone radius in arcsec (watchlists; at most 1800).
    #[arg(long, default_value_t = 2.0)]
    radius: f64,
    #[arg(long, default_value = "")]
    description: String,
    /// Visible to every user.
    #[arg(long)]
    public: bool,
}

/// Operations on filters.
#[derive(Debug, Clone, Subcommand)]
pub enum FilterCommand {
    /// Save a filter, checked by the same compiler the stream uses.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        user: i64,
        #[arg(long)]
        select: String,
        #[arg(long, default_value = "objects")]
        tables: String,
        #[arg(long = "where", default_value = "")]
        conditions: String,
        /// How results reach the owner.
        #[arg(long, value_enum, default_value_t = Delivery::Kafka)]
        mode: Delivery,
        #[arg(long)]
        public: bool,
    },
    List,
    Show {
        id: i64,
    },
    /// Run it on the stream again, optionally with another delivery.
    Activate {
        id: i64,
        #[arg(long, value_enum)]
        mode: Option<Delivery>,
    },
    Mute {
        id: i64,
    },
    Delete {
        id: i64,
    },
}

/// Lasair's delivery modes (the `active` codes 1 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Delivery {
    Email,
    Kafka,
    KafkaLite,
    KafkaFull,
}

impl Delivery {
    fn active(self) -> i64 {
        match self {
            Delivery::Email => 1,
            Delivery::Kafka => 2,
            Delivery::KafkaLite => 3,
            Delivery::KafkaFull => 4,
        }
    }
}

/// The service table, its key and the columns `list` shows, of each kind.
struct Kind {
    table: &'static str,
    key: &'static str,
    list: &'static str,
}

const WATCHLISTS: Kind = Kind {
    table: "watchlists",
    key: "wl_id",
    list: "wl_id, user_id, name, radius, active, public",
};
const WATCHMAPS: Kind = Kind {
    table: "watchmaps",
    key: "ar_id",
    list: "ar_id, user_id, name, active, public",
};
const FILTERS: Kind = Kind {
    table: "filters",
    key: "mq_id",
    list: "mq_id, user_id, name, active, topic_name",
};

/// Runs a staff command on the main database, writing what it shows to `out`.
pub fn run(cmd: &Manage, db: &mut Db, out: &mut dyn std::io::Write) -> anyhow::Result<Outcome> {
    match cmd {
        Manage::Watchlist { cmd } => common(cmd, &WATCHLISTS, db, out, add_watchlist),
        Manage::Watchmap { cmd } => common(cmd, &WATCHMAPS, db, out, add_watchmap),
        Manage::Filter { cmd } => filter(cmd, db, out),
    }
}

type Adder = fn(&mut Db, &NewEntry, &mut dyn std::io::Write) -> anyhow::Result<Outcome>;

fn common(
    cmd: &Command,
    kind: &Kind,
    db: &mut Db,
    out: &mut dyn std::io::Write,
    add: Adder,
) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Add(entry) => add(db, entry, out),
        Command::List => list(db, kind, out),
        Command::Show { id } => show(db, kind, *id, out),
        Command::Activate { id } => set_active(db, kind, *id, 1),
        Command::Mute { id } => set_active(db, kind, *id, 0),
        Command::Delete { id } => {
            exists(db, kind, *id)?;
            if kind.table == "watchlists" {
                db.delete_where("watchlist_cones", "wl_id", &Value::Int(*id))?;
            }
            db.delete_where(kind.table, kind.key, &Value::Int(*id))?;
            Ok(Outcome::Ok)
        }
    }
}

fn filter(
    cmd: &FilterCommand,
    db: &mut Db,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    match cmd {
        FilterCommand::Add {
            name,
            user,
            select,
            tables,
            conditions,
            mode,
            public,
        } => {
            let query = UserQuery {
                select: select.clone(),
                tables: tables.clone(),
                conditions: conditions.clone(),
                ..UserQuery::default()
            };
            compile(&query, db.catalog(), Dialect::Sqlite, &Limits::default())
                .with_context(|| format!("filter {name:?}"))?;
            let id = next_id(db, &FILTERS)?;
            let cols = [
                "mq_id",
                "user_id",
                "name",
                "selected",
                "tables",
                "conditions",
                "active",
                "public",
                "topic_name",
            ];
            let row = vec![
                id.into(),
                (*user).into(),
                name.as_str().into(),
                select.as_str().into(),
                tables.as_str().into(),
                conditions.as_str().into(),
                mode.active().into(),
                i64::from(*public).into(),
                topic_name(*user, name).into(),
            ];
            db.upsert("filters", &cols, &[row])?;
            writeln!(out, "filter {id}: {}", topic_name(*user, name))?;
            Ok(Outcome::Ok)
        }
        FilterCommand::List => list(db, &FILTERS, out),
        FilterCommand::Show { id } => show(db, &FILTERS, *id, out),
        FilterCommand::Activate { id, mode } => {
            set_active(db, &FILTERS, *id, mode.unwrap_or(Delivery::Kafka).active())
        }
        FilterCommand::Mute { id } => set_active(db, &FILTERS, *id, 0),
        FilterCommand::Delete { id } => {
            exists(db, &FILTERS, *id)?;
            db.delete_where("filters", "mq_id", &Value::Int(*id))?;
            Ok(Outcome::Ok)
        }
    }
}

fn add_watchlist(
    db: &mut Db,
    entry: &NewEntry,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    let (file, radius) = (&entry.file, entry.radius);
    check_radius(radius).with_context(|| format!("--radius {radius}"))?;
    let (cones, report) =
        read_cones(file).with_context(|| format!("watchlist {}", file.display()))?;
    if !report.is_clean() {
        eprintln!("{report}");
    }
    if cones.is_empty() {
        bail!("watchlist {}: no cone could be read", file.display());
    }
    let id = entry.save(db, &WATCHLISTS, "radius", radius.into())?;
    let rows: Vec<Vec<Value>> = cones
        .iter()
        .map(|c| {
            vec![
                Value::Null,
                id.into(),
                c.name.as_str().into(),
                c.ra.into(),
                c.dec.into(),
                c.radius_arcsec.into(),
            ]
        })
        .collect();
    db.upsert(
        "watchlist_cones",
        &["cone_id", "wl_id", "name", "ra", "decl", "radius"],
        &rows,
    )?;
    writeln!(out, "watchlist {id}: {} cones", rows.len())?;
    Ok(if report.is_clean() {
        Outcome::Ok
    } else {
        Outcome::SomeBad
    })
}

fn add_watchmap(
    db: &mut Db,
    entry: &NewEntry,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    let file = &entry.file;
    let bytes = std::fs::read(file).with_context(|| format!("watchmap {}", file.display()))?;
    let area = Area::from_bytes(&bytes, &file.display().to_string())?;
    let id = entry.save(db, &WATCHMAPS, "moc", encode_moc(&bytes).into())?;
    writeln!(out, "watchmap {id}: {:.6} of the sky", area.sky_fraction())?;
    Ok(Outcome::Ok)
}

impl NewEntry {
    /// Saves the entry's own row in `kind`'s table, active, with the column only its kind
    /// has (a watchlist's radius, a watchmap's MOC); returns its new id.
    fn save(&self, db: &mut Db, kind: &Kind, column: &str, value: Value) -> anyhow::Result<i64> {
        let id = next_id(db, kind)?;
        let cols = [
            kind.key,
            "user_id",
            "name",
            "description",
            column,
            "active",
            "public",
        ];
        let row = vec![
            id.into(),
            self.user.into(),
            self.name.as_str().into(),
            self.description.as_str().into(),
            value,
            1.into(),
            i64::from(self.public).into(),
        ];
        db.upsert(kind.table, &cols, &[row])?;
        Ok(id)
    }
}

fn next_id(db: &mut Db, kind: &Kind) -> anyhow::Result<i64> {
    let sql = format!(
        "SELECT COALESCE(MAX({}), 0) + 1 FROM {}",
        kind.key, kind.table
    );
    scalar(db, &sql)
}

fn exists(db: &mut Db, kind: &Kind, id: i64) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE {} = {id}",
        kind.table, kind.key
    );
    if scalar(db, &sql)? == 0 {
        bail!("no {} with {} {id}", kind.table, kind.key);
    }
    Ok(())
}

/// The one integer a query of ours answers.
fn scalar(db: &mut Db, sql: &str) -> anyhow::Result<i64> {
    match db
        .query_readonly(sql, Duration::from_secs(10))?
        .rows
        .first()
        .map(|r| &r[0])
    {
        Some(Value::Int(n)) => Ok(*n),
        other => bail!("{sql}: {other:?}"),
    }
}

fn set_active(db: &mut Db, kind: &Kind, id: i64, active: i64) -> anyhow::Result<Outcome> {
    exists(db, kind, id)?;
    db.upsert(
        kind.table,
        &[kind.key, "active"],
        &[vec![id.into(), active.into()]],
    )?;
    Ok(Outcome::Ok)
}

fn list(db: &mut Db, kind: &Kind, out: &mut dyn std::io::Write) -> anyhow::Result<Outcome> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        kind.list, kind.table, kind.key
    );
    let rows = db.query_readonly(&sql, Duration::from_secs(30))?;
    writeln!(out, "{}", rows.columns.join("\t"))?;
    for r in &rows.rows {
        let cells: Vec<String> = r.iter().map(Value::to_string).collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(Outcome::Ok)
}

fn show(
    db: &mut Db,
    kind: &Kind,
    id: i64,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    exists(db, kind, id)?;
    let sql = format!("SELECT * FROM {} WHERE {} = {id}", kind.table, kind.key);
    let rows = db.query_readonly(&sql, Duration::from_secs(10))?;
    for r in &rows.rows {
        for (c, v) in rows.columns.iter().zip(r) {
            // A watchmap's MOC is long base64: its size says enough.
            let v = match (c.as_str(), v) {
                ("moc", Value::Text(t)) => format!("({} bytes of base64)", t.len()),
                _ => v.to_string(),
            };
            writeln!(out, "{c}: {v}")?;
        }
    }
    if kind.table == "watchlists" {
        let sql = format!("SELECT COUNT(*) FROM watchlist_cones WHERE wl_id = {id}");
        writeln!(out, "cones: {}", scalar(db, &sql)?)?;
    }
    Ok(Outcome::Ok)
}

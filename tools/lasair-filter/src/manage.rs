//! Staff manage watchlists, watchmaps and filters from the shell until the web front end
//! exists: add from a file (watchlists: CSV or pipe-separated cones; watchmaps: a MOC file),
//! list, show, activate, mute, delete; a filter also says what triggers it (alerts,
//! annotations or both). Everything goes to the main database's service tables.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use lasair_cli::Outcome;
use lasair_db::{Db, Value};
use lasair_service::filter::{Delivery, Filter, NewFilter, Trigger};
use lasair_service::watch::{self, Watchlist, Watchmap};
use lasair_service::Record;
use lasair_sky::cones::read_cones;

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
    /// Users' filters: SQL run on every batch of alerts or when annotators annotate objects,
    /// results to a topic or an email digest.
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
        /// How results reach the owner: email, kafka, kafka-lite or kafka-full.
        #[arg(long, default_value = "kafka")]
        mode: Delivery,
        #[arg(long)]
        public: bool,
        #[command(flatten)]
        trigger: TriggerArgs,
    },
    /// One line per filter; `run` says what triggers it: alerts, annotations or both.
    List,
    Show {
        id: i64,
    },
    /// Run it on the stream again, optionally with another delivery or trigger.
    Activate {
        id: i64,
        /// email, kafka (the default), kafka-lite or kafka-full.
        #[arg(long)]
        mode: Option<Delivery>,
        #[command(flatten)]
        trigger: TriggerArgs,
    },
    Mute {
        id: i64,
    },
    Delete {
        id: i64,
    },
}

/// What triggers a filter: new alerts, new annotations, or both (Lasair's `run` codes 1, 2, 3).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct TriggerArgs {
    /// Run it on every batch of new alerts. With neither flag, `add` runs it on alerts and
    /// `activate` keeps what it had.
    #[arg(long)]
    on_alert: bool,
    /// Run it when an annotator it names (`annotator:TOPIC` in its tables) annotates
    /// objects, on the main database for those objects (lasair-filter --annotations).
    #[arg(long)]
    on_annotation: bool,
}

impl TriggerArgs {
    /// The trigger the flags give, if any was given.
    fn trigger(self) -> Option<Trigger> {
        (self.on_alert || self.on_annotation).then_some(Trigger {
            on_alert: self.on_alert,
            on_annotation: self.on_annotation,
        })
    }
}

/// Runs a staff command on the main database, writing what it shows to `out`.
pub fn run(cmd: &Manage, db: &mut Db, out: &mut dyn std::io::Write) -> anyhow::Result<Outcome> {
    match cmd {
        Manage::Watchlist { cmd } => match cmd {
            Command::Add(entry) => add_watchlist(db, entry, out),
            other => common::<Watchlist>(other, WATCHLIST_LIST, db, out),
        },
        Manage::Watchmap { cmd } => match cmd {
            Command::Add(entry) => add_watchmap(db, entry, out),
            other => common::<Watchmap>(other, WATCHMAP_LIST, db, out),
        },
        Manage::Filter { cmd } => filter(cmd, db, out),
    }
}

/// The columns `list` shows of each kind.
const WATCHLIST_LIST: &[&str] = &["wl_id", "user_id", "name", "radius", "active", "public"];
const WATCHMAP_LIST: &[&str] = &["ar_id", "user_id", "name", "active", "public"];
const FILTER_LIST: &[&str] = &["mq_id", "user_id", "name", "active", "run", "topic_name"];

/// What watchlists and watchmaps share: everything but adding.
fn common<R: Shown>(
    cmd: &Command,
    shown: &[&str],
    db: &mut Db,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Add(_) => bail!("adding is each kind's own command"),
        Command::List => list::<R>(db, shown, out)?,
        Command::Show { id } => show::<R>(db, *id, out)?,
        Command::Activate { id } => R::set_active(db, *id, 1)?,
        Command::Mute { id } => R::set_active(db, *id, 0)?,
        Command::Delete { id } => R::remove(db, *id)?,
    }
    Ok(Outcome::Ok)
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
            trigger,
        } => {
            let new = NewFilter {
                public: *public,
                trigger: trigger.trigger().unwrap_or(Trigger::ALERTS),
                ..NewFilter::new(*user, name, select, tables, conditions)
            };
            let f = Filter::create(db, &new, Some(*mode))?;
            writeln!(out, "filter {}: {}", f.id, f.topic)?;
            warn_if_never_annotated(db, &f)?;
        }
        FilterCommand::List => list::<Filter>(db, FILTER_LIST, out)?,
        FilterCommand::Show { id } => show::<Filter>(db, *id, out)?,
        FilterCommand::Activate { id, mode, trigger } => {
            Filter::set_delivery(db, *id, Some(mode.unwrap_or(Delivery::Kafka)))?;
            if let Some(t) = trigger.trigger() {
                Filter::set_trigger(db, *id, t)?;
                let f = Filter::get(db, *id)?;
                warn_if_never_annotated(db, &f)?;
            }
        }
        FilterCommand::Mute { id } => Filter::set_delivery(db, *id, None)?,
        FilterCommand::Delete { id } => Filter::delete(db, *id)?,
    }
    Ok(Outcome::Ok)
}

/// A filter run on annotations that names no annotator never runs: staff are told so.
fn warn_if_never_annotated(db: &Db, f: &Filter) -> anyhow::Result<()> {
    if !f.trigger.on_annotation {
        return Ok(());
    }
    let limits = lasair_service::query::QueryLimits::default();
    let compiled = lasair_service::query::compile_for(db, &f.query, &limits)?;
    if compiled.annotators.is_empty() {
        eprintln!(
            "lasair-filter: filter {} names no annotator (annotator:TOPIC in its tables): it never runs on annotations",
            f.id
        );
    }
    Ok(())
}

fn add_watchlist(
    db: &mut Db,
    entry: &NewEntry,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Outcome> {
    let file = &entry.file;
    let (cones, report) =
        read_cones(file).with_context(|| format!("watchlist {}", file.display()))?;
    if !report.is_clean() {
        eprintln!("{report}");
    }
    if cones.is_empty() {
        bail!("watchlist {}: no cone could be read", file.display());
    }
    let list = Watchlist::create(db, &entry.entry(), entry.radius, &cones)
        .with_context(|| format!("--radius {}", entry.radius))?;
    writeln!(out, "watchlist {}: {} cones", list.id, cones.len())?;
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
    let (map, area) = Watchmap::create(db, &entry.entry(), &bytes, &file.display().to_string())?;
    writeln!(
        out,
        "watchmap {}: {:.6} of the sky",
        map.id,
        area.sky_fraction()
    )?;
    Ok(Outcome::Ok)
}

impl NewEntry {
    fn entry(&self) -> watch::NewEntry {
        watch::NewEntry {
            user_id: self.user,
            name: self.name.clone(),
            description: self.description.clone(),
            public: self.public,
        }
    }
}

/// A kind staff list and show: how it is removed, and what `show` adds to its fields.
trait Shown: Record {
    fn remove(db: &mut Db, id: i64) -> Result<(), lasair_service::ServiceError> {
        Self::delete(db, id)
    }
    fn more(_db: &mut Db, _id: i64) -> anyhow::Result<Option<String>> {
        Ok(None)
    }
}

impl Shown for Watchlist {
    fn remove(db: &mut Db, id: i64) -> Result<(), lasair_service::ServiceError> {
        Watchlist::delete_with_cones(db, id)
    }
    fn more(db: &mut Db, id: i64) -> anyhow::Result<Option<String>> {
        Ok(Some(format!("cones: {}", Watchlist::cone_count(db, id)?)))
    }
}
impl Shown for Watchmap {}
impl Shown for Filter {}

fn list<R: Shown>(db: &mut Db, shown: &[&str], out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let at: Vec<usize> = shown
        .iter()
        .filter_map(|c| R::COLUMNS.iter().position(|k| k == c))
        .collect();
    writeln!(out, "{}", shown.join("\t"))?;
    for r in R::list(db)? {
        let fields = r.fields();
        let cells: Vec<String> = at
            .iter()
            .map(|&i| cell(R::COLUMNS[i], &fields[i]))
            .collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}

fn show<R: Shown>(db: &mut Db, id: i64, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let r = R::get(db, id)?;
    for (c, v) in R::COLUMNS.iter().zip(r.fields()) {
        writeln!(out, "{c}: {}", cell(c, &v))?;
    }
    if let Some(more) = R::more(db, id)? {
        writeln!(out, "{more}")?;
    }
    Ok(())
}

/// A cell as staff read it: a watchmap's MOC by its size (long base64 says nothing more), a
/// filter's `run` code by what triggers it.
fn cell(column: &str, v: &Value) -> String {
    match (column, v) {
        ("moc", Value::Text(t)) => format!("({} bytes of base64)", t.len()),
        ("run", v) => {
            let t = Trigger::from_code(v.as_i64());
            match (t.on_alert, t.on_annotation) {
                (true, false) => "alerts",
                (false, true) => "annotations",
                (true, true) => "both",
                (false, false) => "none",
            }
            .into()
        }
        _ => v.to_string(),
    }
}

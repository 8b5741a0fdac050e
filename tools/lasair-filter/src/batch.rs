//! One batch: each alert line read back, the latest alert of each object kept, its features,
//! Sherlock row and sky hits (watchlists, watchmaps, gravitational-wave maps) computed (in
//! parallel), as the rows of the batch tables that are loaded into the batch database (for
//! the filters) and then into the main database.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lasair_alert::{AlertLine, LineReader};
use lasair_context::classify::{Cell, Context as Sherlock};
use lasair_db::{Db, DbError, Select, Value};
use lasair_features::{Context, Options, SurveyFeatures};
use lasair_sql::catalog::{Catalog, ColType};
use lasair_sql::{Joined, Screen, ScreenBatch};
use lasair_stream::Message;
use rayon::prelude::*;

use lasair_service::mma::active::ActiveMap;
use lasair_service::sky::Sky;

/// What a batch is computed with; built once per run.
pub struct Stages {
    pub catalog: &'static Catalog,
    pub features: &'static dyn SurveyFeatures,
    pub options: Options,
    pub pool: rayon::ThreadPool,
}

/// One object of the batch: its latest alert.
pub struct Object {
    /// The object key as the catalogue types it (ZTF text, LSST integer).
    pub key: Value,
    /// The message the alert came in (its line, for filters that send the whole alert).
    pub message: usize,
    pub line: AlertLine,
}

/// The rows one object gives the batch tables.
struct Rows {
    object: Vec<Value>,
    sherlock: Option<Vec<Value>>,
    watchlist_hits: Vec<Vec<Value>>,
    area_hits: Vec<Vec<Value>>,
    mma_area_hits: Vec<Vec<Value>>,
    /// The TNS name whose cone the object is in.
    tns: Option<String>,
}

/// A batch's lines read back: the latest alert of each object (with its message's place),
/// and what could not be used.
#[derive(Default)]
pub struct Latest {
    /// While reading: each object's latest alert so far, with its message's place.
    by_object: HashMap<String, (usize, AlertLine)>,
    kept: Vec<(usize, AlertLine)>,
    bad: u64,
    superseded: u64,
}

impl Latest {
    /// Keeps the alert of message `i` if it is its object's latest so far: by time, a tie
    /// to the later message (the main database's rule: upsert_newer on the latest time, the
    /// later write winning a tie). The order alerts are offered in does not matter.
    fn offer(&mut self, i: usize, line: AlertLine) {
        use std::collections::hash_map::Entry;
        match self.by_object.entry(line.alert.object_id.0.clone()) {
            Entry::Vacant(e) => {
                e.insert((i, line));
            }
            Entry::Occupied(mut e) => {
                self.superseded += 1;
                let (j, old) = e.get();
                if (line.alert.mjd, i) > (old.alert.mjd, *j) {
                    e.insert((i, line));
                }
            }
        }
    }

    /// Two parts of a batch read apart, as one.
    fn merge(mut self, other: Latest) -> Latest {
        self.bad += other.bad;
        self.superseded += other.superseded;
        for (_, (i, line)) in other.by_object {
            self.offer(i, line);
        }
        self
    }

    /// The earliest and latest of the kept alerts' times (MJD TAI): which gravitational-wave
    /// maps may match them.
    pub fn times(&self, catalog: &Catalog) -> Option<(f64, f64)> {
        let tai = |l: &AlertLine| lasair_service::objects::alert_tai(catalog, l.alert.mjd);
        let times = self
            .kept
            .iter()
            .map(|(_, l)| tai(l))
            .filter(|t| t.is_finite());
        times.fold(None, |range, t| {
            Some(range.map_or((t, t), |(lo, hi): (f64, f64)| (lo.min(t), hi.max(t))))
        })
    }
}

/// A batch's objects, the rows of its tables (in [`BATCH_TABLES`] order), and what could
/// not be used.
#[derive(Default)]
pub struct Batch {
    pub objects: Vec<Object>,
    tables: [Vec<Vec<Value>>; 5],
    /// Lines that are not alerts (reported on stderr with where they came from).
    pub bad: u64,
    /// Alerts that make no object row (no usable detection, a solar-system object).
    pub skipped: u64,
    /// Older alerts of an object that a later alert in the same batch supersedes.
    pub superseded: u64,
    /// Objects in a cone of TNS's watchlist, with the name: their crossmatch_tns rows are
    /// written to the main database (the batch's come from the node's local copies).
    pub tns_hits: Vec<(Value, String)>,
    /// Of each object (as `objects`): its row of sherlock_classifications (its place in the
    /// table's rows), and its hits with their ids, for the filters' screens.
    sherlock_of: Vec<Option<usize>>,
    hits_of: Vec<Vec<(Joined, i64)>>,
    /// Each object's rowid in the batch database, once loaded there.
    rowids: Vec<Option<i64>>,
}

/// What a filter's screen kept of a batch.
pub enum Kept {
    /// No object: the filter has no row this batch.
    Nothing,
    /// These objects, as a JSON array of their rowids in the batch database (what a
    /// screened filter's narrowed statement binds).
    Rows(String),
    /// Objects whose rows the batch database does not place: the whole statement runs.
    All,
}

impl Stages {
    /// Reads each line back, keeping of each lightcurve point only the fields the features
    /// read, and keeps the latest alert of each object: an older one is dropped as soon as a
    /// newer one is read, so a batch holds only the alerts it keeps.
    pub fn read(&self, messages: &[Message]) -> Latest {
        let fields = self.features.point_fields();
        let mut out = self.pool.install(|| {
            messages
                .par_iter()
                .enumerate()
                .fold(
                    || (LineReader::keeping_point_fields(fields), Latest::default()),
                    |(mut reader, mut latest), (i, m)| {
                        match reader.read(&m.payload) {
                            Ok(line) => latest.offer(i, line),
                            Err(e) => {
                                latest.bad += 1;
                                eprintln!("lasair-filter: {}: {e}", m.origin);
                            }
                        }
                        (reader, latest)
                    },
                )
                .map(|(_, latest)| latest)
                .reduce(Latest::default, Latest::merge)
        });
        out.kept = out.by_object.drain().map(|(_, kept)| kept).collect();
        out.kept.sort_by_key(|(i, _)| *i);
        out
    }

    /// Computes every row of the kept alerts, with the sky sets and the gravitational-wave
    /// maps that may match them.
    pub fn prepare(
        &self,
        latest: Latest,
        messages: &[Message],
        sky: &Sky,
        gw: &[Arc<ActiveMap>],
    ) -> Batch {
        let mut batch = Batch {
            bad: latest.bad,
            superseded: latest.superseded,
            ..Batch::default()
        };
        let objects: Vec<Option<(Object, Rows)>> = self.pool.install(|| {
            latest
                .kept
                .into_par_iter()
                .map(|(i, line)| self.object(i, line, sky, gw, messages))
                .collect()
        });
        for o in objects {
            let Some((object, rows)) = o else {
                batch.skipped += 1;
                continue;
            };
            let [objects, sherlock, watchlist_hits, area_hits, mma_area_hits] = &mut batch.tables;
            objects.push(rows.object);
            batch.sherlock_of.push(rows.sherlock.map(|row| {
                sherlock.push(row);
                sherlock.len() - 1
            }));
            // Each hit table's rows start with the id its table-list entry fixes.
            let ids = |table: Joined, rows: &[Vec<Value>]| -> Vec<(Joined, i64)> {
                rows.iter()
                    .filter_map(|r| Some((table, r.first()?.as_i64()?)))
                    .collect()
            };
            let mut hits = ids(Joined::WatchlistHits, &rows.watchlist_hits);
            hits.extend(ids(Joined::AreaHits, &rows.area_hits));
            hits.extend(ids(Joined::MmaAreaHits, &rows.mma_area_hits));
            batch.hits_of.push(hits);
            watchlist_hits.extend(rows.watchlist_hits);
            area_hits.extend(rows.area_hits);
            mma_area_hits.extend(rows.mma_area_hits);
            if let Some(name) = rows.tns {
                batch.tns_hits.push((object.key.clone(), name));
            }
            batch.objects.push(object);
        }
        batch
    }

    fn object(
        &self,
        message: usize,
        line: AlertLine,
        sky: &Sky,
        gw: &[Arc<ActiveMap>],
        messages: &[Message],
    ) -> Option<(Object, Rows)> {
        let key = match self.key_type() {
            ColType::Int => match line.alert.object_id.0.parse::<i64>() {
                Ok(v) => Value::Int(v),
                Err(_) => {
                    eprintln!(
                        "lasair-filter: {}: object id {:?} is not an integer",
                        messages[message].origin, line.alert.object_id.0
                    );
                    return None;
                }
            },
            _ => Value::Text(line.alert.object_id.0.clone()),
        };
        let sherlock = line
            .extra
            .get("sherlock")
            .and_then(Sherlock::from_line_value);
        let best = sherlock.as_ref().map(|s| &s.best);
        let (ra, dec) = (line.alert.ra, line.alert.dec);
        let hits = sky.watchlist_hits(ra, dec);
        let tns = sky.tns_name(&hits).map(str::to_owned);
        let ctx = Context {
            distance_mpc: best.and_then(|b| b.distance.or(b.direct_distance)),
            classification: sherlock
                .as_ref()
                .map(|s| s.classification.as_str())
                .filter(|c| !c.is_empty()),
            tns_name: tns.as_deref(),
        };
        let object = self
            .features
            .object_row(&line.alert, &ctx, &self.options)
            .ok()?;
        let sherlock_row = sherlock.as_ref().map(|s| self.sherlock_row(&key, s));
        let watchlist_hits = hits
            .into_iter()
            .map(|h| {
                let arcsec = Value::Real(h.arcsec);
                vec![
                    h.wl_id.into(),
                    h.cone_id.into(),
                    key.clone(),
                    arcsec,
                    h.name.into(),
                ]
            })
            .collect();
        let area_hits = sky
            .area_hits(ra, dec)
            .into_iter()
            .map(|ar_id| vec![ar_id.into(), key.clone()])
            .collect();
        // Sherlock's host distance: direct, else from the host's (photometric) redshift.
        let host = best.and_then(|b| b.distance);
        let tai = lasair_service::objects::alert_tai(self.catalog, line.alert.mjd);
        let mma_area_hits = gw
            .iter()
            .filter_map(|map| map.hit(&key, ra, dec, tai, host))
            .collect();
        let rows = Rows {
            object,
            sherlock: sherlock_row,
            watchlist_hits,
            area_hits,
            mma_area_hits,
            tns,
        };
        Some((Object { key, message, line }, rows))
    }

    fn key_type(&self) -> ColType {
        let objects = self.catalog.tables[0];
        objects
            .column(self.catalog.key)
            .map_or(ColType::Text, |c| c.ty)
    }

    /// The sherlock_classifications row: the catalogue's columns, from the `sherlock` object
    /// lasair-sherlock added to the line (absent keys are NULL).
    fn sherlock_row(&self, key: &Value, sherlock: &Sherlock) -> Vec<Value> {
        let Some(table) = self.catalog.table("sherlock_classifications") else {
            return Vec::new();
        };
        let cells = sherlock.row();
        table
            .columns
            .iter()
            .map(|c| {
                if c.name == self.catalog.key {
                    return key.clone();
                }
                let cell = cells.iter().find(|(name, _)| *name == c.name);
                match (cell.map(|(_, cell)| *cell), c.ty) {
                    (Some(Cell::Int(Some(i))), ColType::Int) => Value::Int(i),
                    (Some(Cell::Real(Some(x))), ColType::Real) => Value::Real(x),
                    (Some(Cell::Text(Some(s))), ColType::Text) => Value::Text(s.to_owned()),
                    _ => Value::Null,
                }
            })
            .collect()
    }
}

impl Batch {
    /// The batch as filters' screens read it, holding the columns `screens` use.
    pub fn screen_batch<'s>(
        &self,
        screens: impl IntoIterator<Item = &'s Screen>,
    ) -> ScreenBatch<'_> {
        let sherlock: Vec<Option<&[Value]>> = self
            .sherlock_of
            .iter()
            .map(|s| s.map(|s| &self.tables[1][s][..]))
            .collect();
        let hits = self.hits_of.iter().map(|h| &h[..]).collect();
        ScreenBatch::new(&self.tables[0], &sherlock, hits, screens)
    }

    /// The objects `screen` keeps.
    pub fn screened(&self, screen: &Screen, batch: &ScreenBatch<'_>) -> Kept {
        let kept = screen.keep(batch);
        if kept.is_empty() {
            return Kept::Nothing;
        }
        let rowids: Option<Vec<i64>> = kept
            .iter()
            .map(|&i| self.rowids.get(i).copied().flatten())
            .collect();
        match rowids.and_then(|r| serde_json::to_string(&r).ok()) {
            Some(json) => Kept::Rows(json),
            None => Kept::All,
        }
    }

    /// Upserts the batch's rows into the (emptied) batch database: each table in one
    /// transaction.
    pub fn load(&mut self, db: &mut Db, catalog: &Catalog) -> Result<usize, DbError> {
        let written = self.write(db, catalog, &HashSet::new())?;
        // Where each object's row went, for the filters' narrowed statements. An object
        // whose key the database stores otherwise (another spelling of it, under the key's
        // case-blind collation, was written first) gets none: its filters run whole.
        let stored: HashMap<String, i64> = db
            .object_rowids()?
            .into_iter()
            .map(|(key, rowid)| (key.to_string(), rowid))
            .collect();
        self.rowids = self
            .objects
            .iter()
            .map(|o| stored.get(&o.key.to_string()).copied())
            .collect();
        Ok(written)
    }

    /// Upserts the batch's rows into the main database; upserting the same batch again
    /// leaves the same rows. An object it already holds from a later alert (the batch
    /// delivered again after a newer one, or late) keeps every row it has: none of its rows
    /// in any table is written, so an older alert's Sherlock context and sky hits never
    /// replace a newer one's. Returns how many objects were written.
    pub fn load_newer(&self, db: &mut Db, catalog: &Catalog) -> Result<usize, DbError> {
        let held = self.held_newer(db, catalog)?;
        self.write(db, catalog, &held)
    }

    /// Upserts every row but those of the `held` objects.
    fn write(
        &self,
        db: &mut Db,
        catalog: &Catalog,
        held: &HashSet<String>,
    ) -> Result<usize, DbError> {
        for (name, rows) in BATCH_TABLES.iter().zip(&self.tables) {
            let columns: Vec<&str> = catalog
                .table(name)
                .map(|t| t.columns.iter().map(|c| c.name).collect())
                .unwrap_or_default();
            let rows: std::borrow::Cow<[Vec<Value>]> =
                match columns.iter().position(|c| *c == catalog.key) {
                    Some(k) if !held.is_empty() => rows
                        .iter()
                        .filter(|r| !held.contains(&r[k].to_string()))
                        .cloned()
                        .collect(),
                    _ => rows.into(),
                };
            if *name == "objects" {
                // Guarded as well: another filter node may write the object meanwhile.
                db.upsert_newer(name, &columns, &rows, catalog.latest)?;
            } else {
                db.upsert(name, &columns, &rows)?;
            }
        }
        Ok(self.tables[0].len() - held.len())
    }

    /// The batch's objects that `db` holds from a later alert than the batch's.
    fn held_newer(&self, db: &mut Db, catalog: &Catalog) -> Result<HashSet<String>, DbError> {
        let mut held = HashSet::new();
        let objects = catalog.table("objects").map(|t| t.columns);
        let at = |name: &str| objects.and_then(|c| c.iter().position(|c| c.name == name));
        let (Some(k), Some(t)) = (at(catalog.key), at(catalog.latest)) else {
            return Ok(held);
        };
        // A few hundred keys a statement, each a bound parameter.
        for chunk in self.tables[0].chunks(500) {
            let keys = chunk.iter().map(|r| r[k].clone()).collect();
            let read = Select::from("objects")
                .columns(&[catalog.key, catalog.latest])
                .one_of(catalog.key, keys);
            let stored: HashMap<String, f64> = db
                .select(&read)?
                .rows
                .iter()
                .filter_map(|r| Some((r[0].to_string(), r[1].as_f64()?)))
                .collect();
            for row in chunk {
                let key = row[k].to_string();
                let newer = |at: &f64| row[t].as_f64().is_some_and(|mine| *at > mine);
                if stored.get(&key).is_some_and(newer) {
                    held.insert(key);
                }
            }
        }
        Ok(held)
    }
}

/// The tables a batch fills (and the batch database empties between batches).
pub const BATCH_TABLES: [&str; 5] = [
    "objects",
    "sherlock_classifications",
    "watchlist_hits",
    "area_hits",
    "mma_area_hits",
];

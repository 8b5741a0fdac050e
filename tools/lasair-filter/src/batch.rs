//! One batch: each alert line read back, the latest alert of each object kept, its features,
//! Sherlock row and sky hits (watchlists, watchmaps, gravitational-wave maps) computed (in
//! parallel), as the rows of the batch tables that are loaded into the batch database (for
//! the filters) and then into the main database.

use std::collections::HashMap;
use std::sync::Arc;

use lasair_alert::{AlertLine, LineReader};
use lasair_context::classify::{Cell, Context as Sherlock};
use lasair_db::{Db, DbError, Value};
use lasair_features::{Context, Options, SurveyFeatures};
use lasair_sql::catalog::{Catalog, ColType};
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
    kept: Vec<(usize, AlertLine)>,
    bad: u64,
    superseded: u64,
}

impl Latest {
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
}

impl Stages {
    /// Reads each line back, keeping of each lightcurve point only the fields the features
    /// read, and keeps the latest alert of each object.
    pub fn read(&self, messages: &[Message]) -> Latest {
        let fields = self.features.point_fields();
        let parsed: Vec<(usize, Result<AlertLine, String>)> = self.pool.install(|| {
            messages
                .par_iter()
                .enumerate()
                .map_init(|| LineReader::keeping_point_fields(fields), |reader, (i, m)| {
                    (i, reader.read(&m.payload).map_err(|e| e.to_string()))
                })
                .collect()
        });
        let mut out = Latest::default();
        let mut latest: HashMap<String, (usize, AlertLine)> = HashMap::new();
        for (i, line) in parsed {
            match line {
                Ok(line) => {
                    let id = line.alert.object_id.0.clone();
                    // By time, a tie to the later message: the main database's rule
                    // (upsert_newer on the latest time, the later write winning a tie).
                    let newer = |old: &AlertLine| line.alert.mjd >= old.alert.mjd;
                    match latest.get(&id) {
                        Some((_, old)) if !newer(old) => out.superseded += 1,
                        Some(_) => {
                            out.superseded += 1;
                            latest.insert(id, (i, line));
                        }
                        None => {
                            latest.insert(id, (i, line));
                        }
                    }
                }
                Err(e) => {
                    out.bad += 1;
                    eprintln!("lasair-filter: {}: {e}", messages[i].origin);
                }
            }
        }
        out.kept = latest.into_values().collect();
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
            sherlock.extend(rows.sherlock);
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
    /// Upserts the batch's rows into `db` (the batch database, or the main database): each
    /// table in one transaction; upserting the same batch again leaves the same rows.
    pub fn load(&self, db: &mut Db, catalog: &Catalog) -> Result<usize, DbError> {
        for (name, rows) in BATCH_TABLES.iter().zip(&self.tables) {
            let columns: Vec<&str> = catalog
                .table(name)
                .map(|t| t.columns.iter().map(|c| c.name).collect())
                .unwrap_or_default();
            if *name == "objects" {
                db.upsert_newer(name, &columns, rows, catalog.latest)?;
            } else {
                db.upsert(name, &columns, rows)?;
            }
        }
        Ok(self.tables[0].len())
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

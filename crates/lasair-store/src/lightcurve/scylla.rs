//! The production lightcurve store: Cassandra or ScyllaDB over CQL, with the `scylla` driver.
//!
//! URL: `scylla://HOST:PORT[,HOST:PORT...]/KEYSPACE[?replication=N]` (or `cql://`, read by
//! [`crate::cql::Target`]). Opening creates the keyspace (SimpleStrategy, replication factor
//! N, default 1) and the table if missing:
//!
//! ```cql
//! CREATE TABLE IF NOT EXISTS KEYSPACE.lightcurve (
//!     survey text, objectId text,  -- the partition: one object's whole lightcurve
//!     kind int, id bigint,         -- 0 detection, 1 non-detection, 2 forced; candid/pid/...
//!     mjd double, band text,
//!     mag double, magErr double, flux double, fluxErr double,
//!     rank int,                    -- 2 from the alert's own trigger, 1 from history
//!     fields text,                 -- the survey's record for the point, JSON
//!     PRIMARY KEY ((survey, objectId), kind, id))
//! ```
//!
//! Order independence without reading before writing: every point is written
//! `USING TIMESTAMP rank`, so Cassandra's last-write-wins keeps the most complete version
//! whatever the arrival order (equal ranks carry identical content). Anything else writing to
//! this table must do the same: a write or DELETE at the server's clock (microseconds since
//! 1970) would shadow every later ingest of those points.
//!
//! The trait is synchronous: the store owns a tokio runtime and blocks on it, so it must not be
//! called from inside another runtime.

use std::collections::{BTreeMap, HashMap};

use futures::{StreamExt, TryStreamExt};
use lasair_alert::{Alert, ObjectId, Point, PointKind, Survey};
use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use tokio::runtime::Runtime;

use crate::cql::{self, prepare, Target};

use super::{sort_points, LightcurveStore, StoreError, StoredPoint};

/// The table's definition, for the docs and for operators; `{ks}` is the keyspace.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS {ks}.lightcurve (survey text, objectId text, \
kind int, id bigint, mjd double, band text, mag double, magErr double, flux double, fluxErr double, \
rank int, fields text, PRIMARY KEY ((survey, objectId), kind, id))";

const COLUMNS: &str =
    "survey, objectId, kind, id, mjd, band, mag, magErr, flux, fluxErr, rank, fields";

/// A point as bound to the insert statement, in the order of `COLUMNS`.
#[derive(SerializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct WriteRow<'a> {
    survey: &'a str,
    object_id: &'a str,
    kind: i32,
    id: i64,
    mjd: f64,
    band: &'a str,
    mag: Option<f64>,
    mag_err: Option<f64>,
    flux: Option<f64>,
    flux_err: Option<f64>,
    rank: i32,
    fields: String,
}

/// A point as read back, in the order of the select.
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct ReadRow {
    kind: i32,
    id: i64,
    mjd: f64,
    band: String,
    mag: Option<f64>,
    mag_err: Option<f64>,
    flux: Option<f64>,
    flux_err: Option<f64>,
    rank: i32,
    fields: String,
}

pub struct ScyllaLightcurves {
    session: Session,
    keyspace: String,
    /// `INSERT ... USING TIMESTAMP rank`, prepared once per rank seen.
    inserts: BTreeMap<u8, PreparedStatement>,
    select: PreparedStatement,
    scan: PreparedStatement,
    // Declared last so the session's connections close before the runtime stops.
    runtime: Runtime,
}

impl ScyllaLightcurves {
    /// Connects to `scylla://HOST:PORT[,HOST:PORT]/KEYSPACE[?replication=N]`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let open_err = |reason: String| StoreError::Open {
            url: url.to_owned(),
            reason,
        };
        let target = Target::parse(url, &[]).map_err(open_err)?;
        let runtime = cql::runtime().map_err(open_err)?;
        let (session, select, scan) = runtime.block_on(connect(&target)).map_err(open_err)?;
        let keyspace = target.keyspace;
        Ok(Self {
            session,
            keyspace,
            inserts: BTreeMap::new(),
            select,
            scan,
            runtime,
        })
    }

    fn insert_for(&mut self, rank: u8) -> Result<PreparedStatement, StoreError> {
        if let Some(statement) = self.inserts.get(&rank) {
            return Ok(statement.clone());
        }
        let cql = format!(
            "INSERT INTO {} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP {rank}",
            table(&self.keyspace)
        );
        let statement = self
            .runtime
            .block_on(self.session.prepare(cql))
            .map_err(|e| backend("preparing the insert", e))?;
        self.inserts.insert(rank, statement.clone());
        Ok(statement)
    }
}

/// The table name, in one place.
fn table(keyspace: &str) -> String {
    format!("{keyspace}.lightcurve")
}

fn backend(doing: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("cql {doing}: {e}"))
}

/// Connects, creates the keyspace and table if missing, prepares the reads.
async fn connect(
    target: &Target,
) -> Result<(Session, PreparedStatement, PreparedStatement), String> {
    let session = cql::connect(target, &[SCHEMA]).await?;
    let ks = &target.keyspace;
    // Partition key only: clustering-range predicates are not needed, and the test server
    // would ignore them.
    let select = format!(
        "SELECT kind, id, mjd, band, mag, magErr, flux, fluxErr, rank, fields FROM {} \
         WHERE survey = ? AND objectId = ?",
        table(ks)
    );
    let select = prepare(&session, select).await?;
    let scan = prepare(&session, format!("SELECT kind FROM {}", table(ks))).await?;
    Ok((session, select, scan))
}

impl LightcurveStore for ScyllaLightcurves {
    fn upsert(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        let points = most_complete(alerts);
        let mut rows = Vec::with_capacity(points.len());
        for (alert, point) in points {
            let statement = self.insert_for(point.rank)?;
            rows.push((statement, row(alert, point)?));
        }
        let session = &self.session;
        // Durable once every write is acknowledged at the session's consistency level.
        let writes = futures::stream::iter(rows)
            .map(|(statement, row)| async move { session.execute_unpaged(&statement, row).await })
            .buffer_unordered(cql::IN_FLIGHT)
            .try_for_each(|_| async { Ok(()) });
        self.runtime
            .block_on(writes)
            .map_err(|e| backend("writing lightcurve points", e))
    }

    fn lightcurve(
        &mut self,
        survey: Survey,
        object: &ObjectId,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let doing = format!("reading the lightcurve of {survey} {object}");
        let read = async {
            let pager = self
                .session
                .execute_iter(self.select.clone(), (survey.as_str(), object.0.as_str()))
                .await?;
            let rows: Vec<ReadRow> = pager.rows_stream::<ReadRow>()?.try_collect().await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(rows)
        };
        let rows = self
            .runtime
            .block_on(read)
            .map_err(|e| backend(&doing, e))?;
        let mut points = rows
            .into_iter()
            .map(stored)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| backend(&doing, e))?;
        sort_points(&mut points);
        Ok(points)
    }

    fn count(&mut self) -> Result<u64, StoreError> {
        // A paged scan counted here: the test server has no count(*), and on a real cluster
        // count(*) scans every node all the same.
        let scan = async {
            let pager = self.session.execute_iter(self.scan.clone(), ()).await?;
            let n = pager
                .rows_stream::<(i32,)>()?
                .try_fold(0u64, |n, _| async move { Ok(n + 1) })
                .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(n)
        };
        self.runtime
            .block_on(scan)
            .map_err(|e| backend("counting points", e))
    }
}

/// Each point once per batch, in its most complete version: the batch's history records
/// repeat, and writing them all would only make the cluster discard them.
fn most_complete(alerts: &[Alert]) -> Vec<(&Alert, &Point)> {
    let mut best: HashMap<(Survey, &str, PointKind, i64), (&Alert, &Point)> = HashMap::new();
    for alert in alerts {
        for point in &alert.lightcurve {
            let key = (
                alert.survey,
                alert.object_id.0.as_str(),
                point.kind,
                point.id,
            );
            let slot = best.entry(key).or_insert((alert, point));
            if point.rank > slot.1.rank {
                *slot = (alert, point);
            }
        }
    }
    best.into_values().collect()
}

fn row<'a>(alert: &'a Alert, p: &'a Point) -> Result<WriteRow<'a>, StoreError> {
    let fields = p.fields.to_json();
    Ok(WriteRow {
        survey: alert.survey.as_str(),
        object_id: alert.object_id.0.as_str(),
        kind: i32::from(p.kind.code()),
        id: p.id,
        mjd: p.mjd,
        band: p.band.as_str(),
        mag: p.mag,
        mag_err: p.mag_err,
        flux: p.flux,
        flux_err: p.flux_err,
        rank: i32::from(p.rank),
        fields,
    })
}

fn stored(row: ReadRow) -> Result<StoredPoint, String> {
    let ReadRow { kind, id, rank, .. } = row;
    Ok(StoredPoint {
        kind: PointKind::from_code(i64::from(kind))
            .ok_or(format!("point {id}: unknown kind {kind}"))?,
        id,
        mjd: row.mjd,
        band: row.band,
        mag: row.mag,
        mag_err: row.mag_err,
        flux: row.flux,
        flux_err: row.flux_err,
        rank: u8::try_from(rank).map_err(|_| format!("point {id}: rank {rank} out of range"))?,
        fields: row.fields,
    })
}

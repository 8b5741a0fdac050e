//! The lightcurve store: every detection, upper limit and forced-photometry point of every
//! object, keyed by (survey, objectId, kind, id) so that re-ingesting changes nothing.

mod scylla;
mod sqlite;

use lasair_alert::{Alert, ObjectId, PointKind, Survey};
use thiserror::Error;

pub use scylla::ScyllaLightcurves;
pub use sqlite::SqliteLightcurves;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("lightcurve store {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("lightcurve store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("lightcurve store: {0}")]
    Backend(String),
}

/// One stored point, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub kind: PointKind,
    pub id: i64,
    pub mjd: f64,
    pub band: String,
    pub mag: Option<f64>,
    pub mag_err: Option<f64>,
    pub flux: Option<f64>,
    pub flux_err: Option<f64>,
    /// 2 when `fields` came from an alert's own trigger, 1 from a history record.
    pub rank: u8,
    /// The survey's record for this point, as JSON.
    pub fields: String,
}

/// A lightcurve backend. Upserts are idempotent and order-independent: a point is replaced
/// only by a more complete (`rank`) version of itself.
pub trait LightcurveStore: Send {
    /// Writes the lightcurve points of every alert; durable when it returns.
    fn upsert(&mut self, alerts: &[Alert]) -> Result<(), StoreError>;
    /// Every stored point of an object, sorted by (mjd, kind, id).
    fn lightcurve(
        &mut self,
        survey: Survey,
        object: &ObjectId,
    ) -> Result<Vec<StoredPoint>, StoreError>;
    /// How many points are stored in all (for reports and tests).
    fn count(&mut self) -> Result<u64, StoreError>;
}

/// Opens a backend by URL: `sqlite:PATH` or `scylla://HOST:PORT[,HOST:PORT]/KEYSPACE`.
pub fn open_lightcurves(url: &str) -> Result<Box<dyn LightcurveStore>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return Ok(Box::new(SqliteLightcurves::open(path)?));
    }
    if url.starts_with("scylla://") {
        return Ok(Box::new(ScyllaLightcurves::open(url)?));
    }
    Err(StoreError::Open {
        url: url.to_owned(),
        reason: "unknown scheme (expected sqlite:PATH or scylla://HOST:PORT/KEYSPACE)".into(),
    })
}

/// Sorts points as every backend returns them.
pub(crate) fn sort_points(points: &mut [StoredPoint]) {
    points.sort_by(|a, b| {
        a.mjd
            .total_cmp(&b.mjd)
            .then(a.kind.cmp(&b.kind))
            .then(a.id.cmp(&b.id))
    });
}

//! The lightcurve store: every detection, upper limit and forced-photometry point of every
//! object, keyed by (survey, objectId, kind, id) so that re-ingesting changes nothing.

mod scylla;
mod sqlite;

use lasair_alert::{Alert, JsonAlertError, LineReader, ObjectId, Point, PointKind, Survey};
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

impl StoredPoint {
    /// The point as an alert carries it, its record read back from the JSON kept here.
    pub fn into_point(self, reader: &mut LineReader) -> Result<Point, JsonAlertError> {
        let fields = reader.read_record(self.fields.as_bytes())?;
        Ok(Point {
            kind: self.kind,
            id: self.id,
            mjd: self.mjd,
            band: self.band,
            mag: self.mag,
            mag_err: self.mag_err,
            flux: self.flux,
            flux_err: self.flux_err,
            rank: self.rank,
            fields,
        })
    }
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

/// Opens a backend by URL: `sqlite:PATH` or `scylla://HOST:PORT[,HOST:PORT]/KEYSPACE`
/// (`cql://` alike).
pub fn open_lightcurves(url: &str) -> Result<Box<dyn LightcurveStore>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return Ok(Box::new(SqliteLightcurves::open(path)?));
    }
    if crate::cql::is_cql_url(url) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_point_becomes_the_point_with_its_record() {
        let stored = StoredPoint {
            kind: PointKind::Forced,
            id: 7,
            mjd: 60000.25,
            band: "r".into(),
            mag: None,
            mag_err: None,
            flux: Some(12.5),
            flux_err: Some(0.5),
            rank: 1,
            fields: r#"{"pid":7,"forcediffimflux":12.5}"#.into(),
        };
        let mut reader = LineReader::default();
        let p = stored.clone().into_point(&mut reader).expect("point");
        assert_eq!(
            (p.kind, p.id, p.mjd, p.band.as_str()),
            (PointKind::Forced, 7, 60000.25, "r")
        );
        assert_eq!((p.flux, p.flux_err, p.rank), (Some(12.5), Some(0.5), 1));
        assert_eq!(p.fields.i64("pid"), Some(7));
        let bad = StoredPoint {
            fields: "not json".into(),
            ..stored
        };
        assert!(bad.into_point(&mut reader).is_err());
    }
}

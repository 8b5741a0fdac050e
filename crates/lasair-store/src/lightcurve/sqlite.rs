//! The embedded lightcurve store: one SQLite file, WAL mode, one transaction per batch.

use std::collections::HashMap;
use std::path::Path;

use lasair_alert::{Alert, ObjectId, PointKind, Survey};
use rusqlite::{params, Connection, OptionalExtension};

use super::{sort_points, LightcurveStore, StoreError, StoredPoint};

/// A rowid table, so that new points (kilobytes of fields each) are appended to its end and
/// only the small key indexes are written at each object's place (a file made WITHOUT ROWID
/// by an earlier version works the same, larger and slower to write).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lightcurve (
    survey   TEXT    NOT NULL,
    objectId TEXT    NOT NULL,
    kind     INTEGER NOT NULL,  -- 0 detection, 1 non-detection, 2 forced photometry
    id       INTEGER NOT NULL,  -- candid / pid (ZTF); diaSourceId / diaForcedSourceId (LSST)
    mjd      REAL    NOT NULL,
    band     TEXT    NOT NULL,
    mag      REAL, magErr REAL, flux REAL, fluxErr REAL,
    rank     INTEGER NOT NULL,
    fields   TEXT    NOT NULL,  -- the survey's record for the point, JSON
    PRIMARY KEY (survey, objectId, kind, id)
);
-- The keys and ranks of an object's points, which each alert's upsert reads: an index holds
-- them a few dozen bytes each, where the table's rows carry kilobytes of fields.
CREATE INDEX IF NOT EXISTS lightcurve_ranks ON lightcurve (survey, objectId, kind, id, rank);
";

/// Points are replaced only by a more complete version, so arrival order cannot matter.
const UPSERT: &str = "
INSERT INTO lightcurve (survey, objectId, kind, id, mjd, band, mag, magErr, flux, fluxErr, rank, fields)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (survey, objectId, kind, id) DO UPDATE SET
    mjd = excluded.mjd, band = excluded.band, mag = excluded.mag, magErr = excluded.magErr,
    flux = excluded.flux, fluxErr = excluded.fluxErr, rank = excluded.rank, fields = excluded.fields
WHERE excluded.rank > lightcurve.rank
";

/// The page cache of a connection, in KiB (negative: SQLite's unit of KiB).
const CACHE_KIB: i64 = -64 * 1024;

pub struct SqliteLightcurves {
    conn: Connection,
}

impl SqliteLightcurves {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                url: format!("sqlite:{}", path.display()),
                reason: e.to_string(),
            })?;
        }
        let conn = Connection::open(path)?;
        // WAL: readers never block ingest. FULL: a committed batch survives power loss too,
        // which matters because Kafka offsets are committed right after it (one fsync a batch).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // The upper pages of the table and its index, where each alert's object is looked up,
        // kept in memory rather than read back from the file (SQLite's default is 2 MiB).
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }
}

impl LightcurveStore for SqliteLightcurves {
    fn upsert(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(UPSERT)?;
            let mut known = tx.prepare_cached(
                "SELECT kind, id, rank FROM lightcurve WHERE survey = ?1 AND objectId = ?2",
            )?;
            let mut have = HashMap::new();
            for alert in alerts {
                // Most of an alert's history is stored already: one range read of the object's
                // keys spares serializing and upserting every repeated point.
                have.clear();
                let rows =
                    known.query_map(params![alert.survey.as_str(), alert.object_id.0], |r| {
                        Ok((
                            (r.get::<_, i64>(0)?, r.get::<_, i64>(1)?),
                            r.get::<_, u8>(2)?,
                        ))
                    })?;
                for row in rows {
                    let (key, rank) = row?;
                    have.insert(key, rank);
                }
                for p in &alert.lightcurve {
                    if have
                        .get(&(i64::from(p.kind.code()), p.id))
                        .is_some_and(|&r| r >= p.rank)
                    {
                        continue;
                    }
                    let fields = p.fields.to_json();
                    stmt.execute(params![
                        alert.survey.as_str(),
                        alert.object_id.0,
                        p.kind.code(),
                        p.id,
                        p.mjd,
                        p.band,
                        p.mag,
                        p.mag_err,
                        p.flux,
                        p.flux_err,
                        p.rank,
                        fields
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn lightcurve(
        &mut self,
        survey: Survey,
        object: &ObjectId,
    ) -> Result<Vec<StoredPoint>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, id, mjd, band, mag, magErr, flux, fluxErr, rank, fields
             FROM lightcurve WHERE survey = ?1 AND objectId = ?2",
        )?;
        let rows = stmt.query_map(params![survey.as_str(), object.0], |r| {
            let kind: i64 = r.get(0)?;
            Ok(StoredPoint {
                kind: PointKind::from_code(kind).unwrap_or(PointKind::Detection),
                id: r.get(1)?,
                mjd: r.get(2)?,
                band: r.get(3)?,
                mag: r.get(4)?,
                mag_err: r.get(5)?,
                flux: r.get(6)?,
                flux_err: r.get(7)?,
                rank: r.get(8)?,
                fields: r.get(9)?,
            })
        })?;
        let mut points = rows.collect::<Result<Vec<_>, _>>()?;
        sort_points(&mut points);
        Ok(points)
    }

    fn count(&mut self) -> Result<u64, StoreError> {
        let n: Option<i64> = self
            .conn
            .query_row("SELECT count(*) FROM lightcurve", [], |r| r.get(0))
            .optional()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }
}

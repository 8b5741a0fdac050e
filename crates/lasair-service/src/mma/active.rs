//! The maps that match a batch's alerts: those whose event is at most [`ACTIVE_DAYS`] before
//! an alert's time (and not after it), by the event's and the alert's times, not by the
//! clock (so a replay of old alerts meets the maps of their time). The list is read each
//! batch, one row per map; a map's 90% region is read once and kept while it is listed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use lasair_db::{Db, Select, Value};
use lasair_sky::skymap::Credible;

use super::{hit_row, ACTIVE_DAYS, TABLE};
use crate::ServiceError;

/// One map that may match.
#[derive(Debug, Clone)]
pub struct ActiveMap {
    pub mw_id: i64,
    /// The event's time, MJD (TAI).
    pub event_tai: f64,
    /// Its 90% credible region.
    pub region: Credible,
}

impl ActiveMap {
    /// Whether an alert at `mjd_tai` is within the map's time: from its event to
    /// [`ACTIVE_DAYS`] after.
    pub fn covers(&self, mjd_tai: f64) -> bool {
        (self.event_tai..=self.event_tai + ACTIVE_DAYS).contains(&mjd_tai)
    }

    /// The `mma_area_hits` row of an object whose alert at `mjd_tai` is at (ra, dec), with the
    /// host distance Sherlock gave; `None` when outside the map's time or region.
    pub fn hit(
        &self,
        key: &Value,
        ra: f64,
        dec: f64,
        mjd_tai: f64,
        distance: Option<f64>,
    ) -> Option<Vec<Value>> {
        if !self.covers(mjd_tai) {
            return None;
        }
        let at = self.region.locate(ra, dec)?;
        Some(hit_row(self.mw_id, key.clone(), &at, distance))
    }
}

/// The maps read so far, kept between batches.
#[derive(Debug, Default)]
pub struct ActiveMaps {
    maps: HashMap<i64, Arc<ActiveMap>>,
    /// Maps whose stored region could not be read: reported once, then left out.
    broken: HashSet<i64>,
}

impl ActiveMaps {
    /// The maps that may match alerts taken between `from` and `to` (MJD TAI), and the
    /// problems met (a stored region that cannot be read, reported once; that map is left out).
    pub fn at(
        &mut self,
        db: &mut Db,
        from: f64,
        to: f64,
    ) -> Result<(Vec<Arc<ActiveMap>>, Vec<String>), ServiceError> {
        let list = Select::from(TABLE)
            .columns(&["mw_id"])
            .gt("active", 0)
            .between("event_tai", from - ACTIVE_DAYS, to)
            .order_by("mw_id");
        let ids: Vec<i64> = db
            .select(&list)?
            .rows
            .iter()
            .filter_map(|r| r[0].as_i64())
            .collect();
        self.maps.retain(|id, _| ids.contains(id));
        let mut problems = Vec::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if self.broken.contains(&id) {
                continue;
            }
            if let Some(map) = self.maps.get(&id) {
                out.push(Arc::clone(map));
                continue;
            }
            match read(db, id)? {
                Ok(map) => {
                    let map = Arc::new(map);
                    self.maps.insert(id, Arc::clone(&map));
                    out.push(map);
                }
                Err(why) => {
                    self.broken.insert(id);
                    problems.push(format!("gravitational-wave map {id}: {why}"));
                }
            }
        }
        Ok((out, problems))
    }
}

/// One map's region from its row: a database error is an error, a region that is not one a
/// problem (`Ok(Err(why))`).
fn read(db: &mut Db, id: i64) -> Result<Result<ActiveMap, String>, ServiceError> {
    let select = Select::from(TABLE)
        .columns(&["event_tai", "region90"])
        .eq("mw_id", id);
    let rows = db.select(&select)?.rows;
    let Some(row) = rows.first() else {
        return Ok(Err("gone".into()));
    };
    let (Some(event_tai), Some(text)) = (row[0].as_f64(), row[1].as_str()) else {
        return Ok(Err("no event time or region".into()));
    };
    let bytes = match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("its region is not base64: {e}"))),
    };
    Ok(Credible::from_bytes(&bytes, &format!("map {id}"))
        .map(|region| ActiveMap {
            mw_id: id,
            event_tai,
            region,
        })
        .map_err(|e| e.to_string()))
}

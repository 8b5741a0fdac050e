//! The sky sets of the active watchlists (one HEALPix index of every cone) and watchmaps (MOC
//! areas), built from the main database for matching a batch's positions in parallel.

use std::collections::HashMap;

use lasair_db::Db;
use lasair_sky::area::{AreaId, AreaSet};
use lasair_sky::cones::{WatchlistId, WatchlistSet, WatchlistSetBuilder};

use crate::watch::{Watchlist, Watchmap};
use crate::ServiceError;

/// One watchlist cone that contains a position.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchHit {
    pub wl_id: i64,
    pub cone_id: i64,
    pub name: String,
    pub arcsec: f64,
}

/// The active watchlists and watchmaps, shared read-only by a batch's threads.
#[derive(Default)]
pub struct Sky {
    cones: WatchlistSet,
    /// The database ids of each watchlist's cones, in the order the set took them.
    cone_ids: HashMap<u32, Vec<i64>>,
    areas: AreaSet,
    pub watchlists: usize,
    pub watchmaps: usize,
    /// The id of TNS's watchlist, when it is active: its hits name TNS entries.
    pub tns: Option<i64>,
    /// What was left out and why (a cone off the sky, a watchmap that is not a MOC); the
    /// rest still match.
    pub problems: Vec<String>,
}

impl Sky {
    /// Reads the active watchlists and watchmaps.
    pub fn load(db: &mut Db) -> Result<Sky, ServiceError> {
        let mut problems = Vec::new();
        let mut builder = WatchlistSetBuilder::new();
        let mut cone_ids: HashMap<u32, Vec<i64>> = HashMap::new();
        let mut tns = None;
        for (list, cones) in Watchlist::active_with_cones(db)? {
            if list.name == crate::tns::WATCHLIST && tns.is_none() {
                tns = Some(list.id);
            }
            let Ok(wl_id) = u32::try_from(list.id) else {
                problems.push(format!("watchlist {}: id out of range", list.id));
                continue;
            };
            if let Err(e) = builder.start_watchlist(WatchlistId(wl_id), list.radius, None) {
                problems.push(format!("watchlist {}: {e}", list.id));
                continue;
            }
            let taken = cone_ids.entry(wl_id).or_default();
            for c in cones {
                let cone = &c.cone;
                match builder.push_cone(cone.ra, cone.dec, &cone.name, cone.radius_arcsec) {
                    Ok(()) => taken.push(c.cone_id),
                    Err(e) => {
                        problems.push(format!("watchlist {}, cone {}: {e}", list.id, c.cone_id))
                    }
                }
            }
        }
        let cones = builder.build();
        let mut areas = Vec::new();
        for map in Watchmap::active(db)? {
            match (u32::try_from(map.id), map.area()) {
                (Ok(id), Ok(area)) => areas.push((AreaId(id), area)),
                (Err(_), _) => problems.push(format!("watchmap {}: id out of range", map.id)),
                (_, Err(e)) => problems.push(e.to_string()),
            }
        }
        Ok(Sky {
            watchlists: cones.watchlists(),
            watchmaps: areas.len(),
            tns,
            cones,
            cone_ids,
            areas: AreaSet::build(areas),
            problems,
        })
    }

    /// The cones whose radius holds the position.
    pub fn watchlist_hits(&self, ra: f64, dec: f64) -> Vec<WatchHit> {
        self.cones
            .hits(ra, dec)
            .into_iter()
            .filter_map(|h| {
                // Without ids given to the set, a hit's cone id is its place in the watchlist.
                let ids = self.cone_ids.get(&h.wl_id.0)?;
                Some(WatchHit {
                    wl_id: i64::from(h.wl_id.0),
                    cone_id: *ids.get(h.cone_id.0 as usize)?,
                    name: h.name.to_owned(),
                    arcsec: h.arcsec,
                })
            })
            .collect()
    }

    /// The TNS name among `hits` (the nearest, if two), when TNS's watchlist is active.
    pub fn tns_name<'h>(&self, hits: &'h [WatchHit]) -> Option<&'h str> {
        let tns = self.tns?;
        hits.iter()
            .filter(|h| h.wl_id == tns)
            .min_by(|a, b| a.arcsec.total_cmp(&b.arcsec))
            .map(|h| h.name.as_str())
    }

    /// The ids of the watchmaps that hold the position.
    pub fn area_hits(&self, ra: f64, dec: f64) -> Vec<i64> {
        let mut out = Vec::new();
        self.areas.hits(ra, dec, &mut out);
        out.into_iter().map(|a| i64::from(a.0)).collect()
    }
}

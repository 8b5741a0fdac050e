//! The sky context of a batch: the active watchlists (one HEALPix index of every cone) and
//! watchmaps (MOC areas), read from the main database's service tables.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use lasair_db::Db;
use lasair_sky::area::{Area, AreaId, AreaSet};
use lasair_sky::cones::{WatchlistId, WatchlistSet, WatchlistSetBuilder};

/// One watchlist cone that contains an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchHit {
    pub wl_id: i64,
    pub cone_id: i64,
    pub name: String,
    pub arcsec: f64,
}

/// The active watchlists and watchmaps, shared read-only by the batch's threads.
#[derive(Default)]
pub struct Sky {
    cones: WatchlistSet,
    /// The database ids of each watchlist's cones, in the order the set took them.
    cone_ids: HashMap<u32, Vec<i64>>,
    areas: AreaSet,
    pub watchlists: usize,
    pub watchmaps: usize,
}

const CONES: &str = "SELECT c.wl_id, c.cone_id, c.name, c.ra, c.decl, c.radius, w.radius \
    FROM watchlist_cones c JOIN watchlists w ON w.wl_id = c.wl_id WHERE w.active > 0 \
    ORDER BY c.wl_id, c.cone_id";
const MAPS: &str = "SELECT ar_id, name, moc FROM watchmaps WHERE active > 0 ORDER BY ar_id";

/// Lasair's default watchlist radius, arcsec, for a cone and list that give none.
const DEFAULT_RADIUS: f64 = 2.0;

impl Sky {
    /// Reads the active watchlists and watchmaps. A watchmap that is not a valid MOC is
    /// reported and left out; the rest still match.
    pub fn load(db: &mut Db) -> anyhow::Result<Sky> {
        let limit = Duration::from_secs(300);
        let rows = db.query_readonly(CONES, limit)?.rows;
        let mut builder = WatchlistSetBuilder::new();
        let mut cone_ids: HashMap<u32, Vec<i64>> = HashMap::new();
        // Rows come ordered by watchlist: each run of one wl_id is one watchlist.
        for list in rows.chunk_by(|a, b| a[0].as_i64() == b[0].as_i64()) {
            let Some(wl_id) = list[0][0].as_i64() else {
                continue;
            };
            let cones: Vec<_> = list
                .iter()
                .filter_map(|r| Some((r[1].as_i64()?, r[3].as_f64()?, r[4].as_f64()?, r)))
                .collect();
            let radius = list[0][6].as_f64().unwrap_or(DEFAULT_RADIUS);
            if let Err(e) = builder.start_watchlist(WatchlistId(wl_id as u32), radius, None) {
                eprintln!("lasair-filter: watchlist {wl_id}: {e}");
                continue;
            }
            let taken = cone_ids.entry(wl_id as u32).or_default();
            for (cone_id, ra, dec, r) in cones {
                match builder.push_cone(ra, dec, r[2].as_str().unwrap_or_default(), r[5].as_f64()) {
                    Ok(()) => taken.push(cone_id),
                    Err(e) => eprintln!("lasair-filter: watchlist {wl_id}, cone {cone_id}: {e}"),
                }
            }
        }
        let cones = builder.build();
        let mut areas = Vec::new();
        for r in db.query_readonly(MAPS, limit)?.rows {
            let (Some(ar_id), name) = (r[0].as_i64(), r[1].as_str().unwrap_or_default()) else {
                continue;
            };
            match decode_area(ar_id, name, r[2].as_str().unwrap_or_default()) {
                Ok(area) => areas.push((AreaId(ar_id as u32), area)),
                Err(e) => eprintln!("lasair-filter: watchmap {ar_id}: {e}"),
            }
        }
        Ok(Sky {
            watchlists: cones.watchlists(),
            watchmaps: areas.len(),
            cones,
            cone_ids,
            areas: AreaSet::build(areas),
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

    /// The ids of the watchmaps that hold the position.
    pub fn area_hits(&self, ra: f64, dec: f64) -> Vec<i64> {
        let mut out = Vec::new();
        self.areas.hits(ra, dec, &mut out);
        out.into_iter().map(|a| i64::from(a.0)).collect()
    }
}

/// A watchmap as stored: its MOC file (FITS, ASCII or JSON) in base64, as Lasair keeps it.
pub fn encode_moc(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode_area(ar_id: i64, name: &str, moc: &str) -> anyhow::Result<Area> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(moc.trim())
        .map_err(|e| anyhow::anyhow!("its MOC is not base64: {e}"))?;
    let label = format!("{ar_id} ({name})");
    Ok(Area::from_bytes(&bytes, &label)?)
}

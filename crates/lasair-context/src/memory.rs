//! Catalogues held in memory behind the [`ConeSearch`] trait, indexed by declination zones
//! sorted by RA: for tests, benchmarks and one-off runs on small catalogue files. The
//! per-node store with its HEALPix index is `catalogue`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::catalogue::{CatalogueError, CatalogueKind, ConeSearch, Match, Source};
use crate::classify::config::fnv1a;

/// Positions sorted into declination zones, each sorted by RA, pointing back to their rows.
#[derive(Debug, Clone)]
pub struct ZoneIndex {
    zone_deg: f64,
    /// Zone `z` holds entries `starts[z]..starts[z + 1]`.
    starts: Vec<u32>,
    ra: Vec<f64>,
    dec: Vec<f64>,
    row: Vec<u32>,
}

impl ZoneIndex {
    /// Indexes `positions` (degrees) in zones `zone_deg` high.
    pub fn new(positions: &[(f64, f64)], zone_deg: f64) -> ZoneIndex {
        let zones = (180.0 / zone_deg).ceil() as usize;
        let zone_of = |dec: f64| (((dec + 90.0) / zone_deg) as usize).min(zones - 1);
        let mut order: Vec<u32> = (0..positions.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (pa, pb) = (positions[a as usize], positions[b as usize]);
            (zone_of(pa.1), pa.0)
                .partial_cmp(&(zone_of(pb.1), pb.0))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut starts = vec![0u32; zones + 1];
        for &i in &order {
            starts[zone_of(positions[i as usize].1) + 1] += 1;
        }
        for z in 0..zones {
            starts[z + 1] += starts[z];
        }
        ZoneIndex {
            zone_deg,
            starts,
            ra: order.iter().map(|&i| positions[i as usize].0).collect(),
            dec: order.iter().map(|&i| positions[i as usize].1).collect(),
            row: order,
        }
    }

    pub fn len(&self) -> usize {
        self.row.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row.is_empty()
    }

    /// Calls `hit(row, separation_arcsec)` for every entry within `radius_arcsec`.
    pub fn cone(&self, ra: f64, dec: f64, radius_arcsec: f64, mut hit: impl FnMut(u32, f64)) {
        let r = radius_arcsec / 3600.0;
        let zones = self.starts.len() - 1;
        let lo = (((dec - r + 90.0) / self.zone_deg).floor().max(0.0) as usize).min(zones - 1);
        let hi = (((dec + r + 90.0) / self.zone_deg) as usize).min(zones - 1);
        // Half-width in RA of the cone's bounding box; the whole circle near a pole.
        let widest = (dec.abs() + r).min(90.0).to_radians().cos();
        let half = if widest <= 1e-9 { 360.0 } else { r / widest };
        let ranges: [(f64, f64); 2] = if half >= 180.0 {
            [(0.0, 360.0), (1.0, 0.0)]
        } else if ra - half < 0.0 {
            [(0.0, ra + half), (ra - half + 360.0, 360.0)]
        } else if ra + half >= 360.0 {
            [(ra - half, 360.0), (0.0, ra + half - 360.0)]
        } else {
            [(ra - half, ra + half), (1.0, 0.0)]
        };
        for z in lo..=hi {
            let (s, e) = (self.starts[z] as usize, self.starts[z + 1] as usize);
            let ras = &self.ra[s..e];
            for (a, b) in ranges {
                if a > b {
                    continue;
                }
                let first = ras.partition_point(|&x| x < a);
                let last = ras.partition_point(|&x| x <= b);
                for k in s + first..s + last {
                    let sep = lasair_sky::separation_arcsec(ra, dec, self.ra[k], self.dec[k]);
                    if sep <= radius_arcsec {
                        hit(self.row[k], sep);
                    }
                }
            }
        }
    }
}

/// One catalogue in memory.
#[derive(Debug, Clone)]
struct MemoryCatalogue {
    kind: CatalogueKind,
    sources: Vec<Source>,
    index: ZoneIndex,
}

/// A set of catalogues in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryCatalogues {
    catalogues: BTreeMap<String, MemoryCatalogue>,
}

impl MemoryCatalogues {
    pub fn new() -> MemoryCatalogues {
        MemoryCatalogues::default()
    }

    /// Adds (or replaces) catalogue `name` of `kind`; each source's `catalogue` and `kind`
    /// are set to match.
    pub fn add(&mut self, name: &str, kind: CatalogueKind, mut sources: Vec<Source>) {
        let shared: Arc<str> = Arc::from(name);
        for s in &mut sources {
            s.catalogue = shared.clone();
            s.kind = kind;
        }
        let positions: Vec<(f64, f64)> = sources.iter().map(|s| (s.ra, s.dec)).collect();
        let index = ZoneIndex::new(&positions, 0.05);
        self.catalogues.insert(
            name.to_owned(),
            MemoryCatalogue {
                kind,
                sources,
                index,
            },
        );
    }
}

impl ConeSearch for MemoryCatalogues {
    fn cone(
        &self,
        catalogue: &str,
        ra: f64,
        dec: f64,
        radius_arcsec: f64,
    ) -> Result<Vec<Match>, CatalogueError> {
        let c = self
            .catalogues
            .get(catalogue)
            .ok_or_else(|| CatalogueError::Unknown(catalogue.to_owned()))?;
        let mut out = Vec::new();
        c.index.cone(ra, dec, radius_arcsec, |row, sep| {
            out.push(Match {
                source: c.sources[row as usize].clone(),
                separation_arcsec: sep,
            })
        });
        out.sort_by(|a, b| a.separation_arcsec.total_cmp(&b.separation_arcsec));
        Ok(out)
    }

    fn catalogues(&self) -> Vec<(String, CatalogueKind)> {
        self.catalogues
            .iter()
            .map(|(n, c)| (n.clone(), c.kind))
            .collect()
    }

    fn fingerprint(&self) -> String {
        let mut text = String::new();
        for (name, c) in &self.catalogues {
            let first = c.sources.first().map(|s| (s.ra, s.dec));
            text.push_str(&format!("{name}:{}:{first:?};", c.sources.len()));
        }
        format!("memory {:016x}", fnv1a(text.as_bytes()))
    }
}

/// A source with only a position and an id, the rest unknown.
pub fn point_source(id: impl Into<String>, ra: f64, dec: f64) -> Source {
    Source {
        catalogue: Arc::from(""),
        kind: CatalogueKind::Other,
        id: id.into(),
        ra,
        dec,
        object_type: None,
        z: None,
        photo_z: None,
        photo_z_err: None,
        distance_mpc: None,
        major_axis_arcsec: None,
        mag: None,
        mag_filter: None,
        mag_err: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every point of a small grid, by brute force, must be what the index finds.
    #[test]
    fn zone_cones_equal_brute_force_including_wrap_and_poles() {
        let mut positions = Vec::new();
        for i in 0..400 {
            for j in 0..90 {
                let ra = (i as f64 * 0.9 + j as f64 * 0.013) % 360.0;
                let dec = -89.99 + j as f64 * 1.9999 + i as f64 * 1e-4;
                positions.push((ra, dec));
            }
        }
        positions.push((0.0001, 10.0));
        positions.push((359.9999, 10.0));
        positions.push((123.0, 90.0));
        positions.push((300.0, -90.0));
        let index = ZoneIndex::new(&positions, 0.05);
        let probes = [
            (0.0, 10.0, 5.0),
            (359.99995, 10.0, 1.0),
            (180.0, 89.9999, 3600.0),
            (10.0, -89.99, 7200.0),
            (45.0, 0.0, 20000.0),
            (200.3, 33.3, 600.0),
        ];
        for (ra, dec, r) in probes {
            let mut found = Vec::new();
            index.cone(ra, dec, r, |row, _| found.push(row));
            found.sort_unstable();
            let expected: Vec<u32> = positions
                .iter()
                .enumerate()
                .filter(|(_, p)| lasair_sky::separation_arcsec(ra, dec, p.0, p.1) <= r)
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(found, expected, "cone ({ra}, {dec}, {r}\")");
        }
    }

    #[test]
    fn catalogue_cones_are_nearest_first_and_unknown_names_refused() {
        let mut m = MemoryCatalogues::new();
        m.add(
            "stars",
            CatalogueKind::Star,
            vec![
                point_source("far", 10.0, 10.0 + 2.0 / 3600.0),
                point_source("near", 10.0, 10.0 + 1.0 / 3600.0),
            ],
        );
        let found = m.cone("stars", 10.0, 10.0, 3.0).expect("cone");
        let ids: Vec<_> = found.iter().map(|m| m.source.id.as_str()).collect();
        assert_eq!(ids, ["near", "far"]);
        assert_eq!(&*found[0].source.catalogue, "stars");
        assert!(matches!(
            m.cone("nope", 0.0, 0.0, 1.0),
            Err(CatalogueError::Unknown(_))
        ));
    }
}

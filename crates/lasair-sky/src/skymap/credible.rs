//! Greedy credible regions of a sky map: its pixels by descending probability density, each
//! with the probability of it and every denser pixel (its credible level, Lasair's `contour`).
//! The c-region is the pixels whose level is below c (the pixel that crosses c is out), as
//! Lasair's MOCs, ligo.skymap's levels and mocpy's `from_valued_healpix_cells` have it. A
//! region keeps the map's total, so the levels of its pixels are those of the whole map.

use std::io::{Read, Write};
use std::ops::Range;

use super::distance::Ansatz;
use super::SkymapError;
use crate::area::{cell29, Area, MAX_DEPTH};

/// One pixel of a multi-order map: its NUNIQ number, its probability density (sr⁻¹) and its
/// distance parameters (NaN-free only where the map has distances).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pixel {
    pub uniq: u64,
    pub density: f64,
    pub ansatz: Ansatz,
}

/// The order and nested index of a NUNIQ number; `None` for a number that is no cell.
pub fn uniq_cell(uniq: u64) -> Option<(u8, u64)> {
    if uniq < 4 {
        return None;
    }
    let order = ((63 - (uniq >> 2).leading_zeros()) / 2) as u8;
    let ipix = uniq - (4u64 << (2 * order as u32));
    (order <= MAX_DEPTH && ipix < 12u64 << (2 * order as u32)).then_some((order, ipix))
}

/// The NUNIQ number of nested cell `ipix` at `order`.
pub fn cell_uniq(order: u8, ipix: u64) -> u64 {
    (4u64 << (2 * order as u32)) + ipix
}

/// The area of a cell of `order`, steradians.
fn cell_sr(order: u8) -> f64 {
    std::f64::consts::PI / (3u64 << (2 * order as u32)) as f64
}

/// The range of order-29 cells a pixel covers.
fn cells29(uniq: u64) -> Option<Range<u64>> {
    let (order, ipix) = uniq_cell(uniq)?;
    let shift = 2 * (MAX_DEPTH - order) as u32;
    Some(ipix << shift..(ipix + 1) << shift)
}

/// What a sky map says of one position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// The credible level of the position's pixel, 0..1 (smaller is likelier).
    pub contour: f64,
    /// The 2-D probability density there, sr⁻¹.
    pub probdensity: f64,
    /// The distance parameters there, if the map has distances.
    pub ansatz: Option<Ansatz>,
}

impl Located {
    /// The 3-D probability density (Mpc⁻³) at `distance` Mpc; `None` without map distances
    /// or a usable distance.
    pub fn density3(&self, distance: f64) -> Option<f64> {
        self.ansatz?.density3(self.probdensity, distance)
    }
}

/// Pixels in the order of their credible levels, with a lookup by position.
#[derive(Debug, Clone, PartialEq)]
pub struct Credible {
    pixels: Vec<Pixel>,
    /// The probability of each pixel and every one before it.
    cumulative: Vec<f64>,
    /// The probability of the whole map (1 up to rounding).
    total: f64,
    /// The map's finest order: a region's MOC is at this order.
    depth: u8,
    distances: bool,
    /// (first order-29 cell, end, index into `pixels`), by first cell.
    lookup: Vec<(u64, u64, u32)>,
}

impl Credible {
    /// All of a map's pixels, ordered (density descending, then NUNIQ); refused if two
    /// pixels overlap or a number is no cell.
    pub(crate) fn build(
        mut pixels: Vec<Pixel>,
        distances: bool,
        name: &str,
    ) -> Result<Credible, SkymapError> {
        if pixels.len() >= u32::MAX as usize {
            return Err(SkymapError::invalid(name, "more than 2^32 pixels"));
        }
        pixels.sort_unstable_by(|a, b| b.density.total_cmp(&a.density).then(a.uniq.cmp(&b.uniq)));
        let mut depth = 0;
        for p in &pixels {
            let (order, _) = uniq_cell(p.uniq).ok_or_else(|| {
                SkymapError::invalid(name, format!("UNIQ {} is no HEALPix cell", p.uniq))
            })?;
            depth = depth.max(order);
        }
        let credible = Credible::ordered(pixels, None, depth, distances);
        if let Some(w) = credible.lookup.windows(2).find(|w| w[1].0 < w[0].1) {
            let (a, b) = (
                credible.pixels[w[0].2 as usize],
                credible.pixels[w[1].2 as usize],
            );
            return Err(SkymapError::invalid(
                name,
                format!("pixels UNIQ {} and {} overlap", a.uniq, b.uniq),
            ));
        }
        Ok(credible)
    }

    /// Pixels already in order (their NUNIQ numbers checked), with the map's total if this
    /// is a region of it.
    fn ordered(pixels: Vec<Pixel>, total: Option<f64>, depth: u8, distances: bool) -> Credible {
        let mut sum = 0.0;
        let cumulative: Vec<f64> = pixels
            .iter()
            .map(|p| {
                sum += p.density * p.area_sr();
                sum
            })
            .collect();
        let mut lookup: Vec<(u64, u64, u32)> = pixels
            .iter()
            .enumerate()
            .filter_map(|(i, p)| cells29(p.uniq).map(|r| (r.start, r.end, i as u32)))
            .collect();
        lookup.sort_unstable_by_key(|e| e.0);
        Credible {
            pixels,
            cumulative,
            total: total.unwrap_or(sum),
            depth,
            distances,
            lookup,
        }
    }

    /// The `level` credible region (0 < level ≤ 1): the pixels whose credible level is below
    /// `level`.
    pub fn region(&self, level: f64) -> Credible {
        let limit = level * self.total;
        let n = self.cumulative.partition_point(|&c| c < limit);
        Credible::ordered(
            self.pixels[..n].to_vec(),
            Some(self.total),
            self.depth,
            self.distances,
        )
    }

    /// What the map says at a position in this region; `None` outside it (or for a position
    /// that is not on the sky).
    pub fn locate(&self, ra: f64, dec: f64) -> Option<Located> {
        let cell = cell29(ra, dec)?;
        let after = self.lookup.partition_point(|e| e.0 <= cell);
        let (_, end, i) = *self.lookup.get(after.checked_sub(1)?)?;
        if cell >= end {
            return None;
        }
        let i = i as usize;
        let pixel = self.pixels[i];
        Some(Located {
            contour: self.cumulative[i] / self.total,
            probdensity: pixel.density,
            ansatz: self.distances.then_some(pixel.ansatz),
        })
    }

    /// Whether the position lies in this region.
    pub fn contains(&self, ra: f64, dec: f64) -> bool {
        self.locate(ra, dec).is_some()
    }

    /// The region as a MOC at the map's finest order.
    pub fn area(&self, name: &str) -> Area {
        let ranges: Vec<Range<u64>> = self.lookup.iter().map(|e| e.0..e.1).collect();
        Area::from_cells(name, self.depth, ranges)
    }

    /// Its area, square degrees.
    pub fn area_deg2(&self) -> f64 {
        let sr: f64 = self.pixels.iter().map(Pixel::area_sr).sum();
        sr * (180.0 / std::f64::consts::PI).powi(2)
    }

    /// Its pixels, densest first.
    pub fn pixels(&self) -> &[Pixel] {
        &self.pixels
    }

    /// The probability it holds, as a fraction of the map's.
    pub fn probability(&self) -> f64 {
        self.cumulative.last().map_or(0.0, |c| c / self.total)
    }

    /// The map's finest order.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Whether the map gives distances.
    pub fn has_distances(&self) -> bool {
        self.distances
    }

    /// The declinations it spans (degrees), each pixel's centre widened by twice its size:
    /// a band that holds the region, for reading positions from an index.
    pub fn dec_bounds(&self) -> Option<(f64, f64)> {
        let mut band: Option<(f64, f64)> = None;
        for p in &self.pixels {
            let Some((order, ipix)) = uniq_cell(p.uniq) else {
                continue;
            };
            let lat = cdshealpix::nested::center(order, ipix).1.to_degrees();
            let reach = 2.0 * p.area_sr().sqrt().to_degrees();
            let (lo, hi) = (lat - reach, lat + reach);
            band = Some(band.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        band.map(|(a, b)| (a.max(-90.0), b.min(90.0)))
    }

    /// The centre (RA, Dec degrees) of the densest pixel: the most probable position.
    pub fn max_location(&self) -> Option<(f64, f64)> {
        let (order, ipix) = uniq_cell(self.pixels.first()?.uniq)?;
        let (lon, lat) = cdshealpix::nested::center(order, ipix);
        Some((lon.to_degrees(), lat.to_degrees()))
    }

    /// The region as bytes to store (zlib-compressed; read back by [`Credible::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(24 + self.pixels.len() * 40);
        raw.extend_from_slice(MAGIC);
        raw.push(self.depth);
        raw.push(u8::from(self.distances));
        raw.extend(self.total.to_le_bytes());
        raw.extend((self.pixels.len() as u64).to_le_bytes());
        for p in &self.pixels {
            raw.extend(p.uniq.to_le_bytes());
            raw.extend(p.density.to_le_bytes());
            if self.distances {
                for v in [p.ansatz.mu, p.ansatz.sigma, p.ansatz.norm] {
                    raw.extend(v.to_le_bytes());
                }
            }
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(&raw);
        z.finish().unwrap_or_default()
    }

    /// A region stored by [`Credible::to_bytes`]; `name` says which in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Credible, SkymapError> {
        let bad = |why: &str| SkymapError::invalid(name, format!("stored region: {why}"));
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(bytes)
            .take(1 << 31)
            .read_to_end(&mut raw)
            .map_err(|e| bad(&e.to_string()))?;
        let head = MAGIC.len() + 18;
        if raw.len() < head || !raw.starts_with(MAGIC) {
            return Err(bad("not a region this code wrote"));
        }
        let word = |at: usize| -> [u8; 8] {
            let mut w = [0u8; 8];
            w.copy_from_slice(&raw[at..at + 8]);
            w
        };
        let (depth, distances) = (raw[MAGIC.len()], raw[MAGIC.len() + 1] == 1);
        let total = f64::from_le_bytes(word(MAGIC.len() + 2));
        let count = u64::from_le_bytes(word(MAGIC.len() + 10));
        let size = if distances { 40 } else { 16 };
        if (raw.len() - head) as u64 != count.saturating_mul(size) || depth > MAX_DEPTH {
            return Err(bad("its length does not match its pixel count"));
        }
        let mut pixels = Vec::with_capacity(count as usize);
        for at in (head..raw.len()).step_by(size as usize) {
            let real = |k: usize| f64::from_le_bytes(word(at + 8 * k));
            let uniq = u64::from_le_bytes(word(at));
            if uniq_cell(uniq).is_none_or(|(o, _)| o > depth) {
                return Err(bad(&format!("UNIQ {uniq} is no cell of order <= {depth}")));
            }
            let ansatz = if distances {
                Ansatz {
                    mu: real(2),
                    sigma: real(3),
                    norm: real(4),
                }
            } else {
                Ansatz::NONE
            };
            pixels.push(Pixel {
                uniq,
                density: real(1),
                ansatz,
            });
        }
        Ok(Credible::ordered(pixels, Some(total), depth, distances))
    }
}

const MAGIC: &[u8] = b"LASAIR-SKYMAP-REGION-1";

impl Pixel {
    /// The pixel's area, steradians (0 for a number that is no cell).
    pub fn area_sr(&self) -> f64 {
        uniq_cell(self.uniq).map_or(0.0, |(o, _)| cell_sr(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(order: u8, ipix: u64, density: f64) -> Pixel {
        Pixel {
            uniq: cell_uniq(order, ipix),
            density,
            ansatz: Ansatz {
                mu: 100.0,
                sigma: 10.0,
                norm: 1e-4,
            },
        }
    }

    /// The 12 base cells, cell 4 split into its 4 children: 15 pixels, probabilities known.
    fn map() -> Credible {
        let sr0 = cell_sr(0);
        let mut pixels: Vec<Pixel> = (0..12)
            .filter(|&i| i != 4)
            .map(|i| pixel(0, i, 0.01 / sr0))
            .collect();
        // Cell 4's children hold 0.89: 0.5, 0.2, 0.1, 0.09.
        for (k, p) in [0.5, 0.2, 0.1, 0.09].into_iter().enumerate() {
            pixels.push(pixel(1, 16 + k as u64, p / cell_sr(1)));
        }
        Credible::build(pixels, true, "test").unwrap()
    }

    #[test]
    fn levels_and_regions_follow_the_densest_pixels() {
        let m = map();
        assert!((m.probability() - 1.0).abs() < 1e-12);
        // The densest pixel holds 0.5: its level is 0.5, out of the 0.45 region, in 0.55's.
        assert_eq!(m.region(0.45).pixels().len(), 0);
        assert_eq!(m.region(0.55).pixels().len(), 1);
        let r = m.region(0.895);
        assert_eq!(r.pixels().len(), 4);
        assert!((r.probability() - 0.89).abs() < 1e-12);
        assert!((r.area_deg2() - 41_252.961_249_419_27 / 12.0).abs() < 1e-9);
        let (ra, dec) = m.max_location().unwrap();
        let here = r.locate(ra, dec).unwrap();
        assert!((here.contour - 0.5).abs() < 1e-12);
        assert!(here.density3(100.0).unwrap() > here.density3(200.0).unwrap());
        assert!(!r.contains(180.0, 0.0) && m.contains(180.0, 0.0));
        let level = m.locate(180.0, 0.0).unwrap().contour;
        assert!(level > 0.89 && level < 1.0 + 1e-12, "{level}");
        assert_eq!(r.area("r").sky_fraction(), 1.0 / 12.0);
        assert_eq!(r.area("r").depth(), 1);
        // Base cell 4 spans Dec -41.8 to 41.8 (centred on the equator).
        let (lo, hi) = r.dec_bounds().unwrap();
        assert!(lo < -41.8 && hi > 41.8 && lo > -90.0, "{lo} {hi}");
        assert_eq!(m.region(0.45).dec_bounds(), None);
    }

    #[test]
    fn a_region_survives_storage() {
        let r = map().region(0.95);
        let back = Credible::from_bytes(&r.to_bytes(), "r").unwrap();
        assert_eq!(back, r);
        let err = Credible::from_bytes(b"junk", "map 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("map 3"), "{err}");
    }

    #[test]
    fn overlapping_pixels_and_bad_numbers_are_refused() {
        let err = Credible::build(vec![pixel(0, 4, 1.0), pixel(1, 17, 1.0)], false, "m")
            .unwrap_err()
            .to_string();
        assert!(err.contains("overlap"), "{err}");
        let bad = Pixel {
            uniq: 3,
            ..pixel(0, 0, 1.0)
        };
        assert!(Credible::build(vec![bad], false, "m").is_err());
        assert_eq!(uniq_cell(4), Some((0, 0)));
        assert_eq!(uniq_cell(16 + 47), Some((1, 47)));
        assert_eq!(uniq_cell(64), Some((2, 0)));
        assert_eq!(uniq_cell(1 << 62), None);
        assert_eq!(uniq_cell(cell_uniq(29, 5)), Some((29, 5)));
    }
}

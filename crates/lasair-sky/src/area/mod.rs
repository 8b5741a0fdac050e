//! Sky areas as MOCs (watchmaps): read from FITS (MOC 1.x and 2.0), ASCII or JSON, matched by
//! containment of a position, and drawn on the sky for the web pages.

mod check;
mod fits;
mod preview;
mod read;
mod set;

pub use preview::MAX_WIDTH as MAX_PREVIEW_WIDTH;
pub use set::{AreaId, AreaSet};

use std::ops::Range;
use std::path::Path;

use moc::elemset::range::MocRanges;
use moc::moc::range::RangeMOC;
use moc::moc::RangeMOCIntoIterator;
use moc::moc::RangeMOCIterator;
use moc::qty::Hpx;

/// The deepest HEALPix order of a sky MOC; every range is kept at this order.
pub const MAX_DEPTH: u8 = 29;
/// The number of HEALPix cells of the whole sky at [`MAX_DEPTH`]: 12 * 4^29.
pub(crate) const SKY_CELLS: u64 = 12 << (2 * MAX_DEPTH as u64);

/// Why a file could not be read as a watchmap. Each message names the file and says why.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("reading watchmap {name}: {source}")]
    Io {
        name: String,
        source: std::io::Error,
    },
    #[error("watchmap {name} is not a MOC: it is {what}")]
    NotAMoc { name: String, what: String },
    #[error("watchmap {name} is not a valid {format} MOC: {why}")]
    Invalid {
        name: String,
        format: &'static str,
        why: String,
    },
    #[error("watchmap {name} is a {kind} MOC, not a sky area")]
    NotSky { name: String, kind: &'static str },
}

/// One watchmap: a set of HEALPix cells, kept as sorted, disjoint ranges of order-29 cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    name: String,
    depth: u8,
    ranges: Box<[Range<u64>]>,
}

impl Area {
    /// Reads a MOC file (FITS, ASCII or JSON: the content decides, not the file name).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Area, AreaError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| AreaError::Io {
            name: name.clone(),
            source,
        })?;
        Area::from_bytes(&bytes, &name)
    }

    /// Reads a MOC from its bytes; `name` (a file name, an upload's name) is used in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Area, AreaError> {
        let (depth, ranges) = read::moc_ranges(bytes, name)?;
        let area = Area::from_sorted(name, depth, ranges);
        // A watchmap that covers nothing would be saved, active, and never match: refused.
        if area.ranges.iter().all(|r| r.is_empty()) {
            return Err(AreaError::Invalid {
                name: name.to_owned(),
                format: "sky",
                why: "it covers no part of the sky (no cells)".into(),
            });
        }
        Ok(area)
    }

    /// A watchmap from a MOC built in memory (with the `moc` crate's builders).
    pub fn from_moc(name: &str, moc: &RangeMOC<u64, Hpx<u64>>) -> Area {
        let ranges = moc.moc_ranges().iter().cloned().collect();
        Area::from_sorted(name, moc.depth_max(), ranges)
    }

    /// An area of ranges of order-29 cells, each aligned on cells of `depth` (a sky map's
    /// credible region); sorted and merged here.
    pub(crate) fn from_cells(name: &str, depth: u8, ranges: Vec<Range<u64>>) -> Area {
        Area::from_sorted(name, depth, ranges)
    }

    /// The area as a MOC 2.0 FITS file (ranges at its order), which [`Area::from_bytes`],
    /// mocpy and Aladin read.
    pub fn to_fits(&self) -> Vec<u8> {
        let ranges = MocRanges::new_unchecked(self.ranges.to_vec());
        let moc = RangeMOC::<u64, Hpx<u64>>::new(self.depth, ranges);
        let mut out = Vec::new();
        // Writing to a Vec cannot fail; the ranges are sorted and disjoint by construction.
        let _ = (&moc)
            .into_range_moc_iter()
            .to_fits_ivoa(None, None, &mut out);
        out
    }

    fn from_sorted(name: &str, depth: u8, ranges: Vec<Range<u64>>) -> Area {
        Area {
            name: name.to_owned(),
            depth,
            ranges: merge(ranges).into_boxed_slice(),
        }
    }

    /// Whether the position (degrees) lies in the area; false for an impossible position
    /// (not finite, |dec| > 90).
    pub fn contains(&self, ra: f64, dec: f64) -> bool {
        cell29(ra, dec).is_some_and(|cell| self.contains_cell29(cell))
    }

    /// The name given when the area was read.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The MOC's order (its finest cells).
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The fraction of the sky the area covers, in [0, 1].
    pub fn sky_fraction(&self) -> f64 {
        let cells: u64 = self.ranges.iter().map(|r| r.end - r.start).sum();
        cells as f64 / SKY_CELLS as f64
    }

    /// The ranges of order-29 cells, sorted and disjoint.
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// Heap bytes held by the area.
    pub fn memory_bytes(&self) -> usize {
        self.ranges.len() * std::mem::size_of::<Range<u64>>() + self.name.len()
    }

    /// Containment of an order-29 cell. Because every range is aligned on cells of the MOC's
    /// own order, this is the same answer as looking up the position's cell at that order.
    pub(crate) fn contains_cell29(&self, cell: u64) -> bool {
        let after = self.ranges.partition_point(|r| r.start <= cell);
        after > 0 && cell < self.ranges[after - 1].end
    }
}

/// The order-29 HEALPix cell (nested) of a position in degrees, `None` for a position that
/// is not on the sphere (the hash would panic).
pub(crate) fn cell29(ra: f64, dec: f64) -> Option<u64> {
    if !ra.is_finite() || !(-90.0..=90.0).contains(&dec) {
        return None;
    }
    let lon = ra.rem_euclid(360.0).to_radians();
    Some(cdshealpix::nested::hash(MAX_DEPTH, lon, dec.to_radians()))
}

/// Sorts ranges and merges those that overlap or touch, so that a binary search is valid
/// whatever order (or overlaps) a file had.
fn merge(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
// A list of one range of cells is what is meant.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn merges_unsorted_and_overlapping_ranges() {
        let merged = merge(vec![10..20, 0..5, 5..7, 15..30, 40..41]);
        assert_eq!(merged, vec![0..7, 10..30, 40..41]);
    }

    #[test]
    fn a_base_cell_covers_a_twelfth_of_the_sky() {
        // Base cell 4 of HEALPix is centred on (0, 0): every base cell is 4^29 order-29 cells.
        let n = 1u64 << 58;
        let area = Area::from_sorted("cell 4", 0, vec![4 * n..5 * n]);
        assert!((area.sky_fraction() - 1.0 / 12.0).abs() < 1e-15);
        assert!(area.contains(0.0, 0.0));
        assert!(area.contains(359.0, 1.0));
        assert!(!area.contains(180.0, 0.0));
        assert!(!area.contains(0.0, 80.0));
        assert!(area.contains(-1.0, 1.0) && area.contains(719.0, 1.0));
        assert!(!area.contains(f64::NAN, 0.0) && !area.contains(0.0, 90.5));
        assert!(!area.contains(0.0, f64::NAN) && !area.contains(f64::INFINITY, 0.0));
    }
}

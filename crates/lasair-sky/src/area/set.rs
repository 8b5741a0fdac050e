//! Many watchmaps matched at once: a coarse HEALPix table says which areas touch the
//! position's order-6 cell (and which cover it whole), so an alert is checked only against
//! those, with one HEALPix hash per alert whatever the number of areas.

use std::path::{Path, PathBuf};

use super::{cell29, Area, AreaError, MAX_DEPTH};

/// A watchmap's identity (Lasair's `ar_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaId(pub u32);

const COARSE_DEPTH: u8 = 6;
const COARSE_CELLS: usize = 12 << (2 * COARSE_DEPTH);
const COARSE_SHIFT: u32 = 2 * (MAX_DEPTH - COARSE_DEPTH) as u32;
/// Set on a table entry when the area covers the whole coarse cell.
const WHOLE: u32 = 1 << 31;

/// The watchmaps active at one time, built once and then shared read-only between threads.
#[derive(Debug, Clone, Default)]
pub struct AreaSet {
    ids: Vec<AreaId>,
    areas: Vec<Area>,
    /// `entries[starts[c]..starts[c + 1]]` are the areas touching coarse cell `c`.
    starts: Vec<u32>,
    entries: Vec<u32>,
}

impl AreaSet {
    /// Builds the set and its coarse table. At most 2^31 areas.
    pub fn build(areas: impl IntoIterator<Item = (AreaId, Area)>) -> AreaSet {
        let (ids, areas): (Vec<AreaId>, Vec<Area>) = areas.into_iter().unzip();
        let touched: Vec<(u32, u32)> = areas
            .iter()
            .enumerate()
            .flat_map(|(i, area)| coarse_cells(area).map(move |(c, e)| (c, e | i as u32)))
            .collect();
        let mut starts = vec![0u32; COARSE_CELLS + 1];
        for &(c, _) in &touched {
            starts[c as usize + 1] += 1;
        }
        for c in 0..COARSE_CELLS {
            starts[c + 1] += starts[c];
        }
        let mut fill = starts.clone();
        let mut entries = vec![0u32; touched.len()];
        for (c, e) in touched {
            entries[fill[c as usize] as usize] = e;
            fill[c as usize] += 1;
        }
        AreaSet {
            ids,
            areas,
            starts,
            entries,
        }
    }

    /// Reads Lasair's watchmap cache: every `ar_<id>.fits` in `dir`, in id order. A file that
    /// is not a MOC is left out and returned with the reason; other names are ignored. Only an
    /// unreadable folder is an error.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<(AreaSet, Vec<AreaError>), AreaError> {
        let dir = dir.as_ref();
        let io = |source| AreaError::Io {
            name: dir.display().to_string(),
            source,
        };
        let mut files: Vec<(AreaId, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let id = path.file_name().and_then(|n| n.to_str()).and_then(cache_id);
            if let Some(id) = id {
                files.push((id, path));
            }
        }
        files.sort();
        let mut bad = Vec::new();
        let areas: Vec<(AreaId, Area)> = files
            .into_iter()
            .filter_map(|(id, path)| match Area::from_path(&path) {
                Ok(area) => Some((id, area)),
                Err(e) => {
                    bad.push(e);
                    None
                }
            })
            .collect();
        Ok((AreaSet::build(areas), bad))
    }

    /// Appends to `out` the ids of the areas that contain the position (degrees), in the
    /// order they were given to [`AreaSet::build`]; none for a position not on the sphere.
    pub fn hits(&self, ra: f64, dec: f64, out: &mut Vec<AreaId>) {
        let Some(cell) = cell29(ra, dec).filter(|_| !self.areas.is_empty()) else {
            return;
        };
        let coarse = (cell >> COARSE_SHIFT) as usize;
        let (from, to) = (self.starts[coarse], self.starts[coarse + 1]);
        for &e in &self.entries[from as usize..to as usize] {
            let i = (e & !WHOLE) as usize;
            if e & WHOLE != 0 || self.areas[i].contains_cell29(cell) {
                out.push(self.ids[i]);
            }
        }
    }

    /// The area of an id, if it is in the set.
    pub fn get(&self, id: AreaId) -> Option<&Area> {
        self.ids
            .iter()
            .position(|&i| i == id)
            .map(|i| &self.areas[i])
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Heap bytes of the areas and the coarse table.
    pub fn memory_bytes(&self) -> usize {
        let areas: usize = self.areas.iter().map(Area::memory_bytes).sum();
        areas + 4 * (self.starts.len() + self.entries.len() + self.ids.len())
    }
}

/// The id in a cache file name `ar_<id>.fits`.
fn cache_id(file_name: &str) -> Option<AreaId> {
    let digits = file_name.strip_prefix("ar_")?.strip_suffix(".fits")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(AreaId)
}

/// The coarse cells an area touches, each once, tagged [`WHOLE`] when the area covers it.
fn coarse_cells(area: &Area) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut cells: Vec<(u32, u32)> = Vec::new();
    for r in area.ranges() {
        let (first, last) = (r.start >> COARSE_SHIFT, (r.end - 1) >> COARSE_SHIFT);
        for c in first..=last {
            let whole = r.start <= c << COARSE_SHIFT && r.end >= (c + 1) << COARSE_SHIFT;
            match cells.last_mut() {
                // Two disjoint ranges in one coarse cell: neither covers it whole.
                Some(prev) if prev.0 == c as u32 => prev.1 = 0,
                _ => cells.push((c as u32, if whole { WHOLE } else { 0 })),
            }
        }
    }
    cells.into_iter()
}

#[cfg(test)]
// A list of one range of cells is what is meant.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn area(ranges: Vec<std::ops::Range<u64>>) -> Area {
        Area::from_sorted("t", 29, ranges)
    }

    #[test]
    fn finds_whole_partial_and_split_coverage() {
        let base = 1u64 << 58;
        let coarse = 1u64 << COARSE_SHIFT;
        let areas = vec![
            (AreaId(7), area(vec![4 * base..5 * base])),
            (AreaId(3), area(vec![0..12 * base])),
            // A sliver inside one coarse cell, and two pieces of another.
            (AreaId(9), area(vec![4 * base..4 * base + 5])),
            (
                AreaId(1),
                area(vec![coarse..coarse + 2, coarse + 9..2 * coarse]),
            ),
        ];
        let set = AreaSet::build(areas);
        let ids = |v: &[u32]| v.iter().map(|&i| AreaId(i)).collect::<Vec<_>>();
        let mut out = Vec::new();
        for (cell, expected) in [
            (4 * base + 2, ids(&[7, 3, 9])),
            (4 * base + 7, ids(&[7, 3])),
            (coarse + 1, ids(&[3, 1])),
            (coarse + 5, ids(&[3])),
            (coarse + 9, ids(&[3, 1])),
            (5 * base, ids(&[3])),
        ] {
            let (lon, lat) = cdshealpix::nested::center(MAX_DEPTH, cell);
            out.clear();
            set.hits(lon.to_degrees(), lat.to_degrees(), &mut out);
            assert_eq!(out, expected, "order-29 cell {cell}");
        }
        out.clear();
        set.hits(f64::NAN, 0.0, &mut out);
        set.hits(10.0, -91.0, &mut out);
        assert!(out.is_empty());
        assert_eq!(
            set.get(AreaId(9)).map(Area::ranges),
            Some(&[4 * base..4 * base + 5][..])
        );
    }

    #[test]
    fn loads_the_cache_folder_by_id_and_reports_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("ar_12.fits", "0/4"),
            ("ar_5.fits", "1/0-3"),
            ("ar_7.fits", "not a moc"),
            ("ar_x.fits", "0/1"),
            ("notes.txt", "0/1"),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let (set, bad) = AreaSet::load_dir(dir.path()).unwrap();
        assert_eq!(set.ids, [AreaId(5), AreaId(12)]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].to_string().contains("ar_7.fits"), "{}", bad[0]);
        let mut out = Vec::new();
        // Order-1 cells 0-3 are base cell 0 (centred at RA 45, Dec 41.8); base cell 4 at (0, 0).
        set.hits(45.0, 41.8, &mut out);
        set.hits(0.0, 0.0, &mut out);
        assert_eq!(out, [AreaId(5), AreaId(12)]);
        assert!(AreaSet::load_dir(dir.path().join("absent")).is_err());
    }
}

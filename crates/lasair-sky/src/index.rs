//! A HEALPix index of points on the sky, each with an optional radius: the cone search of
//! Sherlock's catalogues (`within`) and the matching of watchlist cones (`containing`).
//!
//! Layout: entries sorted by HEALPix cell (nested scheme) with a table of cell -> first entry,
//! so one cell, or any coarser cell, is a contiguous run. Per entry: the position as two f64
//! (16 bytes), the caller's entry number as u32 (4 bytes), the own radius as f32 (4 bytes, only
//! when some radius is not zero), plus at most ~1 byte of cell table: 21-25 bytes an entry.
//! Entries whose radii differ a lot go to separate shards (one per power-of-two radius class),
//! so a `containing` query searches each shard only as far as that shard's largest radius.
//!
//! A query visits the cells its cone overlaps: for a cone small against the cells, the parents
//! of the 9 cells around it at cdshealpix's best starting depth (no allocation), otherwise
//! cdshealpix's cone coverage; a declination test skips most candidates before the exact
//! separation. Measured (`cargo bench -p lasair-sky --bench index`, 2 shared cores): 10^7
//! points build in 1.7 s into 203 MB, 10^8 in 20-32 s into 2.05 GB (2.9 GB peak); `within`
//! 2" answers 1.1-1.8 million random queries a second on one core.

use crate::geometry::{separation_arcsec, ARCSEC_PER_DEG};
use cdshealpix::nested;

/// Cells are chosen so that a cell holds about this many entries on average.
const ENTRIES_PER_CELL: u64 = 4;
/// The deepest cell table: 12 * 4^12 cells (800 MB of u32) would only pay for itself past 10^9
/// entries.
const MAX_DEPTH: u8 = 12;
/// The smallest radius class (arcsec); class k > 0 holds radii in (R0 * 2^(k-1), R0 * 2^k].
const CLASS_R0: f64 = 0.01;
/// Marks an entry whose position cannot be indexed (not finite, |dec| > 90): it never matches.
const UNINDEXED: u8 = u8::MAX;
/// Slack for the rounding of the cheap declination test (the exact test decides).
const SLACK_ARCSEC: f64 = 1e-6;

/// A static index of points on the sky (degrees), each with its own radius (arcsec).
/// Immutable after [`PointIndex::build`]; `Send + Sync`, so one index serves many threads.
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    /// (ra, dec) in degrees, sorted by shard then cell.
    pos: Vec<[f64; 2]>,
    /// The entry number (order given to `build`) of each sorted position.
    ids: Vec<u32>,
    /// Own radius (arcsec) of each sorted position; empty when every radius is zero.
    radii: Vec<f32>,
    shards: Vec<Shard>,
}

/// The entries of one radius class, at one HEALPix depth.
#[derive(Debug, Clone)]
struct Shard {
    depth: u8,
    /// The largest own radius in the shard (arcsec): how far `containing` must look.
    max_radius: f64,
    /// `start[c]..start[c + 1]` are the sorted positions of cell `c`.
    start: Vec<u32>,
}

impl PointIndex {
    /// Entry i is the i-th point given; radius_arcsec is the point's own radius (0 when unused).
    /// Points with a non-finite position or |dec| > 90 are kept (numbering is unchanged) but
    /// never match.
    ///
    /// # Panics
    /// With more than `u32::MAX` points.
    pub fn build(points: impl IntoIterator<Item = (f64, f64, f32)>) -> PointIndex {
        let iter = points.into_iter();
        let mut pos = Vec::with_capacity(iter.size_hint().0);
        // Left empty while every radius is zero (catalogues): 4 bytes a point saved.
        let mut radii: Vec<f32> = Vec::new();
        let mut with_radii = false;
        for (ra, dec, r) in iter {
            let r = if r.is_finite() && r > 0.0 { r } else { 0.0 };
            if r > 0.0 && !with_radii {
                with_radii = true;
                radii = vec![0.0; pos.len()];
                radii.reserve(pos.capacity() - pos.len());
            }
            if with_radii {
                radii.push(r);
            }
            pos.push([ra, dec]);
        }
        assert!(
            u32::try_from(pos.len()).is_ok(),
            "a PointIndex holds at most 2^32 - 1 points"
        );
        let classes: Vec<u8> = pos
            .iter()
            .enumerate()
            .map(|(i, p)| radius_class(p[0], p[1], radii.get(i).copied().unwrap_or(0.0)))
            .collect();
        sort::sort_into_index(pos, radii, &classes)
    }

    /// Every entry within radius_arcsec of (ra, dec): (entry index, separation arcsec),
    /// appended to `out` in no particular order.
    pub fn within(&self, ra: f64, dec: f64, radius_arcsec: f64, out: &mut Vec<(u32, f64)>) {
        if !query_ok(ra, dec, radius_arcsec) {
            return;
        }
        for shard in &self.shards {
            self.scan(
                shard,
                ra,
                dec,
                radius_arcsec,
                |_, sep| sep <= radius_arcsec,
                out,
            );
        }
    }

    /// Every entry whose OWN radius contains (ra, dec) (watchlist cones): (entry index,
    /// separation arcsec), appended to `out` in no particular order.
    pub fn containing(&self, ra: f64, dec: f64, out: &mut Vec<(u32, f64)>) {
        if !query_ok(ra, dec, 0.0) {
            return;
        }
        for shard in &self.shards {
            let radius = |i: usize| self.radii.get(i).map_or(0.0, |&r| f64::from(r));
            self.scan(
                shard,
                ra,
                dec,
                shard.max_radius,
                |i, sep| sep <= radius(i),
                out,
            );
        }
    }

    /// The number of entries (indexable or not).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The heap memory the index holds.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.pos.capacity() * std::mem::size_of::<[f64; 2]>()
            + self.ids.capacity() * 4
            + self.radii.capacity() * 4
            + self
                .shards
                .iter()
                .map(|s| std::mem::size_of::<Shard>() + s.start.capacity() * 4)
                .sum::<usize>()
    }

    /// The HEALPix depth of each shard's cells (for reports and benchmarks).
    pub fn depths(&self) -> Vec<u8> {
        self.shards.iter().map(|s| s.depth).collect()
    }

    /// Visits the shard's cells that a cone of `search` arcsec around (ra, dec) overlaps, and
    /// pushes the entries at or within `search` that `keep` accepts.
    fn scan(
        &self,
        shard: &Shard,
        ra: f64,
        dec: f64,
        search: f64,
        keep: impl Fn(usize, f64) -> bool,
        out: &mut Vec<(u32, f64)>,
    ) {
        let ddec_max = search + SLACK_ARCSEC;
        let mut visit = |first: u64, end: u64| {
            let lo = shard.start[first as usize] as usize;
            let hi = shard.start[end as usize] as usize;
            for (k, p) in self.pos[lo..hi].iter().enumerate() {
                if (p[1] - dec).abs() * ARCSEC_PER_DEG > ddec_max {
                    continue;
                }
                let sep = separation_arcsec(ra, dec, p[0], p[1]);
                if sep <= search && keep(lo + k, sep) {
                    out.push((self.ids[lo + k], sep));
                }
            }
        };
        let search_rad = (search / ARCSEC_PER_DEG).to_radians();
        if search_rad >= std::f64::consts::FRAC_PI_2 {
            // The whole sky: cheaper than a coverage, and cdshealpix wants smaller cones.
            visit(0, nested::n_hash(shard.depth));
            return;
        }
        // Widened a little so rounding in the coverage cannot lose a point on the rim.
        let cover_rad = search_rad * (1.0 + 1e-9) + 1e-12;
        let (lon, lat) = (ra.rem_euclid(360.0).to_radians(), dec.to_radians());
        if cdshealpix::has_best_starting_depth(cover_rad) {
            let start = cdshealpix::best_starting_depth(cover_rad);
            if start >= shard.depth {
                // A cone small for the shard's cells: the 9 cells around it at `start`
                // hold it (cdshealpix's own first step), and their parents at the shard's
                // depth are 1 to 4 cells, found without allocating.
                let mut cells = [0u64; 9];
                let n = cells_around(start, shard.depth, lon, lat, &mut cells);
                for &c in &cells[..n] {
                    visit(c, c + 1);
                }
                return;
            }
        }
        let cover = nested::get(shard.depth).cone_coverage_approx(lon, lat, cover_rad);
        for &raw in cover.iter() {
            let cell = cover.from_raw_value(raw);
            let shift = 2 * u32::from(shard.depth - cell.depth);
            visit(cell.hash << shift, (cell.hash + 1) << shift);
        }
    }
}

/// The distinct parents at `depth` of the cell holding (lon, lat) at `start` and of its
/// neighbours; how many were written to `out`.
fn cells_around(start: u8, depth: u8, lon: f64, lat: f64, out: &mut [u64; 9]) -> usize {
    use cdshealpix::compass_point::MainWind;
    const WINDS: [MainWind; 9] = [
        MainWind::C,
        MainWind::S,
        MainWind::SE,
        MainWind::E,
        MainWind::SW,
        MainWind::NE,
        MainWind::W,
        MainWind::NW,
        MainWind::N,
    ];
    let layer = nested::get(start);
    let around = layer.neighbours(layer.hash(lon, lat), true);
    let shift = 2 * u32::from(start - depth);
    let mut n = 0;
    for wind in WINDS {
        if let Some(&cell) = around.get(wind) {
            let parent = cell >> shift;
            if !out[..n].contains(&parent) {
                out[n] = parent;
                n += 1;
            }
        }
    }
    n
}

fn query_ok(ra: f64, dec: f64, radius: f64) -> bool {
    ra.is_finite() && (-90.0..=90.0).contains(&dec) && radius >= 0.0
}

/// The shard of a point: 0 for radius 0, k for radii in (R0 * 2^(k-1), R0 * 2^k].
fn radius_class(ra: f64, dec: f64, radius: f32) -> u8 {
    if !ra.is_finite() || !(-90.0..=90.0).contains(&dec) {
        return UNINDEXED;
    }
    if radius <= 0.0 {
        return 0;
    }
    let k = (f64::from(radius) / CLASS_R0).log2().ceil().max(0.0) as u8;
    k.saturating_add(1).min(UNINDEXED - 1)
}

/// The depth whose cells hold about `ENTRIES_PER_CELL` of `n` entries.
fn depth_for(n: u64) -> u8 {
    let mut depth = 0;
    while depth < MAX_DEPTH && nested::n_hash(depth + 1) * ENTRIES_PER_CELL <= n {
        depth += 1;
    }
    depth
}

mod sort {
    //! Building the sorted layout in place, with bounded memory: an American flag sort (an
    //! in-place radix sort) by shard, then by cell in two levels, so the moves stay within a
    //! few thousand buckets at a time and the caches keep up.
    use super::{depth_for, nested, PointIndex, Shard, UNINDEXED};

    /// The coarse level of the cell sort: at most 12 * 4^5 = 12288 buckets.
    const COARSE_DEPTH: u8 = 5;

    /// The columns that move together.
    struct Columns {
        pos: Vec<[f64; 2]>,
        radii: Vec<f32>,
        ids: Vec<u32>,
        /// The sort key: the shard slot in the first pass, then the cell.
        keys: Vec<u32>,
    }

    impl Columns {
        fn swap(&mut self, i: usize, j: usize) {
            self.pos.swap(i, j);
            self.ids.swap(i, j);
            self.keys.swap(i, j);
            if !self.radii.is_empty() {
                self.radii.swap(i, j);
            }
        }

        /// Moves every element of `next[b]..end[b]`'s region into bucket `bucket(key)`'s
        /// region, for every bucket b; the regions are contiguous and each as large as the
        /// number of its elements.
        fn flag_sort(&mut self, next: &mut [u32], end: &[u32], bucket: impl Fn(u32) -> usize) {
            for b in 0..next.len() {
                while next[b] < end[b] {
                    let i = next[b] as usize;
                    let kb = bucket(self.keys[i]);
                    if kb == b {
                        next[b] += 1;
                    } else {
                        let j = next[kb] as usize;
                        self.swap(i, j);
                        next[kb] += 1;
                    }
                }
            }
        }
    }

    pub(super) fn sort_into_index(
        pos: Vec<[f64; 2]>,
        radii: Vec<f32>,
        classes: &[u8],
    ) -> PointIndex {
        let mut count = [0u32; 256];
        for &c in classes {
            count[usize::from(c)] += 1;
        }
        let mut shards: Vec<Shard> = Vec::new();
        let mut slot = [u32::MAX; 256];
        // Shard regions, one after the other, then the unindexed points.
        let (mut next, mut end) = (Vec::new(), Vec::new());
        let mut base = 0u32;
        for class in (0..UNINDEXED).chain([UNINDEXED]) {
            let n = count[usize::from(class)];
            if n == 0 {
                continue;
            }
            slot[usize::from(class)] = next.len() as u32;
            next.push(base);
            end.push(base + n);
            base += n;
            if class != UNINDEXED {
                let depth = depth_for(u64::from(n));
                let cells = nested::n_hash(depth) as usize;
                shards.push(Shard {
                    depth,
                    max_radius: 0.0,
                    start: vec![0; cells + 1],
                });
            }
        }
        let n = pos.len();
        let mut cols = Columns {
            pos,
            radii,
            ids: (0..n as u32).collect(),
            keys: classes.iter().map(|&c| slot[usize::from(c)]).collect(),
        };
        if next.len() > 1 {
            cols.flag_sort(&mut next, &end, |k| k as usize);
        }
        for (s, shard) in shards.iter_mut().enumerate() {
            index_shard(&mut cols, shard, end[s] - count_of(&end, s), end[s]);
        }
        PointIndex {
            pos: cols.pos,
            ids: cols.ids,
            radii: cols.radii,
            shards,
        }
    }

    /// The size of region `s` given the regions' ends.
    fn count_of(end: &[u32], s: usize) -> u32 {
        end[s] - if s == 0 { 0 } else { end[s - 1] }
    }

    /// Hashes the points of `lo..hi` into the shard's cells, fills its cell table and sorts
    /// the region by cell.
    fn index_shard(cols: &mut Columns, shard: &mut Shard, lo: u32, hi: u32) {
        let layer = nested::get(shard.depth);
        for i in lo as usize..hi as usize {
            let p = cols.pos[i];
            let cell = layer.hash(p[0].rem_euclid(360.0).to_radians(), p[1].to_radians());
            cols.keys[i] = cell as u32;
            shard.start[cell as usize + 1] += 1;
            if let Some(&r) = cols.radii.get(i) {
                shard.max_radius = shard.max_radius.max(f64::from(r));
            }
        }
        shard.start[0] = lo;
        for c in 1..shard.start.len() {
            shard.start[c] += shard.start[c - 1];
        }
        let start = &shard.start;
        let coarse = shard.depth.min(COARSE_DEPTH);
        let shift = 2 * u32::from(shard.depth - coarse);
        let buckets = nested::n_hash(coarse) as usize;
        let mut next: Vec<u32> = (0..buckets).map(|b| start[b << shift]).collect();
        let end: Vec<u32> = (0..buckets).map(|b| start[(b + 1) << shift]).collect();
        cols.flag_sort(&mut next, &end, |cell| (cell >> shift) as usize);
        if shift == 0 {
            return;
        }
        let width = 1usize << shift;
        for b in 0..buckets {
            let (c0, c1) = (b << shift, (b + 1) << shift);
            if start[c0] == start[c1] {
                continue;
            }
            next.clear();
            next.extend_from_slice(&start[c0..c1]);
            let end = &start[c0 + 1..=c1];
            debug_assert_eq!(next.len(), width);
            cols.flag_sort(&mut next, end, |cell| cell as usize - c0);
        }
    }
}

#[cfg(test)]
mod tests;

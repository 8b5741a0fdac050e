//! Every active watchlist in one [`PointIndex`]: entry i of the index is the i-th cone pushed,
//! watchlists are contiguous runs of entries, and names sit in a compact arena, so a cone
//! costs the index's ~25 bytes plus its name.

use super::names::Names;
use super::{check_radius, ConeError, ConeId, Watchlist, WatchlistId, MAX_NAME_BYTES};
use crate::geometry::CoordError;
use crate::PointIndex;

/// One cone containing an alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<'a> {
    pub wl_id: WatchlistId,
    pub cone_id: ConeId,
    pub name: &'a str,
    /// The separation between the alert and the cone's centre.
    pub arcsec: f64,
}

/// The cones of every active watchlist, matched together.
#[derive(Debug, Default)]
pub struct WatchlistSet {
    index: PointIndex,
    runs: Vec<Run>,
    names: Names,
}

/// A watchlist's run of entries.
#[derive(Debug, Clone)]
struct Run {
    first: u32,
    id: WatchlistId,
    cone_ids: Option<Box<[ConeId]>>,
}

const CHUNK: usize = 1 << 20;

/// Collects cones one at a time (so 10^8 of them never exist as `Cone` values), then builds
/// the index. Positions wait in chunks that are freed as the index takes them.
#[derive(Debug, Default)]
pub struct WatchlistSetBuilder {
    chunks: Vec<Vec<(f64, f64, f32)>>,
    len: usize,
    runs: Vec<Run>,
    default_radius: f32,
    /// Whether the last `start_watchlist` succeeded: cones go nowhere after a refused one.
    open: bool,
    names: Names,
}

impl WatchlistSetBuilder {
    pub fn new() -> WatchlistSetBuilder {
        WatchlistSetBuilder::default()
    }

    /// Starts a watchlist: the cones pushed next belong to it. `cone_ids`, when given, are
    /// the database ids of the cones about to be pushed, in order.
    pub fn start_watchlist(
        &mut self,
        id: WatchlistId,
        default_radius_arcsec: f64,
        cone_ids: Option<Vec<ConeId>>,
    ) -> Result<(), ConeError> {
        self.open = false;
        self.default_radius = check_radius(default_radius_arcsec)? as f32;
        self.open = true;
        self.runs.push(Run {
            first: self.len as u32,
            id,
            cone_ids: cone_ids.map(Vec::into_boxed_slice),
        });
        Ok(())
    }

    /// Adds a cone to the current watchlist (degrees; radius in arcsec, the watchlist's
    /// default when `None`). Refuses bad positions and radii, and a cone before any watchlist.
    pub fn push_cone(
        &mut self,
        ra: f64,
        dec: f64,
        name: &str,
        radius_arcsec: Option<f64>,
    ) -> Result<(), ConeError> {
        if !self.open {
            return Err(ConeError::NoWatchlist);
        }
        if !ra.is_finite() {
            return Err(ConeError::Ra(CoordError::Syntax(ra.to_string())));
        }
        let ra = ra.rem_euclid(360.0);
        if !(-90.0..=90.0).contains(&dec) {
            let range = CoordError::Range(dec.to_string(), "-90..90 degrees");
            return Err(ConeError::Dec(range));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(ConeError::NameTooLong);
        }
        let radius = match radius_arcsec {
            Some(r) => check_radius(r)? as f32,
            None => self.default_radius,
        };
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push((ra, dec, radius));
        }
        self.names.push(name);
        self.len += 1;
        Ok(())
    }

    /// Adds a parsed watchlist; returns the cones refused (by their position in the list).
    pub fn push_watchlist(&mut self, wl: &Watchlist) -> Result<Vec<(usize, ConeError)>, ConeError> {
        self.start_watchlist(wl.id, wl.radius_arcsec, wl.cone_ids.clone())?;
        let mut refused = Vec::new();
        for (i, c) in wl.cones.iter().enumerate() {
            if let Err(e) = self.push_cone(c.ra, c.dec, &c.name, c.radius_arcsec) {
                refused.push((i, e));
            }
        }
        Ok(refused)
    }

    /// The number of cones pushed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Builds the index.
    ///
    /// # Panics
    /// With more than `u32::MAX` cones.
    pub fn build(mut self) -> WatchlistSet {
        let points = Draining {
            chunks: std::mem::take(&mut self.chunks).into_iter(),
            current: Vec::new().into_iter(),
            left: self.len,
        };
        self.names.shrink_to_fit();
        WatchlistSet {
            index: PointIndex::build(points),
            runs: self.runs,
            names: self.names,
        }
    }
}

/// Yields the chunks' points, freeing each chunk once read, with an exact size hint so the
/// index allocates once.
struct Draining {
    chunks: std::vec::IntoIter<Vec<(f64, f64, f32)>>,
    current: std::vec::IntoIter<(f64, f64, f32)>,
    left: usize,
}

impl Iterator for Draining {
    type Item = (f64, f64, f32);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.current.next() {
                self.left -= 1;
                return Some(p);
            }
            // Replacing `current` drops the chunk just read.
            self.current = self.chunks.next()?.into_iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl WatchlistSet {
    /// A set of parsed watchlists; cones refused by [`WatchlistSetBuilder::push_cone`]
    /// (which the parser has already refused) are left out.
    pub fn build<'a>(watchlists: impl IntoIterator<Item = &'a Watchlist>) -> WatchlistSet {
        let mut builder = WatchlistSetBuilder::new();
        for wl in watchlists {
            // A watchlist with a bad default radius is left out whole.
            let _ = builder.push_watchlist(wl);
        }
        builder.build()
    }

    /// Every cone containing the position (degrees), nearest first.
    pub fn hits(&self, ra: f64, dec: f64) -> Vec<Hit<'_>> {
        let mut found = Vec::new();
        let mut hits = Vec::new();
        self.hits_into(ra, dec, &mut found, &mut hits);
        hits
    }

    /// As [`WatchlistSet::hits`], appending to `out` and reusing `scratch` between calls.
    pub fn hits_into<'s>(
        &'s self,
        ra: f64,
        dec: f64,
        scratch: &mut Vec<(u32, f64)>,
        out: &mut Vec<Hit<'s>>,
    ) {
        scratch.clear();
        self.index.containing(ra, dec, scratch);
        scratch.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.extend(
            scratch
                .iter()
                .map(|&(entry, arcsec)| self.hit(entry, arcsec)),
        );
    }

    fn hit(&self, entry: u32, arcsec: f64) -> Hit<'_> {
        let r = self
            .runs
            .partition_point(|r| r.first <= entry)
            .saturating_sub(1);
        let (wl_id, cone_id) = match self.runs.get(r) {
            Some(run) => {
                let k = entry - run.first;
                let id = run.cone_ids.as_ref().and_then(|ids| ids.get(k as usize));
                (run.id, id.copied().unwrap_or(ConeId(k)))
            }
            None => (WatchlistId(0), ConeId(entry)),
        };
        Hit {
            wl_id,
            cone_id,
            name: self.names.get(entry as usize),
            arcsec,
        }
    }

    /// The number of cones.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The number of watchlists.
    pub fn watchlists(&self) -> usize {
        self.runs.len()
    }

    /// Heap bytes: the index, the names and the watchlists' runs.
    pub fn memory_bytes(&self) -> usize {
        let runs: usize = self
            .runs
            .iter()
            .map(|r| std::mem::size_of::<Run>() + 4 * r.cone_ids.as_ref().map_or(0, |c| c.len()))
            .sum();
        self.index.memory_bytes() + self.names.memory_bytes() + runs
    }
}

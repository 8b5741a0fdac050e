//! Answers already given, by position: a position within `TOLERANCE_ARCSEC` of one seen before
//! (and in the same fine HEALPix cell) gets the same context. Kept in memory and, when a file
//! is given, in SQLite so it survives restarts; emptied when the catalogues or the search
//! configuration change (their fingerprint is stored with the answers). Memory is bounded:
//! two generations of at most `capacity` positions each; when the newer fills up, the older
//! is dropped (positions seen recently stay answered; the file keeps every answer).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::{params, Connection};

/// Cells of HEALPix depth 20 are about 0.2" across.
const DEPTH: u8 = 20;
/// Two positions closer than this are one position.
pub const TOLERANCE_ARCSEC: f64 = 0.1;
/// Positions held in memory per generation unless told otherwise (about 1-2 KB each).
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// Why the cache file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("sherlock cache {}: {cause}", path.display())]
pub struct CacheError {
    path: PathBuf,
    #[source]
    cause: rusqlite::Error,
}

#[derive(Debug, Clone)]
struct Entry {
    ra: f64,
    dec: f64,
    context: Arc<str>,
}

/// The newer and the older generation of answers in memory.
#[derive(Debug, Default)]
struct Generations {
    newer: HashMap<u64, Entry>,
    older: HashMap<u64, Entry>,
}

impl Generations {
    fn get(&self, cell: u64) -> Option<&Entry> {
        self.newer.get(&cell).or_else(|| self.older.get(&cell))
    }

    fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

/// The cache of answers (the `sherlock` JSON object of each position).
#[derive(Debug)]
pub struct Cache {
    entries: RwLock<Generations>,
    capacity: usize,
    pending: Mutex<Vec<(u64, Entry)>>,
    file: Option<(PathBuf, Mutex<Connection>)>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::memory()
    }
}

impl Cache {
    /// A cache in memory only.
    pub fn memory() -> Cache {
        Cache::with_capacity(DEFAULT_CAPACITY)
    }

    /// A cache in memory only holding up to 2 x `capacity` positions.
    pub fn with_capacity(capacity: usize) -> Cache {
        Cache {
            entries: RwLock::new(Generations::default()),
            capacity: capacity.max(1),
            pending: Mutex::new(Vec::new()),
            file: None,
        }
    }

    /// The cache file at `path` (created if absent), for answers that depend on
    /// `fingerprint`; answers stored under another fingerprint are deleted. Up to
    /// `capacity` stored answers are read back into memory.
    pub fn open(path: &Path, fingerprint: &str, capacity: usize) -> Result<Cache, CacheError> {
        let err = |cause| CacheError {
            path: path.to_owned(),
            cause,
        };
        let conn = Connection::open(path).map_err(err)?;
        let capacity = capacity.max(1);
        let newer = load(&conn, fingerprint, capacity).map_err(err)?;
        Ok(Cache {
            entries: RwLock::new(Generations {
                newer,
                older: HashMap::new(),
            }),
            capacity,
            pending: Mutex::new(Vec::new()),
            file: Some((path.to_owned(), Mutex::new(conn))),
        })
    }

    /// The answer for a position seen before, if any.
    pub fn get(&self, ra: f64, dec: f64) -> Option<Arc<str>> {
        let cell = cell(ra, dec)?;
        let entries = self.entries.read().ok()?;
        let e = entries.get(cell)?;
        (lasair_sky::separation_arcsec(ra, dec, e.ra, e.dec) <= TOLERANCE_ARCSEC)
            .then(|| e.context.clone())
    }

    /// Remembers the answer for a position (the first answer for a cell is kept).
    pub fn put(&self, ra: f64, dec: f64, context: Arc<str>) {
        let Some(cell) = cell(ra, dec) else {
            return;
        };
        let entry = Entry { ra, dec, context };
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.get(cell).is_some() {
            return;
        }
        if entries.newer.len() >= self.capacity {
            entries.older = std::mem::take(&mut entries.newer);
        }
        entries.newer.insert(cell, entry.clone());
        drop(entries);
        if self.file.is_some() {
            if let Ok(mut pending) = self.pending.lock() {
                pending.push((cell, entry));
            }
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the answers added since the last flush to the file, in one transaction.
    pub fn flush(&self) -> Result<(), CacheError> {
        let Some((path, conn)) = &self.file else {
            return Ok(());
        };
        let pending: Vec<_> = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return Ok(()),
        };
        if pending.is_empty() {
            return Ok(());
        }
        let err = |cause| CacheError {
            path: path.clone(),
            cause,
        };
        let Ok(mut conn) = conn.lock() else {
            return Ok(());
        };
        let tx = conn.transaction().map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO answers (cell, ra, dec, context) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for (cell, e) in &pending {
                insert
                    .execute(params![*cell as i64, e.ra, e.dec, &*e.context])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}

/// The HEALPix cell (nested, depth 20) of a position; `None` off the sky.
fn cell(ra: f64, dec: f64) -> Option<u64> {
    let ok = ra.is_finite() && (-90.0..=90.0).contains(&dec);
    ok.then(|| cdshealpix::nested::hash(DEPTH, ra.rem_euclid(360.0).to_radians(), dec.to_radians()))
}

/// Creates the tables, drops answers of another fingerprint, and reads the rest.
fn load(
    conn: &Connection,
    fingerprint: &str,
    limit: usize,
) -> rusqlite::Result<HashMap<u64, Entry>> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS answers (
             cell INTEGER PRIMARY KEY, ra REAL NOT NULL, dec REAL NOT NULL, context TEXT NOT NULL);",
    )?;
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'fingerprint'",
            [],
            |r| r.get(0),
        )
        .ok();
    if stored.as_deref() != Some(fingerprint) {
        conn.execute_batch("DELETE FROM answers;")?;
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?1)",
            [fingerprint],
        )?;
        return Ok(HashMap::new());
    }
    let mut stmt = conn.prepare("SELECT cell, ra, dec, context FROM answers LIMIT ?1")?;
    let rows = stmt.query_map([limit as i64], |r| {
        let context: String = r.get(3)?;
        Ok((
            r.get::<_, i64>(0)? as u64,
            Entry {
                ra: r.get(1)?,
                dec: r.get(2)?,
                context: Arc::from(context),
            },
        ))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_positions_hit_and_far_ones_miss() {
        let cache = Cache::memory();
        cache.put(150.0, 2.0, Arc::from("{\"a\":1}"));
        assert_eq!(cache.get(150.0, 2.0).as_deref(), Some("{\"a\":1}"));
        // 0.02" north is within the tolerance: an answer where the cell is the same (a cache
        // may miss across a cell border, never answer from afar); 0.5" north never answers.
        let near = 2.0 + 0.02 / 3600.0;
        assert_eq!(
            cache.get(150.0, near).is_some(),
            cell(150.0, near) == cell(150.0, 2.0)
        );
        assert!(cache.get(150.0, 2.0 + 0.5 / 3600.0).is_none());
        assert!(cache.get(151.0, 2.0).is_none());
        assert!(
            cache.get(151.0, 95.0).is_none(),
            "off the sky: no answer, no panic"
        );
        cache.put(f64::NAN, 0.0, Arc::from("{}"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn answers_survive_a_restart_and_die_with_the_fingerprint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache.sqlite");
        {
            let cache = Cache::open(&path, "v1", 10).expect("open");
            cache.put(10.0, -5.0, Arc::from("{\"x\":2}"));
            cache.flush().expect("flush");
        }
        let again = Cache::open(&path, "v1", 10).expect("reopen");
        assert_eq!(again.get(10.0, -5.0).as_deref(), Some("{\"x\":2}"));
        drop(again);
        let changed = Cache::open(&path, "v2", 10).expect("reopen, new catalogues");
        assert!(changed.get(10.0, -5.0).is_none());
        drop(changed);
        let back = Cache::open(&path, "v1", 10).expect("reopen v1");
        assert!(back.is_empty(), "v2 emptied it for good");
    }

    #[test]
    fn memory_is_bounded_to_two_generations() {
        let cache = Cache::with_capacity(3);
        // Positions 1° apart: distinct cells.
        for i in 0..7 {
            cache.put(f64::from(i), 0.0, Arc::from(format!("{i}")));
        }
        // Generations: [0,1,2] -> older when 3 arrives; [3,4,5] -> older when 6 arrives.
        assert_eq!(cache.len(), 4);
        assert!(
            cache.get(2.0, 0.0).is_none(),
            "the oldest generation is dropped"
        );
        assert_eq!(cache.get(3.0, 0.0).as_deref(), Some("3"));
        assert_eq!(cache.get(6.0, 0.0).as_deref(), Some("6"));
    }
}

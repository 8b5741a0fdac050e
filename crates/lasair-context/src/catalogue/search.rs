//! Cone searches over the store: each catalogue's positions in a HEALPix `PointIndex` in
//! memory (about 21 bytes a source), and the attributes of the few sources matched read by
//! row from SQLite through a small pool of read-only connections, so any number of rayon
//! threads can search at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lasair_sky::PointIndex;
use rayon::prelude::*;
use rusqlite::{Connection, OpenFlags};

use super::load::SOURCE_COLUMNS;
use super::store::{fingerprint, CatalogueInfo, CatalogueStore};
use super::{CatalogueError, CatalogueKind, ConeSearch, Match, Source};

/// The most of the store file each read-only connection maps (SQLite caps it at its
/// compile-time SQLITE_MAX_MMAP_SIZE, 2 GB by default).
const MMAP_BYTES: i64 = 1 << 40;

/// One catalogue ready to search.
struct Indexed {
    name: Arc<str>,
    kind: CatalogueKind,
    table: String,
    /// Entry i is the source in row i + 1.
    index: PointIndex,
}

/// The store's catalogues indexed for cone searches; `Send + Sync`.
pub struct Searcher {
    path: PathBuf,
    catalogues: HashMap<String, Indexed>,
    infos: Vec<CatalogueInfo>,
    fingerprint: String,
    /// Idle read-only connections; a search takes one (or opens one) and gives it back.
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("path", &self.path)
            .field("catalogues", &self.infos.len())
            .finish()
    }
}

/// A read-only connection to the store; `mapped` for the searches' row reads (the one full
/// scan, when indexing, reads without the map so the process does not hold the whole file).
fn open_read_only(path: &Path, mapped: bool) -> Result<Connection, CatalogueError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|cause| CatalogueError::Open {
        path: path.to_owned(),
        cause,
    })?;
    // The store is read while another process may be loading into it.
    let _ = conn.busy_timeout(std::time::Duration::from_secs(60));
    // Reading rows through a memory map costs no system call per page, and the pages are
    // shared by every process of the node that searches the same store.
    if mapped {
        let _ = conn.pragma_update(None, "mmap_size", MMAP_BYTES);
    }
    Ok(conn)
}

impl Searcher {
    /// Indexes every catalogue of `store` in memory, for cone searches from any thread.
    pub fn open(store: &CatalogueStore) -> Result<Searcher, CatalogueError> {
        Searcher::index(store.path(), store.list()?)
    }

    /// Indexes the catalogues `infos` of the store at `path`, several at once.
    fn index(path: &Path, infos: Vec<CatalogueInfo>) -> Result<Searcher, CatalogueError> {
        let indexed: Result<Vec<Indexed>, CatalogueError> = infos
            .par_iter()
            .map(|info| index_catalogue(path, info))
            .collect();
        let catalogues = indexed?
            .into_iter()
            .map(|c| (c.name.to_string(), c))
            .collect();
        Ok(Searcher {
            path: path.to_owned(),
            catalogues,
            fingerprint: fingerprint(&infos),
            infos,
            pool: Mutex::new(Vec::new()),
        })
    }

    /// The searcher of the existing store at `path`.
    pub fn open_store(path: &Path) -> Result<Searcher, CatalogueError> {
        Searcher::open(&CatalogueStore::open_existing(path)?)
    }

    /// The catalogues indexed, as the store listed them when the searcher opened.
    pub fn infos(&self) -> &[CatalogueInfo] {
        &self.infos
    }

    /// The memory the position indexes hold.
    pub fn index_bytes(&self) -> usize {
        self.catalogues
            .values()
            .map(|c| c.index.memory_bytes())
            .sum()
    }

    /// (row, separation) of every source of `catalogue` within the radius, nearest first,
    /// without reading their attributes.
    pub fn cone_rows(
        &self,
        catalogue: &str,
        ra: f64,
        dec: f64,
        radius_arcsec: f64,
    ) -> Result<Vec<(u32, f64)>, CatalogueError> {
        let cat = self.catalogue(catalogue)?;
        let mut hits = Vec::new();
        cat.index.within(ra, dec, radius_arcsec, &mut hits);
        hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        for h in &mut hits {
            h.0 += 1;
        }
        Ok(hits)
    }

    fn catalogue(&self, name: &str) -> Result<&Indexed, CatalogueError> {
        self.catalogues
            .get(name)
            .ok_or_else(|| CatalogueError::Unknown(name.to_owned()))
    }

    /// Reads the attributes of `rows` (with their separations) of one catalogue.
    fn fetch(&self, cat: &Indexed, rows: &[(u32, f64)]) -> Result<Vec<Match>, CatalogueError> {
        let conn = match self.pool.lock().map(|mut p| p.pop()) {
            Ok(Some(conn)) => conn,
            _ => open_read_only(&self.path, true)?,
        };
        let result = fetch_rows(&conn, cat, rows).map_err(|cause| CatalogueError::Read {
            name: cat.name.to_string(),
            path: self.path.clone(),
            cause,
        });
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(conn);
        }
        result
    }
}

fn index_catalogue(path: &Path, info: &CatalogueInfo) -> Result<Indexed, CatalogueError> {
    let err = |cause| CatalogueError::Index {
        name: info.name.clone(),
        path: path.to_owned(),
        cause,
    };
    let conn = open_read_only(path, false)?;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT row, ra, dec FROM \"{}\" ORDER BY row",
            info.table
        ))
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    // Streamed into the index (no copy of the positions on the side); the first problem
    // ends the stream and is returned below.
    let mut problem: Option<CatalogueError> = None;
    let mut expected = 1i64;
    let positions = std::iter::from_fn(|| {
        let r = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => return None,
            Err(e) => {
                problem = Some(err(e));
                return None;
            }
        };
        let read = (r.get::<_, i64>(0), r.get::<_, f64>(1), r.get::<_, f64>(2));
        match read {
            (Ok(row), Ok(ra), Ok(dec)) if row == expected => {
                expected += 1;
                Some((ra, dec, 0.0f32))
            }
            (Ok(row), Ok(_), Ok(_)) => {
                problem = Some(CatalogueError::Rows {
                    name: info.name.clone(),
                    path: path.to_owned(),
                    row,
                });
                None
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                problem = Some(err(e));
                None
            }
        }
    });
    let index = PointIndex::build(Counted {
        inner: positions,
        expect: info.rows as usize,
    });
    if let Some(problem) = problem {
        return Err(problem);
    }
    Ok(Indexed {
        name: Arc::from(info.name.as_str()),
        kind: info.kind,
        table: info.table.clone(),
        index,
    })
}

/// An iterator that says how many items to expect, so the index allocates once.
struct Counted<I> {
    inner: I,
    expect: usize,
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.expect = self.expect.saturating_sub(1);
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.expect, None)
    }
}

fn fetch_rows(
    conn: &Connection,
    cat: &Indexed,
    rows: &[(u32, f64)],
) -> rusqlite::Result<Vec<Match>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SOURCE_COLUMNS} FROM \"{}\" WHERE row = ?1",
        cat.table
    ))?;
    let mut out = Vec::with_capacity(rows.len());
    for &(row, sep) in rows {
        let source = stmt.query_row([row], |r| {
            Ok(Source {
                catalogue: cat.name.clone(),
                kind: cat.kind,
                ra: r.get(2)?,
                dec: r.get(3)?,
                id: r.get(4)?,
                object_type: r.get(5)?,
                z: r.get(6)?,
                photo_z: r.get(7)?,
                photo_z_err: r.get(8)?,
                distance_mpc: r.get(9)?,
                major_axis_arcsec: r.get(10)?,
                mag: r.get(11)?,
                mag_filter: r.get(12)?,
                mag_err: r.get(13)?,
            })
        })?;
        out.push(Match {
            source,
            separation_arcsec: sep,
        });
    }
    Ok(out)
}

impl ConeSearch for Searcher {
    fn cone(
        &self,
        catalogue: &str,
        ra: f64,
        dec: f64,
        radius_arcsec: f64,
    ) -> Result<Vec<Match>, CatalogueError> {
        let rows = self.cone_rows(catalogue, ra, dec, radius_arcsec)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.fetch(self.catalogue(catalogue)?, &rows)
    }

    fn catalogues(&self) -> Vec<(String, CatalogueKind)> {
        self.infos
            .iter()
            .map(|i| (i.name.clone(), i.kind))
            .collect()
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

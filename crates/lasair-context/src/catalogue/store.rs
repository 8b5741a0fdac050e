//! The catalogue store: one SQLite file per node holding every loaded catalogue (a table of
//! sources each, with a HEALPix cell column), so a replica is a plain file to copy. The store
//! lists what it holds; `search::Searcher::open` builds the cone searches from that list.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::load::{self, LoadReport, HPX_DEPTH};
use super::spec::LoadSpec;
use super::{CatalogueError, CatalogueKind};

/// Longest wait for another process's write lock on the store.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// One catalogue held in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogueInfo {
    pub name: String,
    pub kind: CatalogueKind,
    pub rows: u64,
    /// Rows skipped as bad when it was loaded.
    pub bad: u64,
    /// The file it was loaded from.
    pub source: String,
    /// When it was loaded, UTC (`2026-11-26T17:40:00Z`).
    pub loaded: String,
    /// When it was loaded, nanoseconds since 1970 (part of the fingerprint).
    pub loaded_ns: i64,
    /// The table holding its sources.
    #[serde(skip)]
    pub(crate) table: String,
}

/// The per-node catalogue store (a SQLite file).
pub struct CatalogueStore {
    path: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for CatalogueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogueStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The table of catalogue `name` loaded at `loaded_ns`: a new table per load, so a searcher
/// opened before a reload never reads another load's rows.
fn source_table(name: &str, loaded_ns: i64) -> String {
    format!("src_{name}_{loaded_ns}")
}

/// Catalogue names become table names: a letter, then letters, digits or `_`, at most 64.
pub fn check_name(name: &str) -> Result<(), CatalogueError> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CatalogueError::BadName(name.to_owned()))
    }
}

impl CatalogueStore {
    /// Opens the store at `path`, creating an empty one if there is none.
    pub fn open(path: &Path) -> Result<CatalogueStore, CatalogueError> {
        let err = |cause| CatalogueError::Open {
            path: path.to_owned(),
            cause,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // WAL: searchers read while a load writes, and a read takes no file lock (measured:
        // 2.3 us a matched row, against 8 us with a rollback journal).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS catalogues (
                 name TEXT PRIMARY KEY,
                 kind TEXT NOT NULL,
                 rows INTEGER NOT NULL,
                 bad INTEGER NOT NULL,
                 source TEXT NOT NULL,
                 loaded_ns INTEGER NOT NULL,
                 source_table TEXT NOT NULL,
                 hpx_depth INTEGER NOT NULL,
                 spec TEXT NOT NULL
             );",
        )
        .map_err(err)?;
        Ok(CatalogueStore {
            path: path.to_owned(),
            conn,
        })
    }

    /// Opens the store at `path`, which must exist (a searcher of a mistyped path should
    /// fail, not search an empty store).
    pub fn open_existing(path: &Path) -> Result<CatalogueStore, CatalogueError> {
        if !path.is_file() {
            return Err(CatalogueError::NoStore(path.to_owned()));
        }
        CatalogueStore::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads `file` as catalogue `name`, replacing any catalogue of that name once the new
    /// one is complete (a failed load leaves the old one in place).
    pub fn add(
        &mut self,
        name: &str,
        file: &Path,
        spec: &LoadSpec,
        progress: bool,
    ) -> Result<LoadReport, CatalogueError> {
        check_name(name)?;
        let loaded_ns = now_ns();
        let table = source_table(name, loaded_ns);
        let result = self
            .fill(&table, name, file, spec, progress)
            .and_then(|report| self.publish(&table, loaded_ns, file, spec, report));
        if result.is_err() {
            let drop = format!("DROP TABLE IF EXISTS \"{table}\"");
            if let Err(e) = self.conn.execute_batch(&drop) {
                eprintln!("catalogue store {}: {drop}: {e}", self.path.display());
            }
        }
        self.checkpoint();
        result
    }

    /// Creates `table` and loads the file into it, with its cell index.
    fn fill(
        &mut self,
        table: &str,
        name: &str,
        file: &Path,
        spec: &LoadSpec,
        progress: bool,
    ) -> Result<LoadReport, CatalogueError> {
        let err = self.sql_err("loading", name);
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE \"{table}\" (
                     row INTEGER PRIMARY KEY, hpx INTEGER NOT NULL,
                     ra REAL NOT NULL, dec REAL NOT NULL, id TEXT NOT NULL,
                     object_type TEXT, z REAL, photo_z REAL, photo_z_err REAL,
                     distance_mpc REAL, major_axis_arcsec REAL,
                     mag REAL, mag_filter TEXT, mag_err REAL)"
            ))
            .map_err(&err)?;
        let report = load::load(&mut self.conn, table, name, file, spec, progress)?;
        self.conn
            .execute_batch(&format!(
                "CREATE INDEX \"{table}_hpx\" ON \"{table}\" (hpx)"
            ))
            .map_err(&err)?;
        Ok(report)
    }

    /// Makes the loaded `table` catalogue `report.name`, dropping the one it replaces, in
    /// one transaction.
    fn publish(
        &mut self,
        table: &str,
        loaded_ns: i64,
        file: &Path,
        spec: &LoadSpec,
        report: LoadReport,
    ) -> Result<LoadReport, CatalogueError> {
        let name = report.name.as_str();
        let err = self.sql_err("loading", name);
        let spec_json = serde_json::to_string(spec).unwrap_or_default();
        let tx = self.conn.transaction().map_err(&err)?;
        let old: Option<String> = tx
            .query_row(
                "SELECT source_table FROM catalogues WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        if let Some(old) = old {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS \"{old}\""))
                .map_err(&err)?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO catalogues
                 (name, kind, rows, bad, source, loaded_ns, source_table, hpx_depth, spec)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                name,
                kind_text(spec.kind),
                report.rows as i64,
                report.bad as i64,
                file.display().to_string(),
                loaded_ns,
                table,
                HPX_DEPTH,
                spec_json
            ],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(report)
    }

    /// The catalogues held, by name.
    pub fn list(&self) -> Result<Vec<CatalogueInfo>, CatalogueError> {
        list(&self.conn).map_err(self.sql_err("listing", "catalogues"))
    }

    /// Removes catalogue `name`; false when there was none.
    pub fn drop(&mut self, name: &str) -> Result<bool, CatalogueError> {
        let err = self.sql_err("dropping", name);
        let tx = self.conn.transaction().map_err(&err)?;
        let table: Option<String> = tx
            .query_row(
                "SELECT source_table FROM catalogues WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        let Some(table) = table else {
            return Ok(false);
        };
        tx.execute_batch(&format!("DROP TABLE IF EXISTS \"{table}\""))
            .map_err(&err)?;
        tx.execute("DELETE FROM catalogues WHERE name = ?1", [name])
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        self.checkpoint();
        Ok(true)
    }

    /// Moves everything written into the main file, so that the file alone is a complete
    /// replica to copy (when no searcher holds an old snapshot, the WAL file is emptied).
    fn checkpoint(&self) {
        if let Err(e) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            eprintln!("catalogue store {}: checkpoint: {e}", self.path.display());
        }
    }

    /// A value that changes whenever the set or content of the catalogues changes.
    pub fn fingerprint(&self) -> Result<String, CatalogueError> {
        Ok(fingerprint(&self.list()?))
    }

    fn sql_err(
        &self,
        doing: &'static str,
        what: &str,
    ) -> impl Fn(rusqlite::Error) -> CatalogueError {
        let (what, path) = (what.to_owned(), self.path.clone());
        move |cause| CatalogueError::Store {
            doing,
            what: what.clone(),
            path: path.clone(),
            cause: Box::new(cause),
        }
    }
}

pub(crate) fn list(conn: &Connection) -> rusqlite::Result<Vec<CatalogueInfo>> {
    let mut stmt = conn.prepare(
        "SELECT name, kind, rows, bad, source, loaded_ns, source_table
         FROM catalogues ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(1)?;
        let loaded_ns: i64 = r.get(5)?;
        Ok(CatalogueInfo {
            name: r.get(0)?,
            kind: kind_from_text(&kind).unwrap_or(CatalogueKind::Other),
            rows: r.get::<_, i64>(2)? as u64,
            bad: r.get::<_, i64>(3)? as u64,
            source: r.get(4)?,
            loaded: utc_text(loaded_ns),
            loaded_ns,
            table: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// FNV-1a over each catalogue's name, row count and load time.
pub(crate) fn fingerprint(infos: &[CatalogueInfo]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for info in infos {
        let text = format!("{}\t{}\t{}\n", info.name, info.rows, info.loaded_ns);
        for b in text.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn kind_text(kind: CatalogueKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}

fn kind_from_text(text: &str) -> Option<CatalogueKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// `2026-11-26T17:40:00Z` from nanoseconds since 1970 (proleptic Gregorian, UTC).
fn utc_text(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_matches_known_dates() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        // 2000-03-01 00:00:01 UTC is 951868801 s (date -u -d @951868801).
        assert_eq!(utc_text(951_868_801_000_000_000), "2000-03-01T00:00:01Z");
        // 2026-11-26 17:40:00 UTC is 1795714800 s (date -u -d @1795714800).
        assert_eq!(utc_text(1_795_714_800_000_000_000), "2026-11-26T17:40:00Z");
    }

    #[test]
    fn names_are_checked() {
        for ok in ["gcvs", "ned_d", "glade2", "a"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2mass",
            "Gcvs",
            "a-b",
            "a b",
            "x\"; DROP TABLE catalogues; --",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip_through_text() {
        for k in [
            CatalogueKind::Galaxy,
            CatalogueKind::HighEnergy,
            CatalogueKind::Yso,
            CatalogueKind::Cv,
        ] {
            assert_eq!(kind_from_text(&kind_text(k)), Some(k));
        }
    }
}

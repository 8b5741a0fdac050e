//! The embedded cutout store: one SQLite file (64 KiB pages, a rollback journal), one table
//! keyed by (survey, sourceId, kind) with the objectId beside the bytes, one transaction per
//! batch.
//!
//! sourceIds grow with time (ZTF's candid, LSST's diaSourceId), so a batch's rows land at the
//! end of the key's B-tree, where a folder tree creates three files per alert.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use lasair_alert::Alert;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{row_places, CutoutError, CutoutKey, Cutouts, Placed};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cutouts (
    survey   TEXT    NOT NULL,
    sourceId INTEGER NOT NULL,  -- candid (ZTF), diaSourceId (LSST)
    kind     TEXT    NOT NULL,  -- science, template, difference
    objectId TEXT    NOT NULL,
    data     BLOB    NOT NULL,  -- FITS, plain or gzipped, as the alert carried it
    PRIMARY KEY (survey, sourceId, kind)
);
";

/// A cutout's content is fixed by its key, so a replay leaves the stored row alone.
const INSERT: &str = "INSERT INTO cutouts (survey, sourceId, kind, objectId, data)
VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (survey, sourceId, kind) DO NOTHING";

const SELECT: &str = "SELECT data FROM cutouts
WHERE survey = ?1 AND sourceId = ?2 AND kind = ?3 AND objectId = ?4";

const EXISTS: &str = "SELECT 1 FROM cutouts
WHERE survey = ?1 AND sourceId = ?2 AND kind = ?3 AND objectId = ?4";

/// A cutout's key as [`SELECT`] and [`EXISTS`] bind it.
fn row_key(key: CutoutKey<'_>) -> (&'static str, i64, &'static str, &str) {
    (
        key.survey.as_str(),
        key.source_id,
        key.kind.as_str(),
        key.object_id,
    )
}

/// The page size of a new file: a cutout (tens of KB) lies in one leaf page, not in a chain of
/// 4 KiB overflow pages written one by one.
const PAGE_SIZE: i64 = 65536;

/// A rollback journal (TRUNCATE), not WAL: a batch's rows are appended past the end of the
/// file, which SQLite does not journal, so each cutout byte is written once (WAL writes it to
/// the log, then again at each checkpoint). Readers wait (the busy timeout) during the commit
/// of a batch. A file another process holds open in WAL mode stays in WAL mode.
fn journal(conn: &Connection) -> rusqlite::Result<()> {
    match conn.pragma_update(None, "journal_mode", "TRUNCATE") {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Cutouts in a SQLite file: one writer, and readers opened as they are needed (a web
/// server's threads read at once, and while the ingest writes a batch; during its commit they
/// wait, for the busy timeout at most).
pub struct SqliteCutouts {
    url: String,
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteCutouts {
    /// Opens (or creates) the store in the file `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CutoutError> {
        let path = path.as_ref();
        let url = format!("sqlite:{}", path.display());
        let failed = |reason: String| CutoutError::Open {
            url: url.clone(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
        }
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
            journal(&conn)?;
            // FULL: a committed batch survives power loss, which matters because Kafka offsets
            // are committed right after it (TRUNCATE syncs the emptied journal, its commit).
            conn.pragma_update(None, "synchronous", "FULL")?;
            // A batch's pages stay in memory until its commit, so the journal is synced once.
            conn.pragma_update(None, "cache_spill", false)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        let writer = open().map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            url,
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn failed(&self, doing: &str, e: rusqlite::Error) -> CutoutError {
        CutoutError::store(&self.url, format!("{doing}: {e}"))
    }

    /// Runs `f` on an idle read-only connection, opening one when none is idle.
    fn reading<T>(
        &self,
        doing: &str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, CutoutError> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                // Read-write (but never creating): a reader that finds the journal a crashed
                // writer left rolls it back, where a read-only one could only fail.
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&self.path, flags)
                    .map_err(|e| self.failed("opening a reader", e))?;
                conn.busy_timeout(std::time::Duration::from_secs(30))
                    .map_err(|e| self.failed("opening a reader", e))?;
                conn
            }
        };
        let result = f(&conn).map_err(|e| self.failed(doing, e));
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        result
    }
}

impl Cutouts for SqliteCutouts {
    fn describe(&self) -> String {
        self.url.clone()
    }

    /// One transaction for the batch, committed (and so durable) before it returns.
    fn write_batch(&self, alerts: &[Alert]) -> Result<Vec<Placed>, CutoutError> {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let doing = "writing a batch";
        let tx = conn.transaction().map_err(|e| self.failed(doing, e))?;
        let mut placed = Vec::with_capacity(alerts.len());
        {
            let mut insert = tx
                .prepare_cached(INSERT)
                .map_err(|e| self.failed(doing, e))?;
            for alert in alerts {
                for cutout in &alert.cutouts {
                    insert
                        .execute(params![
                            alert.survey.as_str(),
                            alert.source_id,
                            cutout.kind.as_str(),
                            alert.object_id.0,
                            &cutout.data[..]
                        ])
                        .map_err(|e| self.failed(doing, e))?;
                }
                placed.push(self.places(alert));
            }
        }
        tx.commit()
            .map_err(|e| self.failed("committing a batch", e))?;
        // The batch's pages are never read again by the writer (rows are only appended),
        // yet SQLite as bundled keeps one page cache for every connection of the process
        // (SQLITE_ENABLE_MEMORY_MANAGEMENT), sized in pages: beside the lightcurve store's
        // large cache of small pages, these 64 KiB pages piled up to 475 MB. Given back now.
        conn.execute_batch("PRAGMA shrink_memory")
            .map_err(|e| self.failed("giving back a batch's pages", e))?;
        Ok(placed)
    }

    fn places(&self, alert: &Alert) -> Placed {
        row_places(&self.url, alert)
    }

    /// Nothing to do: each batch was committed by [`Cutouts::write_batch`].
    fn sync(&self) -> Result<(), CutoutError> {
        Ok(())
    }

    fn read(&self, key: CutoutKey) -> Result<Option<Vec<u8>>, CutoutError> {
        self.reading("reading a cutout", |conn| {
            conn.prepare_cached(SELECT)?
                .query_row(row_key(key), |r| r.get(0))
                .optional()
        })
    }

    fn has(&self, key: CutoutKey) -> Result<bool, CutoutError> {
        self.reading("looking for a cutout", |conn| {
            conn.prepare_cached(EXISTS)?.exists(row_key(key))
        })
    }

    fn count(&self) -> Result<u64, CutoutError> {
        let n: i64 = self.reading("counting cutouts", |conn| {
            conn.query_row("SELECT count(*) FROM cutouts", [], |r| r.get(0))
        })?;
        Ok(n.max(0) as u64)
    }
}

//! The cutout store, chosen by URL as the lightcurve store is: the three FITS images of each
//! alert (science, template, difference), written a batch at a time and read back one by one
//! by (survey, objectId, sourceId, kind).
//!
//! - a folder tree ([`CutoutStore`]): a plain path or `file:DIR` (CephFS in production);
//! - a SQLite file ([`SqliteCutouts`]): `sqlite:PATH`, the embedded default for one machine;
//! - a Cassandra/ScyllaDB table ([`CqlCutouts`]): `cql://HOST:PORT/KEYSPACE[?ttl_days=N]`,
//!   each cutout kept N days (365 by default), as Lasair-LSST keeps its cutouts.
//!
//! Every backend is idempotent: a replayed alert writes the same rows or files again. A stored
//! cutout is drawn for the web pages as a PNG by [`render`] (zscale in [`zscale`]).

mod cql;
mod render;
mod sqlite;
mod tree;
mod zscale;

pub use cql::CqlCutouts;
pub use render::{grey, render_png, RenderError, MAX_CUTOUT_FILE_BYTES};
pub use sqlite::SqliteCutouts;
pub use tree::{folder_name, CutoutStore};
pub use zscale::zscale;

use std::collections::BTreeMap;

use lasair_alert::{Alert, CutoutKind, Survey};
use thiserror::Error;

/// Why the cutout store failed; each names the store.
#[derive(Debug, Error)]
pub enum CutoutError {
    /// The URL names no store, or the store could not be opened.
    #[error("cutout store {url}: {reason}")]
    Open { url: String, reason: String },
    /// Reading or writing the store failed.
    #[error("cutout store {store}: {reason}")]
    Store { store: String, reason: String },
    /// A stored cutout could not be drawn.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl CutoutError {
    pub(crate) fn store(store: &str, reason: impl std::fmt::Display) -> Self {
        CutoutError::Store {
            store: store.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// One cutout, as every store finds it: the survey, the object, the source (ZTF candid, LSST
/// diaSourceId) and which of the three images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutoutKey<'a> {
    pub survey: Survey,
    pub object_id: &'a str,
    pub source_id: i64,
    pub kind: CutoutKind,
}

impl std::fmt::Display for CutoutKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let CutoutKey {
            survey,
            object_id,
            source_id,
            kind,
        } = self;
        write!(f, "{survey} {object_id} {source_id} {}", kind.as_str())
    }
}

/// Where each kind of an alert's cutouts went (a path, or the store and key), as the JSON
/// alert line carries it.
pub type Placed = BTreeMap<&'static str, String>;

/// A cutout backend. Writes are idempotent: a cutout's content is fixed by its sourceId and
/// kind, so writing an alert again leaves the store as it was.
pub trait Cutouts: Send + Sync {
    /// The store, as its URL names it (for messages).
    fn describe(&self) -> String;

    /// Writes the cutouts of every alert of a batch and says, per alert, where each went
    /// ([`Cutouts::places`]). Run inside a rayon pool, a backend may use its threads.
    fn write_batch(&self, alerts: &[Alert]) -> Result<Vec<Placed>, CutoutError>;

    /// Where the cutouts of `alert` go (or went), without writing them: a place depends only on
    /// the store and the alert, so the ingest writes an alert's JSON line while its cutouts
    /// are still being written.
    fn places(&self, alert: &Alert) -> Placed;

    /// Makes every cutout written so far durable.
    fn sync(&self) -> Result<(), CutoutError>;

    /// The stored bytes (FITS, plain or gzipped) of one cutout, if there is one.
    fn read(&self, key: CutoutKey) -> Result<Option<Vec<u8>>, CutoutError>;

    /// Whether that cutout is stored.
    fn has(&self, key: CutoutKey) -> Result<bool, CutoutError> {
        Ok(self.read(key)?.is_some())
    }

    /// Which cutouts of these sources of one object are stored: each source with each kind
    /// of it there is. By default [`Cutouts::has`] is asked for each; a store across a
    /// network asks them all at once (an object page shows every detection's cutouts).
    fn stored(
        &self,
        survey: Survey,
        object_id: &str,
        sources: &[i64],
    ) -> Result<Vec<(i64, CutoutKind)>, CutoutError> {
        let mut found = Vec::new();
        for &source in sources {
            for kind in CutoutKind::ALL {
                let key = CutoutKey {
                    survey,
                    object_id,
                    source_id: source,
                    kind,
                };
                if self.has(key)? {
                    found.push((source, kind));
                }
            }
        }
        Ok(found)
    }

    /// How many cutouts are stored in all (for reports and tests).
    fn count(&self) -> Result<u64, CutoutError>;

    /// The PNG of a stored cutout, drawn by [`render_png`]; `None` when there is no such
    /// cutout.
    fn png(&self, key: CutoutKey) -> Result<Option<Vec<u8>>, CutoutError> {
        let Some(bytes) = self.read(key)? else {
            return Ok(None);
        };
        Ok(Some(render_png(&bytes, &key.to_string())?))
    }
}

/// Opens a cutout store by URL: `sqlite:PATH`, `cql://HOST:PORT[,HOST:PORT]/KEYSPACE`
/// (`scylla://` alike; `?ttl_days=N`, `?replication=N`), `file:DIR`, or a plain path, which
/// names a folder tree.
pub fn open_cutouts(url: &str) -> Result<Box<dyn Cutouts>, CutoutError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return Ok(Box::new(SqliteCutouts::open(path)?));
    }
    if crate::cql::is_cql_url(url) {
        return Ok(Box::new(CqlCutouts::open(url)?));
    }
    let dir = url.strip_prefix("file:").unwrap_or(url);
    // A plain path is a folder; anything else that looks like a URL is a mistake.
    let scheme = dir
        .split_once("://")
        .or_else(|| dir.split_once(':').filter(|(s, _)| s.len() > 1));
    if dir.is_empty() || scheme.is_some_and(|(s, _)| s.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(CutoutError::Open {
            url: url.to_owned(),
            reason: "expected a folder (DIR or file:DIR), sqlite:PATH or cql://HOST:PORT/KEYSPACE"
                .into(),
        });
    }
    Ok(Box::new(CutoutStore::new(dir)))
}

/// Where an alert's cutouts go in a store of rows: the store and each one's key.
pub(crate) fn row_places(store: &str, alert: &Alert) -> Placed {
    alert
        .cutouts
        .iter()
        .map(|c| {
            let place = format!("{store}#{}_{}", alert.source_id, c.kind.as_str());
            (c.kind.as_str(), place)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_its_store() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let plain = dir.path().join("tree");
        let plain = plain.to_str().expect("utf8");
        assert_eq!(open_cutouts(plain).expect("tree").describe(), plain);
        let file = format!("file:{plain}");
        assert_eq!(open_cutouts(&file).expect("tree").describe(), plain);
        let db = format!("sqlite:{}", dir.path().join("c.db").display());
        assert_eq!(open_cutouts(&db).expect("sqlite").describe(), db);
        for bad in ["", "file:", "http://h/x", "mysql:x", "cql://h:9042/1ks"] {
            assert!(open_cutouts(bad).is_err(), "{bad:?}");
        }
    }
}

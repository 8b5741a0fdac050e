//! Cutouts as FITS files in a directory tree (a CephFS mount in production), sharded by a hash
//! of the objectId so that no directory holds more than a few hundred entries:
//! `ROOT/<survey>/<h1>/<h2>/<objectId>/<sourceId>_<kind>.fits[.gz]` with 256 x 256 shards.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use lasair_alert::hash::fnv1a;
use lasair_alert::Alert;

#[derive(Debug, Clone)]
pub struct CutoutStore {
    root: PathBuf,
}

impl CutoutStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one object's cutouts.
    pub fn object_dir(&self, alert: &Alert) -> PathBuf {
        // FNV-1a is stable across platforms and releases, so cutout paths never move.
        let h = fnv1a(alert.object_id.0.as_bytes());
        self.root
            .join(alert.survey.as_str())
            .join(format!("{:02x}", h & 0xff))
            .join(format!("{:02x}", (h >> 8) & 0xff))
            .join(&alert.object_id.0)
    }

    /// Writes an alert's cutouts and returns their paths by kind. Each file is written to a
    /// temporary name then renamed, so a reader never sees a half-written cutout, and writing
    /// the same alert twice leaves the same files. Durable only after [`CutoutStore::sync`].
    pub fn write(&self, alert: &Alert) -> io::Result<BTreeMap<&'static str, String>> {
        let mut paths = BTreeMap::new();
        if alert.cutouts.is_empty() {
            return Ok(paths);
        }
        let dir = self.object_dir(alert);
        fs::create_dir_all(&dir)?;
        for cutout in &alert.cutouts {
            let name = format!(
                "{}_{}.{}",
                alert.source_id,
                cutout.kind.as_str(),
                cutout.extension()
            );
            let path = dir.join(&name);
            // A replayed alert finds its cutout complete already (a final name only ever holds
            // a whole file, and its content is fixed by sourceId and kind): one stat, no write.
            let done = fs::metadata(&path).is_ok_and(|m| m.len() == cutout.data.len() as u64);
            if !done {
                let tmp = dir.join(format!(".{name}.tmp"));
                let mut f = fs::File::create(&tmp)?;
                f.write_all(&cutout.data)?;
                fs::rename(&tmp, &path)?;
            }
            paths.insert(cutout.kind.as_str(), path.to_string_lossy().into_owned());
        }
        Ok(paths)
    }
}

impl CutoutStore {
    /// Makes every cutout written so far durable: one syncfs(2) for the whole batch, where an
    /// fsync per file would cost a journal commit per file.
    pub fn sync(&self) -> io::Result<()> {
        fs::create_dir_all(&self.root)?;
        let dir = fs::File::open(&self.root)?;
        rustix::fs::syncfs(&dir)?;
        Ok(())
    }
}

//! The folder tree: cutouts as FITS files in a directory tree (a CephFS mount in production),
//! sharded by a hash of the objectId so that no directory holds more than a few hundred
//! entries: `ROOT/<survey>/<h1>/<h2>/<objectId>/<sourceId>_<kind>.fits[.gz]` with 256 x 256
//! shards.
//!
//! The objectId comes from the alert, so it never becomes a path as it is: an id that is not
//! a plain name (letters, digits, `_`, `-`; not starting with `.`; at most 64 bytes) is encoded
//! into one (see [`folder_name`]), so no alert can climb out of the root.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use lasair_alert::hash::fnv1a;
use lasair_alert::{Alert, Cutout, Survey};
use rayon::prelude::*;

use super::{CutoutError, CutoutKey, Cutouts, Placed, MAX_CUTOUT_FILE_BYTES};

/// Temporary files made by this process, for unique names.
static TEMP: AtomicU64 = AtomicU64::new(0);

/// Longest objectId kept as its own folder name.
const MAX_PLAIN: usize = 64;

/// The folder name of objectId `id`: the id itself when it is a plain name (every real ZTF
/// name and LSST diaObjectId is), else `%` and its bytes in hex, or for an id too long for
/// that, `%%`, its length and a hash. Either way one path component, never `.`, `..` or a
/// path, and distinct from every plain name.
pub fn folder_name(id: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !id.is_empty() && id.len() <= MAX_PLAIN && !id.starts_with('.') && id.chars().all(plain) {
        return id.to_owned();
    }
    if id.len() <= 2 * MAX_PLAIN {
        let hex: String = id.bytes().map(|b| format!("{b:02x}")).collect();
        return format!("%{hex}");
    }
    format!("%%{}-{:016x}", id.len(), fnv1a(id.as_bytes()))
}

/// The folder tree of cutouts.
#[derive(Debug, Clone)]
pub struct CutoutStore {
    root: PathBuf,
}

impl CutoutStore {
    /// The tree under `root` (made when the first cutout is written).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The tree's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one object's cutouts.
    pub fn object_dir(&self, alert: &Alert) -> PathBuf {
        self.dir_of(alert.survey, &alert.object_id.0)
    }

    /// The folder of the cutouts of `survey`'s object `object_id`.
    pub fn dir_of(&self, survey: Survey, object_id: &str) -> PathBuf {
        // FNV-1a is stable across platforms and releases, so cutout paths never move.
        let h = fnv1a(object_id.as_bytes());
        self.root
            .join(survey.as_str())
            .join(format!("{:02x}", h & 0xff))
            .join(format!("{:02x}", (h >> 8) & 0xff))
            .join(folder_name(object_id))
    }

    /// The file of a stored cutout, FITS or gzipped FITS, if there is one. Its source is an
    /// integer (ZTF candid, LSST diaSourceId), so it never makes a path of its own.
    pub fn find(&self, key: CutoutKey) -> Option<PathBuf> {
        let dir = self.dir_of(key.survey, key.object_id);
        ["fits", "fits.gz"]
            .iter()
            .map(|ext| dir.join(format!("{}_{}.{ext}", key.source_id, key.kind.as_str())))
            .find(|p| p.is_file())
    }

    /// The file name of one of an alert's cutouts in its object's folder.
    fn file_name(alert: &Alert, cutout: &Cutout) -> String {
        format!(
            "{}_{}.{}",
            alert.source_id,
            cutout.kind.as_str(),
            cutout.extension()
        )
    }

    /// The paths of an alert's cutouts by kind, written or not.
    pub fn paths(&self, alert: &Alert) -> BTreeMap<&'static str, String> {
        if alert.cutouts.is_empty() {
            return BTreeMap::new();
        }
        let dir = self.object_dir(alert);
        alert
            .cutouts
            .iter()
            .map(|c| {
                let path = dir.join(Self::file_name(alert, c));
                (c.kind.as_str(), path.to_string_lossy().into_owned())
            })
            .collect()
    }

    /// Writes an alert's cutouts and returns their paths by kind ([`CutoutStore::paths`]).
    /// Each file is written to a temporary name then renamed, so a reader never sees a
    /// half-written cutout, and writing the same alert twice leaves the same files. Durable
    /// only after [`CutoutStore::sync`].
    pub fn write(&self, alert: &Alert) -> io::Result<BTreeMap<&'static str, String>> {
        if alert.cutouts.is_empty() {
            return Ok(BTreeMap::new());
        }
        let dir = self.object_dir(alert);
        fs::create_dir_all(&dir)?;
        for cutout in &alert.cutouts {
            let name = Self::file_name(alert, cutout);
            let path = dir.join(&name);
            // A replayed alert finds its cutout complete already (a final name only ever holds
            // a whole file, and its content is fixed by sourceId and kind): one stat, no write.
            let done = fs::metadata(&path).is_ok_and(|m| m.len() == cutout.data.len() as u64);
            if !done {
                // Unique per writer: two copies of one alert in a batch (normal under
                // at-least-once delivery) must not share a temporary file.
                let n = TEMP.fetch_add(1, Ordering::Relaxed);
                let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
                let mut f = fs::File::create(&tmp)?;
                f.write_all(&cutout.data)?;
                fs::rename(&tmp, &path)?;
            }
        }
        Ok(self.paths(alert))
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

impl Cutouts for CutoutStore {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    /// Each alert's files written in parallel on the current rayon pool.
    fn write_batch(&self, alerts: &[Alert]) -> Result<Vec<Placed>, CutoutError> {
        alerts
            .par_iter()
            .map(|a| self.write(a))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CutoutError::store(&self.describe(), format!("writing: {e}")))
    }

    fn places(&self, alert: &Alert) -> Placed {
        self.paths(alert)
    }

    fn sync(&self) -> Result<(), CutoutError> {
        CutoutStore::sync(self)
            .map_err(|e| CutoutError::store(&self.describe(), format!("syncing: {e}")))
    }

    fn read(&self, key: CutoutKey) -> Result<Option<Vec<u8>>, CutoutError> {
        let Some(path) = self.find(key) else {
            return Ok(None);
        };
        let failed = |e: io::Error| CutoutError::store(&path.display().to_string(), e);
        let file = fs::File::open(&path).map_err(failed)?;
        let mut bytes = Vec::new();
        file.take(MAX_CUTOUT_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() as u64 > MAX_CUTOUT_FILE_BYTES {
            return Err(failed(io::Error::other(format!(
                "larger than {MAX_CUTOUT_FILE_BYTES} bytes"
            ))));
        }
        Ok(Some(bytes))
    }

    fn has(&self, key: CutoutKey) -> Result<bool, CutoutError> {
        Ok(self.find(key).is_some())
    }

    /// Every finished cutout file under the root (temporary files left out).
    fn count(&self) -> Result<u64, CutoutError> {
        fn walk(dir: &Path, n: &mut u64) -> io::Result<()> {
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let name = entry.file_name();
                if entry.file_type()?.is_dir() {
                    walk(&entry.path(), n)?;
                } else if !name.to_string_lossy().starts_with('.') {
                    *n += 1;
                }
            }
            Ok(())
        }
        let mut n = 0;
        if self.root.is_dir() {
            walk(&self.root, &mut n)
                .map_err(|e| CutoutError::store(&self.describe(), format!("counting: {e}")))?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_file_larger_than_the_bound_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = CutoutStore::new(dir.path());
        let folder = store.dir_of(Survey::Ztf, "ZTF18abc");
        fs::create_dir_all(&folder).expect("folder");
        let path = folder.join("123_science.fits");
        let file = fs::File::create(&path).expect("file");
        file.set_len(MAX_CUTOUT_FILE_BYTES + 1).expect("sized");
        let e = store
            .read(CutoutKey {
                survey: Survey::Ztf,
                object_id: "ZTF18abc",
                source_id: 123,
                kind: lasair_alert::CutoutKind::Science,
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&path.display().to_string()) && e.contains("larger than"),
            "{e}"
        );
    }

    #[test]
    fn an_objectid_is_always_one_harmless_path_component() {
        assert_eq!(folder_name("ZTF21abiuvdk"), "ZTF21abiuvdk");
        assert_eq!(folder_name("313853259557322802"), "313853259557322802");
        for hostile in [
            "/etc/passwd",
            "../../../tmp/x",
            ".",
            "..",
            "",
            "a\0b",
            "ñandú",
            "a/b",
            &"Z".repeat(65),
            &"Z".repeat(5000),
        ] {
            let name = folder_name(hostile);
            assert!(name.starts_with('%'), "{hostile:?} -> {name}");
            assert!(!name.contains('/') && !name.contains('\0'), "{name}");
            assert!(name.len() <= 255, "{} bytes", name.len());
            let path = Path::new("/root").join(&name);
            assert_eq!(path.parent(), Some(Path::new("/root")), "{name}");
        }
        assert_ne!(folder_name("ab"), folder_name("%6162"));
        assert_ne!(
            folder_name(&"Z".repeat(5000)),
            folder_name(&"Z".repeat(5001))
        );
    }
}

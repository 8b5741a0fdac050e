//! Expands file, directory and glob specs into the ordered list of inputs a source reads.
//!
//! Only names are gathered here; contents are read when each message is returned.

use std::fs;
use std::path::{Path, PathBuf};

use crate::spec::Spec;
use crate::{SourceKind, StreamError};

/// One finite input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    Stdin,
    File(PathBuf),
}

/// Deeper than this is a symlink loop, not an alert archive.
const MAX_DEPTH: usize = 64;

/// The inputs named by `specs`, in the order given; each spec must name at least one.
pub(crate) fn expand(specs: &[String], kind: SourceKind) -> Result<Vec<Input>, StreamError> {
    let mut inputs = Vec::new();
    for spec in specs {
        match Spec::parse(spec)? {
            Spec::Stdio if inputs.contains(&Input::Stdin) => {
                return Err(StreamError::spec(spec, "stdin given twice"));
            }
            Spec::Stdio => inputs.push(Input::Stdin),
            Spec::Kafka(_) => {
                let reason = "a Kafka source must be the only input (several topics go in one \
                              spec: kafka://HOST:PORT/TOPIC1,TOPIC2)";
                return Err(StreamError::spec(spec, reason));
            }
            Spec::Path(path) => {
                let files = expand_path(&path, kind)?;
                inputs.extend(files.into_iter().map(Input::File));
            }
        }
    }
    Ok(inputs)
}

fn expand_path(spec: &str, kind: SourceKind) -> Result<Vec<PathBuf>, StreamError> {
    let path = Path::new(spec);
    let mut files = Vec::new();
    if fs::metadata(path).is_ok() {
        add(path, kind, &mut files)?;
    } else if spec.contains(['*', '?', '[']) {
        let matches = glob::glob(spec).map_err(|e| StreamError::spec(spec, e.to_string()))?;
        for entry in matches {
            let found = entry.map_err(|e| {
                let path = e.path().display().to_string();
                StreamError::read(path, e.into())
            })?;
            add(&found, kind, &mut files)?;
        }
    } else {
        return Err(StreamError::NoInput {
            spec: spec.to_owned(),
            reason: "no such file or directory".into(),
        });
    }
    if files.is_empty() {
        let reason = match kind {
            SourceKind::AvroFiles => "matches no .avro files",
            SourceKind::Lines => "matches no files",
        };
        return Err(StreamError::NoInput {
            spec: spec.to_owned(),
            reason: reason.into(),
        });
    }
    Ok(files)
}

/// Adds a named file as is (the user chose it), or a directory's files in sorted order.
fn add(path: &Path, kind: SourceKind, files: &mut Vec<PathBuf>) -> Result<(), StreamError> {
    let meta = fs::metadata(path).map_err(|e| StreamError::read(path.display(), e))?;
    if meta.is_dir() {
        let start = files.len();
        walk(path, kind, 0, files)?;
        files[start..].sort();
    } else {
        files.push(path.to_owned());
    }
    Ok(())
}

fn walk(
    dir: &Path,
    kind: SourceKind,
    depth: usize,
    files: &mut Vec<PathBuf>,
) -> Result<(), StreamError> {
    if depth > MAX_DEPTH {
        let loop_error = std::io::Error::other("directories nested too deep (a symlink loop?)");
        return Err(StreamError::read(dir.display(), loop_error));
    }
    let entries = fs::read_dir(dir).map_err(|e| StreamError::read(dir.display(), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| StreamError::read(dir.display(), e))?
            .path();
        let meta = fs::metadata(&path).map_err(|e| StreamError::read(path.display(), e))?;
        if meta.is_dir() {
            walk(&path, kind, depth + 1, files)?;
        } else if kind.wants(&path) {
            files.push(path);
        }
    }
    Ok(())
}

impl SourceKind {
    /// Whether a file found in a directory belongs to this kind of input.
    fn wants(self, path: &Path) -> bool {
        match self {
            SourceKind::Lines => true,
            SourceKind::AvroFiles => path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("avro")),
        }
    }
}

#[cfg(test)]
#[path = "inputs_tests.rs"]
mod tests;

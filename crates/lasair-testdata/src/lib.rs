//! Test support: the real public data (alerts, schemas, catalogues) lives outside the
//! repository in `../shared/data`; tests that use it skip, saying so, where it is absent.

use std::path::PathBuf;

/// `../shared/data/<rel>` beside the workspace, or `None` after printing a `skipped:` line
/// naming what was looked for (a fresh clone has no `../shared`).
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} not found (the shared real data lives outside the repo)",
            path.display()
        );
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_path_is_none() {
        assert_eq!(super::shared_data("no/such/file/anywhere"), None);
    }
}

//! Regression tests for the hostile alerts of ../shared/data/hostile/ingest (its README says
//! what each broke): an objectId from the alert never becomes a path as it is.

mod common;

use std::path::Path;

use common::*;

/// Every file below `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn objectids_that_are_paths_write_their_cutouts_inside_the_cutout_folder() {
    let Some(data) = lasair_testdata::shared_data("hostile/ingest") else {
        return;
    };
    // Where the two attacks aimed (their objectIds); left over from an earlier run, they
    // would hide a new escape.
    let escape = Path::new("/tmp/lasair_cutout_escape");
    let _ = std::fs::remove_dir_all(escape);
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("in");
    let names = [
        "objectId_absolute_path.avro",
        "objectId_dotdot_path.avro",
        "objectId_dot.avro",
        "objectId_nul.avro",
    ];
    for name in names {
        std::fs::copy(data.join(name), input.join(name)).expect("copy");
    }
    let cutouts = tmp.path().join("deep/cutouts");
    let out = run(&[
        "--survey",
        "ztf",
        input.to_str().expect("utf8"),
        "--cutouts",
        cutouts.to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_lines(&out.stdout).len(), names.len());
    assert!(!escape.exists(), "cutouts written to {}", escape.display());
    let written = files(tmp.path());
    let fits: Vec<_> = written
        .iter()
        .filter(|p| p.to_string_lossy().contains(".fits"))
        .collect();
    assert_eq!(fits.len(), 3 * names.len(), "{written:#?}");
    for f in fits {
        assert!(
            f.starts_with(&cutouts),
            "{} is outside {}",
            f.display(),
            cutouts.display()
        );
    }
}

#[test]
fn two_copies_of_one_alert_in_a_batch_both_succeed() {
    // At-least-once delivery makes duplicates normal; both copies once wrote the same
    // temporary cutout file and one rename failed (15 runs in 60 lost their batch).
    let Some(dir) = lasair_testdata::shared_data("ztf/alerts/ZTF21abiuvdk") else {
        return;
    };
    let mut alerts: Vec<_> = files(&dir);
    alerts.sort();
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("in");
    for copy in ["a", "b", "c", "d"] {
        std::fs::copy(&alerts[0], input.join(format!("{copy}.avro"))).expect("copy");
    }
    for round in 0..12 {
        let cutouts = tmp.path().join(format!("cutouts-{round}"));
        let out = run(&[
            "--survey",
            "ztf",
            input.to_str().expect("utf8"),
            "--cutouts",
            cutouts.to_str().expect("utf8"),
            "--threads",
            "4",
            "--quiet",
        ]);
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json_lines(&out.stdout).len(), 4);
        assert_eq!(
            files(&cutouts).len(),
            3,
            "one alert's three cutouts, no temporary left"
        );
    }
}

//! Regression tests for the hostile alerts of ../shared/data/hostile/ingest (its README says
//! what each broke): each is refused with its file and cause named, within bounded memory,
//! and the good alerts of the same run and batch still come out.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Each hostile file and what the report of it must say.
const CAUSES: [(&str, &str); 19] = [
    ("array_null_blocks_64k.avro", "block count 1024 "),
    ("array_null_blocks_8k.avro", "block count 1024 "),
    ("count_huge_emptyrecord.avro", "block count 1099511627776 "),
    ("count_huge_null.avro", "block count 1099511627776 "),
    ("count_i64max_null.avro", "block count 9223372036854775807 "),
    (
        "deflate_bomb_1GiB.avro.gz",
        "holds more than the maximum alert size",
    ),
    ("objectId_5000_chars.avro", "objectId is \"ZZZ"),
    ("objectId_65_chars.avro", "objectId is \"ZZZ"),
    ("objectId_absolute_path.avro", "objectId is \"/tmp/"),
    ("objectId_dot.avro", "objectId is \".\""),
    ("objectId_dotdot_path.avro", "objectId is \"../"),
    ("objectId_non_ascii.avro", "objectId is \"ZTF\u{e9}abc\""),
    ("objectId_nul.avro", "objectId is \"ZTF\\0x\""),
    ("prv_candidate_jd_nan.avro", "prv_candidates[0].jd is NaN"),
    ("record_with_null_array_field.avro", "block count 1024 "),
    ("schema_recursive_array.avro", "recursive type t -> t "),
    (
        "schema_recursive_mutual.avro",
        "recursive type a -> b -> a ",
    ),
    ("schema_recursive_self.avro", "recursive type r -> r "),
    (
        "ztf_s1_b194_m0110_697252383015010009.avro",
        "prv_candidates[11].jd is NaN",
    ),
];

/// The address space a run may take, in KiB: a run of good alerts takes tens of MB, and the
/// files above once took GBs (a count of zero-size items grew until killed).
const MEMORY_LIMIT_KIB: u64 = 256 * 1024;

/// Where the path attacks aimed (their objectIds).
const ESCAPE: &str = "/tmp/lasair_cutout_escape";

/// Runs lasair-ingest on the ZTF files of `input` with its address space limited, on two
/// threads (each thread's stack and heap count against the limit).
fn run_limited(input: &Path, db: &Path, cutouts: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg(MEMORY_LIMIT_KIB.to_string())
        .arg(env!("CARGO_BIN_EXE_lasair-ingest"))
        .args(ztf_args(input, db, cutouts))
        .args(["--threads", "2", "--quiet"])
        .output()
        .expect("run lasair-ingest")
}

/// Copies hostile file `name` into `dir`, gunzipped when it is kept gzipped; its new path.
fn place(data: &Path, name: &str, dir: &Path) -> PathBuf {
    let from = data.join(name);
    match name.strip_suffix(".gz") {
        Some(plain) => {
            let mut bytes = Vec::new();
            let file = std::fs::File::open(&from).expect("open");
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut bytes)
                .expect("gunzip");
            let to = dir.join(plain);
            std::fs::write(&to, bytes).expect("write");
            to
        }
        None => {
            let to = dir.join(name);
            std::fs::copy(&from, &to).expect("copy");
            to
        }
    }
}

/// Every file below `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
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

/// The first `n` real alerts of one ZTF object, in name order.
fn good_alerts(n: usize) -> Option<Vec<PathBuf>> {
    let dir = lasair_testdata::shared_data("ztf/alerts/ZTF21abiuvdk")?;
    let mut alerts = files(&dir);
    alerts.sort();
    alerts.truncate(n);
    Some(alerts)
}

/// The hostile files' folder and `n` good alerts; `None` (skipped) without the shared data.
fn hostile_and_good(n: usize) -> Option<(PathBuf, Vec<PathBuf>)> {
    Some((
        lasair_testdata::shared_data("hostile/ingest")?,
        good_alerts(n)?,
    ))
}

/// A folder `in` below `tmp` holding copies of the `good` alerts.
fn input_of(tmp: &Path, good: &[PathBuf]) -> PathBuf {
    let input = tmp.join("in");
    std::fs::create_dir_all(&input).expect("in");
    for (i, g) in good.iter().enumerate() {
        std::fs::copy(g, input.join(format!("good{i}.avro"))).expect("copy");
    }
    input
}

#[test]
fn every_hostile_file_has_its_expected_cause() {
    let Some(data) = lasair_testdata::shared_data("hostile/ingest") else {
        return;
    };
    let mut names: Vec<String> = files(&data)
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_str()?.to_owned()))
        .collect();
    names.sort();
    let known: Vec<&str> = CAUSES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, known, "a hostile file without a test, or one gone");
}

#[test]
fn each_hostile_file_is_named_with_its_cause_and_the_good_alert_beside_it_kept() {
    let Some((data, good)) = hostile_and_good(1) else {
        return;
    };
    let mut failures = Vec::new();
    for (name, cause) in CAUSES {
        let tmp = tempfile::tempdir().expect("tmp");
        let input = input_of(tmp.path(), &good);
        let bad = place(&data, name, &input);
        let out = run_limited(
            &input,
            &tmp.path().join("lc.db"),
            &tmp.path().join("cutouts"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines = json_lines(&out.stdout);
        let reported = format!("bad alert in {}: ", bad.display());
        let ok = out.status.code() == Some(1)
            && lines.len() == 1
            && lines[0]["objectId"] == "ZTF21abiuvdk"
            && stderr
                .lines()
                .any(|l| l.contains(&reported) && l.contains(cause));
        if !ok {
            failures.push(format!(
                "{name}: exit {:?}, {} lines, stderr: {stderr}",
                out.status.code(),
                lines.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_batch_of_every_hostile_file_keeps_its_good_alerts_and_writes_only_inside_its_folders() {
    let Some((data, good)) = hostile_and_good(3) else {
        return;
    };
    // Left over from an earlier run, the attacks' target would hide a new escape.
    let _ = std::fs::remove_dir_all(ESCAPE);
    let tmp = tempfile::tempdir().expect("tmp");
    let input = input_of(tmp.path(), &good);
    for (name, _) in CAUSES {
        place(&data, name, &input);
    }
    let db = tmp.path().join("deep/lc.db");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let cutouts = tmp.path().join("deep/cutouts");
    let out = run_limited(&input, &db, &cutouts);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("bad alert in "))
            .count(),
        CAUSES.len(),
        "{stderr}"
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), good.len(), "{stderr}");
    let stored = stored_keys(&db);
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|(id, _, _)| id == "ZTF21abiuvdk"));
    assert!(!Path::new(ESCAPE).exists(), "cutouts written to {ESCAPE}");
    let fits: Vec<_> = files(tmp.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".fits"))
        .collect();
    assert_eq!(fits.len(), 3 * good.len(), "{fits:#?}");
    assert!(fits.iter().all(|f| f.starts_with(&cutouts)), "{fits:#?}");
}

#[test]
fn an_alert_over_max_alert_bytes_is_refused_by_its_size_and_the_default_is_printed() {
    let Some(good) = good_alerts(1) else { return };
    let size = std::fs::metadata(&good[0]).expect("size").len();
    let max = (size / 2).to_string();
    let out = run(&[
        "--survey",
        "ztf",
        good[0].to_str().expect("utf8"),
        "--max-alert-bytes",
        &max,
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("maximum alert size ({max} bytes)")),
        "{stderr}"
    );
    let out = run(&["--print-config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let default = lasair_alert::avro::DEFAULT_MAX_ALERT_BYTES;
    assert!(
        text.contains(&format!("max_alert_bytes = {default}\n")),
        "{text}"
    );
}

#[test]
fn two_copies_of_one_alert_in_a_batch_both_succeed() {
    // At-least-once delivery makes duplicates normal; both copies once wrote the same
    // temporary cutout file and one rename failed (15 runs in 60 lost their batch).
    let Some(alerts) = good_alerts(1) else {
        return;
    };
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

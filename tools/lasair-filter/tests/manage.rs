//! Staff manage watchlists, watchmaps and filters from the shell: the binary on a SQLite main
//! database, with the real BLLac watchlist (42 cones: `grep -c '^[0-9]'` on the file), real
//! MOC files, and files that are not MOCs.

use std::process::{Command, Output};

fn filter(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lasair-filter"))
        .args(["--db", db, "--survey", "ztf"])
        .args(args)
        .output()
        .expect("run lasair-filter")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn watchlists_from_a_file_through_their_life() {
    let Some(bllac) = lasair_testdata::shared_data("watchlists/BLLac.txt") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let file = bllac.display().to_string();
    let out = ok(&filter(
        &db,
        &[
            "watchlist",
            "add",
            &file,
            "--name",
            "BL Lacs",
            "--user",
            "7",
            "--radius",
            "3",
        ],
    ));
    assert_eq!(out.trim(), "watchlist 1: 42 cones");
    let list = ok(&filter(&db, &["watchlist", "list"]));
    assert_eq!(
        list.lines().nth(1),
        Some("1\t7\tBL Lacs\t3\t1\t0"),
        "{list}"
    );
    let show = ok(&filter(&db, &["watchlist", "show", "1"]));
    assert!(show.contains("cones: 42"), "{show}");
    ok(&filter(&db, &["watchlist", "mute", "1"]));
    assert!(ok(&filter(&db, &["watchlist", "list"])).contains("BL Lacs\t3\t0\t"));
    ok(&filter(&db, &["watchlist", "activate", "1"]));
    assert!(ok(&filter(&db, &["watchlist", "list"])).contains("BL Lacs\t3\t1\t"));
    ok(&filter(&db, &["watchlist", "delete", "1"]));
    assert_eq!(
        ok(&filter(&db, &["watchlist", "list"])).lines().count(),
        1,
        "only the header"
    );
    let out = filter(&db, &["watchlist", "show", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no watchlists with wl_id 1"));
    // A radius above Lasair's 1800" is refused before anything is written.
    let out = filter(
        &db,
        &[
            "watchlist",
            "add",
            &file,
            "--name",
            "x",
            "--user",
            "7",
            "--radius",
            "5000",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn watchmaps_must_be_mocs() {
    let (Some(good), Some(bad)) = (
        lasair_testdata::shared_data("mocs/ar_1.fits"),
        lasair_testdata::shared_data("mocs/bad"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let out = ok(&filter(
        &db,
        &[
            "watchmap",
            "add",
            &good.display().to_string(),
            "--name",
            "area 1",
            "--user",
            "7",
        ],
    ));
    assert!(out.starts_with("watchmap 1: 0."), "{out}");
    for entry in std::fs::read_dir(bad).expect("bad mocs").flatten() {
        let path = entry.path().display().to_string();
        let out = filter(
            &db,
            &["watchmap", "add", &path, "--name", "bad", "--user", "7"],
        );
        assert_eq!(out.status.code(), Some(2), "{path}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&path), "the message names the file: {err}");
    }
    assert_eq!(
        ok(&filter(&db, &["watchmap", "list"])).lines().count(),
        2,
        "header and area 1"
    );
}

#[test]
fn filters_are_checked_by_the_compiler_before_they_are_saved() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let out = filter(
        &db,
        &[
            "filter",
            "add",
            "--name",
            "bad",
            "--user",
            "7",
            "--select",
            "objects.objectId",
            "--where",
            "1; DROP TABLE objects",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = ok(&filter(
        &db,
        &[
            "filter",
            "add",
            "--name",
            "Bright SNe!",
            "--user",
            "7",
            "--select",
            "objects.objectId, objects.gmag",
            "--where",
            "objects.gmag < 17",
            "--mode",
            "kafka-lite",
        ],
    ));
    assert_eq!(out.trim(), "filter 1: lasair_7BrightSNe");
    let list = ok(&filter(&db, &["filter", "list"]));
    assert_eq!(
        list.lines().nth(1),
        Some("1\t7\tBright SNe!\t3\talerts\tlasair_7BrightSNe"),
        "{list}"
    );
    ok(&filter(
        &db,
        &["filter", "activate", "1", "--mode", "email"],
    ));
    assert!(ok(&filter(&db, &["filter", "list"])).contains("Bright SNe!\t1\talerts\t"));
    ok(&filter(&db, &["filter", "mute", "1"]));
    assert!(ok(&filter(&db, &["filter", "list"])).contains("Bright SNe!\t0\talerts\t"));
}

#[test]
fn filters_run_on_alerts_annotations_or_both() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let add = |name: &str, tables: &str, trigger: &[&str]| {
        let mut args = vec![
            "filter",
            "add",
            "--name",
            name,
            "--user",
            "7",
            "--select",
            "objects.objectId",
            "--tables",
            tables,
        ];
        args.extend_from_slice(trigger);
        filter(&db, &args)
    };
    let out = add(
        "classified",
        "objects, annotator:fast",
        &["--on-annotation"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    ok(&out);
    let out = add(
        "both",
        "objects, annotator:fast",
        &["--on-alert", "--on-annotation"],
    );
    ok(&out);
    // A filter run on annotations that names no annotator would never run: staff are told.
    let out = add("plain", "objects", &["--on-annotation"]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("filter 3 names no annotator"), "{err}");
    let list = ok(&filter(&db, &["filter", "list"]));
    let runs: Vec<&str> = list
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(4).unwrap_or_default())
        .collect();
    assert_eq!(runs, ["annotations", "both", "annotations"], "{list}");
    ok(&filter(&db, &["filter", "activate", "2", "--on-alert"]));
    ok(&filter(&db, &["filter", "activate", "1"]));
    let show = |id: &str| ok(&filter(&db, &["filter", "show", id]));
    assert!(show("2").contains("run: alerts"), "{}", show("2"));
    assert!(
        show("1").contains("run: annotations"),
        "kept: {}",
        show("1")
    );
}

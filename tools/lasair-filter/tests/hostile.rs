//! The hostile lines of ../shared/data/hostile/filter (a good line, a bad one, a good one) on
//! SQLite and, when scripts/test provides it (LASAIR_TEST_MYSQL), on MariaDB: the same answer
//! on both, the bad line refused with its place and reason, the good object stored, exit 1.

use std::process::Command;

use lasair_db::{Select, Value};

fn run(url: &str, file: &std::path::Path, dir: &std::path::Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-filter"))
        .args(["--survey", "ztf", "--db", url, "--topics"])
        .arg(dir.join("streams"))
        .arg(file)
        .output()
        .expect("lasair-filter runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}: {stderr}", file.display());
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        stderr.contains(&format!("{name}:2")) && stderr.contains("objectId"),
        "the bad line is named with its place and field: {stderr}"
    );
    let mut db = lasair_service::open(url, Some(lasair_alert::Survey::Ztf), false).expect("db");
    let rows = db
        .select(
            &Select::from("objects")
                .columns(&["objectId"])
                .eq("objectId", "ZTF21abiuvdk"),
        )
        .expect("read");
    assert_eq!(
        rows.rows,
        [vec![Value::from("ZTF21abiuvdk")]],
        "{}",
        file.display()
    );
}

fn files() -> Option<Vec<std::path::PathBuf>> {
    let dir = lasair_testdata::shared_data("hostile/filter")?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("listing hostile/filter")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    Some(files)
}

#[test]
fn hostile_lines_on_sqlite() {
    let Some(files) = files() else { return };
    for file in files {
        let tmp = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
        run(&url, &file, tmp.path());
    }
}

#[test]
fn hostile_lines_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    let Some(files) = files() else { return };
    for file in files {
        let tmp = tempfile::tempdir().expect("tmp");
        run(&url, &file, tmp.path());
    }
}

//! The same night through lasair-filter with the main database on MariaDB (the throw-away
//! instance scripts/test starts) and on SQLite: the same objects rows and the same results.
//! Keeps to its own user (7301) and filters, because that MariaDB is shared with other tests.

use lasair_alert::Survey;
use lasair_stream::StreamArgs;
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_db::{Db, Value};
use lasair_filter::{run, Args};

#[allow(dead_code)]
mod common;
use common::{alerts, dump, lines};

fn setup(url: &str) {
    let mut db = Db::open(url).expect("main database");
    common::user(&mut db, 7301, "maria", None);
    let f = |id: i64, name: &str, select: &str, tables: &str, cond: &str| {
        vec![
            id.into(),
            7301.into(),
            name.into(),
            select.into(),
            tables.into(),
            cond.into(),
            2.into(),
        ]
    };
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[
            f(
                73011,
                "bright",
                "objects.objectId, objects.gmag",
                "objects",
                "objects.gmag < 18.5 ORDER BY objects.objectId",
            ),
            f(
                73012,
                "hosts",
                "objects.objectId, sherlock_classifications.classification",
                "objects, sherlock_classifications",
                "sherlock_classifications.classification IN ('sn', 'NT')",
            ),
            f(
                73013,
                "risers",
                "objects.objectId, objects.dmdt_g, LOG10(objects.ncandgp) AS lg",
                "objects",
                "objects.dmdt_g < 0 AND objects.ncandgp BETWEEN 2 AND 40",
            ),
        ],
    )
    .expect("filters");
}

fn night(url: &str, dir: &std::path::Path) -> (Vec<Vec<Value>>, Vec<BTreeSet<String>>) {
    let alerts = alerts(&[
        "ztf/alerts/ztf_public_2021_mixed",
        "ztf/alerts/ZTF21abiuvdk",
    ])
    .expect("data");
    let sn: BTreeSet<String> = alerts
        .iter()
        .take(12)
        .map(|a| a.object_id.0.clone())
        .collect();
    std::fs::write(dir.join("alerts.jsonl"), lines(&alerts, &sn)).expect("input");
    setup(url);
    let args = Args {
        stream: StreamArgs {
            inputs: vec![dir.join("alerts.jsonl").display().to_string()],
            batch: Some(25),
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(url.into()),
        topics: Some(dir.join("streams").display().to_string()),
        digests: Some(dir.join("digests")),
        ..Args::default()
    };
    run(args, Arc::new(AtomicBool::new(false))).expect("runs");
    let ids: Vec<String> = alerts
        .iter()
        .map(|a| format!("'{}'", a.object_id.0))
        .collect();
    let rows = dump(
        url,
        &format!(
            "SELECT * FROM objects WHERE objectId IN ({}) ORDER BY objectId",
            ids.join(",")
        ),
    );
    let topics = ["lasair_7301bright", "lasair_7301hosts", "lasair_7301risers"]
        .iter()
        .map(|t| {
            std::fs::read_to_string(dir.join("streams").join(format!("{t}.jsonl")))
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).expect("record");
                    v.as_object_mut().expect("object").remove("UTC");
                    v.to_string()
                })
                .collect()
        })
        .collect();
    (rows, topics)
}

#[test]
fn mariadb_and_sqlite_give_the_same_night() {
    let Ok(maria) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    if lasair_testdata::shared_data("ztf/alerts/ZTF21abiuvdk").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (lite_dir, maria_dir) = (tmp.path().join("lite"), tmp.path().join("maria"));
    std::fs::create_dir_all(&lite_dir).expect("dir");
    std::fs::create_dir_all(&maria_dir).expect("dir");
    let lite = format!("sqlite:{}", lite_dir.join("lasair.db").display());
    let (lite_rows, lite_topics) = night(&lite, &lite_dir);
    let (maria_rows, maria_topics) = night(&maria, &maria_dir);
    assert!(lite_rows.len() > 40, "{} objects", lite_rows.len());
    assert_eq!(maria_rows.len(), lite_rows.len());
    for (m, l) in maria_rows.iter().zip(&lite_rows) {
        assert_eq!(m, l, "the same objects row on both backends");
    }
    for (i, (m, l)) in maria_topics.iter().zip(&lite_topics).enumerate() {
        assert!(!l.is_empty(), "filter {i} found nothing");
        assert_eq!(m, l, "filter {i}: the same results");
    }
}

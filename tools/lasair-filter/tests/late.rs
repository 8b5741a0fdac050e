//! An older alert delivered after a newer one (a batch replayed after a later batch of the
//! same object, or a partition's late messages) changes none of the object's rows in the main
//! database: its `objects` row, its Sherlock classification and its watchlist hits stay the
//! newer alert's. Real alerts of ZTF21abiuvdk; skips when ../shared/data is absent.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_alert::{AlertJson, Survey};
use lasair_db::{Db, Value};
use lasair_filter::{run, Args};
use lasair_stream::StreamArgs;
use serde_json::json;

#[allow(dead_code)]
mod common;
use common::{alerts, dump};

/// The alert as lasair-ingest writes it, with Sherlock's context of the given class.
fn line(alert: &lasair_alert::Alert, class: &str) -> String {
    let line = AlertJson::new(alert, BTreeMap::new()).to_line();
    let mut v: serde_json::Value = serde_json::from_slice(&line).expect("json");
    v["sherlock"] =
        json!({"classification": class, "separationArcsec": 1.5, "catalogue_table_name": "glade"});
    v.to_string()
}

#[test]
fn an_older_alert_after_a_newer_one_changes_no_row_of_its_object() {
    let Some(mut all) = alerts(&["ztf/alerts/ZTF21abiuvdk"]) else {
        return;
    };
    all.sort_by(|a, b| a.mjd.total_cmp(&b.mjd));
    let (old, new) = (&all[5], &all[all.len() - 1]);
    assert!(old.mjd < new.mjd);
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", tmp.path().join("main.db").display());
    let mut db = Db::open(&url).expect("main database");
    common::user(&mut db, 7, "ada", Some("ada@example.org"));
    common::watchlist(&mut db, 1);
    // A cone 2" north of the newer alert: the older alert is elsewhere by a little.
    db.upsert(
        "watchlist_cones",
        &["cone_id", "wl_id", "name", "ra", "decl"],
        &[vec![
            1.into(),
            1.into(),
            "c".into(),
            new.ra.into(),
            (new.dec + 2.0 / 3600.0).into(),
        ]],
    )
    .expect("cone");
    drop(db);
    let feed = |name: &str, text: String| {
        let input = tmp.path().join(name);
        std::fs::write(&input, text + "\n").expect("input");
        let args = Args {
            stream: StreamArgs {
                inputs: vec![input.display().to_string()],
                quiet: true,
                ..StreamArgs::default()
            },
            survey: Some(Survey::Ztf),
            db: Some(url.clone()),
            topics: Some(tmp.path().join("streams").display().to_string()),
            digests: Some(tmp.path().join("digests")),
            ..Args::default()
        };
        run(args, Arc::new(AtomicBool::new(false))).expect("runs")
    };
    let rows = || {
        [
            "SELECT objectId, jdmax, ncand, ramean FROM objects",
            "SELECT objectId, classification, separationArcsec FROM sherlock_classifications",
            "SELECT wl_id, objectId, arcsec FROM watchlist_hits",
        ]
        .map(|sql| dump(&url, sql))
    };
    let report = feed("new.jsonl", line(new, "SN"));
    assert_eq!(report.objects, 1);
    let newer = rows();
    assert_eq!(newer[1][0][1], Value::from("SN"));
    assert_eq!(newer[2].len(), 1, "the newer alert is in the cone");
    // The older alert, classified otherwise, comes after it.
    let report = feed("old.jsonl", line(old, "AGN"));
    assert_eq!(rows(), newer);
    assert_eq!(report.objects, 0, "nothing of the older alert is written");
    // A newer alert still replaces it all.
    let latest = line(new, "NT");
    feed("again.jsonl", latest);
    assert_eq!(rows()[1][0][1], Value::from("NT"));
}

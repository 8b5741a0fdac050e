//! lasair-filter on the 25 real Rubin alerts (schema 10.0): LSST's object columns keyed by the
//! integer diaObjectId, a filter on LSST columns, and solar-system sources left out.

use lasair_stream::StreamArgs;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_alert::{AlertJson, Decoder, Survey};
use lasair_db::{Db, Value};
use lasair_filter::{run, Args};
use lasair_sql::catalog::LSST;

#[allow(dead_code)]
mod common;
use common::dump_in;

#[test]
fn rubin_alerts_fill_lsst_objects() {
    let Some(path) = lasair_testdata::shared_data("lsst/alerts/rubin_v10_0/alerts.avro") else {
        return;
    };
    let bytes = std::fs::read(path).expect("read");
    let alerts: Vec<_> = Decoder::new(Survey::Lsst, None)
        .decode(&bytes)
        .into_iter()
        .map(|a| a.expect("decodes"))
        .collect();
    // Expected, from the alerts themselves: every object that is not a known solar-system
    // source, and those with at least 3 diaSources in the lightcurve they carry.
    let kept: BTreeSet<i64> = alerts
        .iter()
        .filter(|a| !a.solar_system)
        .map(|a| a.object_id.0.parse().expect("an integer diaObjectId"))
        .collect();
    let busy: BTreeSet<i64> = alerts
        .iter()
        .filter(|a| !a.solar_system)
        .filter(|a| a.points(lasair_alert::PointKind::Detection).count() >= 3)
        .map(|a| a.object_id.0.parse().expect("id"))
        .collect();
    assert!(
        !busy.is_empty() && busy.len() < kept.len(),
        "{busy:?} of {kept:?}"
    );

    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lsst.db").display());
    let mut db = Db::open_with(&url, &LSST, false).expect("lsst db");
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[vec![
            1.into(),
            3.into(),
            "busy".into(),
            "objects.diaObjectId, objects.nDiaSources".into(),
            "objects".into(),
            "objects.nDiaSources >= 3".into(),
            2.into(),
        ]],
    )
    .expect("filter");
    drop(db);
    let input = tmp.path().join("rubin.jsonl");
    let mut text = Vec::new();
    for a in &alerts {
        text.extend(AlertJson::new(a, BTreeMap::new()).to_line());
        text.push(b'\n');
    }
    std::fs::write(&input, text).expect("input");
    let streams = tmp.path().join("streams");
    let args = Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Lsst),
        db: Some(url.clone()),
        topics: Some(streams.display().to_string()),
        digests: Some(tmp.path().join("digests")),
        ..Args::default()
    };
    let report = run(args, Arc::new(AtomicBool::new(false))).expect("runs");
    assert_eq!(report.counts.bad(), 0);

    let ids: BTreeSet<i64> = dump_in(&url, &LSST, "SELECT diaObjectId FROM objects")
        .into_iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            ref v => panic!("{v:?}"),
        })
        .collect();
    assert_eq!(ids, kept);
    let text = std::fs::read_to_string(streams.join("lasair_3busy.jsonl")).expect("topic");
    let sent: BTreeSet<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["diaObjectId"]
                .as_i64()
                .expect("id")
        })
        .collect();
    assert_eq!(
        sent, busy,
        "nDiaSources counts the diaSources the alert carries"
    );
}

//! lasair-filter on the 25 real Rubin alerts (schema 10.0): LSST's object columns keyed by the
//! integer diaObjectId, a filter on LSST columns, and solar-system sources left out; on
//! simulated alerts of both Rubin schemas, a filter on the diaObject's own fields.

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

/// Runs lasair-filter over the JSON lines in `input` (one batch) into the LSST database at
/// `url`; the folder of its topics.
fn filter(tmp: &std::path::Path, url: &str, input: &std::path::Path) -> std::path::PathBuf {
    let streams = tmp.join("streams");
    let args = Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            quiet: true,
            batch: Some(1000),
            ..StreamArgs::default()
        },
        survey: Some(Survey::Lsst),
        db: Some(url.to_owned()),
        topics: Some(streams.display().to_string()),
        digests: Some(tmp.join("digests")),
        ..Args::default()
    };
    let report = run(args, Arc::new(AtomicBool::new(false))).expect("runs");
    assert_eq!(report.counts.bad(), 0);
    streams
}

/// The diaObjectIds of rows whose first column is one.
fn ids(rows: &[Vec<Value>]) -> BTreeSet<i64> {
    rows.iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            ref v => panic!("{v:?}"),
        })
        .collect()
}

/// The diaObjectIds a filter's topic received.
fn sent(streams: &std::path::Path, topic: &str) -> BTreeSet<i64> {
    let text = std::fs::read_to_string(streams.join(format!("{topic}.jsonl"))).expect("topic");
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["diaObjectId"]
                .as_i64()
                .expect("id")
        })
        .collect()
}

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
    let streams = filter(tmp.path(), &url, &input);

    let ids = ids(&dump_in(&url, &LSST, "SELECT diaObjectId FROM objects"));
    assert_eq!(ids, kept);
    let sent = sent(&streams, "lasair_3busy");
    assert_eq!(
        sent, busy,
        "nDiaSources counts the diaSources the alert carries"
    );
}

/// Simulated alerts of `version` as ingest makes them (decoded with the simulator's schema,
/// written as JSON lines), and each object's latest diaObject as apache-avro reads it from
/// the payloads (not our decoder): the expected answers.
fn simulated(
    version: lasair_simulator::LsstSchema,
) -> (Vec<u8>, BTreeMap<i64, apache_avro::types::Value>) {
    use apache_avro::types::Value as Avro;
    let schema_json = lasair_simulator::lsst_schema_json_of(version);
    let ours = lasair_alert::avro::CompiledSchema::parse(&schema_json).expect("schema");
    let decoder = Decoder::new(
        Survey::Lsst,
        Some(lasair_alert::WireSchemas::Fixed(Arc::new(ours))),
    );
    let avro = apache_avro::Schema::parse_str(&schema_json).expect("schema");
    let cfg = lasair_simulator::SimConfig {
        survey: Survey::Lsst,
        alerts: 400,
        objects: 60,
        seed: 11,
        cutouts: false,
        lsst_schema: version,
    };
    let mut lines = Vec::new();
    let mut latest = BTreeMap::new();
    for sim in lasair_simulator::simulate(&cfg) {
        for alert in decoder.decode(&sim.payload) {
            lines.extend(AlertJson::new(&alert.expect("decodes"), BTreeMap::new()).to_line());
            lines.push(b'\n');
        }
        let value = apache_avro::from_avro_datum(&avro, &mut &sim.payload[5..], None)
            .expect("apache-avro reads it");
        let Avro::Record(fields) = value else {
            panic!("not a record")
        };
        let object = fields.into_iter().find(|(n, _)| n == "diaObject");
        if let Some((_, Avro::Union(_, object))) = object {
            if !matches!(*object, Avro::Null) {
                // Alerts come in time order: the last one seen is the object's latest.
                latest.insert(sim.object_id.parse().expect("id"), *object);
            }
        }
    }
    (lines, latest)
}

fn avro_f64(record: &apache_avro::types::Value, name: &str) -> Option<f64> {
    use apache_avro::types::Value as Avro;
    let Avro::Record(fields) = record else {
        return None;
    };
    let value = fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)?;
    let value = match value {
        Avro::Union(_, inner) => inner.as_ref(),
        v => v,
    };
    match value {
        Avro::Float(f) => Some(f64::from(*f)),
        Avro::Double(f) => Some(*f),
        Avro::Int(i) => Some(f64::from(*i)),
        _ => None,
    }
}

#[test]
fn a_filter_on_the_dia_objects_own_fields_finds_the_right_objects() {
    for version in lasair_simulator::LsstSchema::ALL {
        let (lines, latest) = simulated(version);
        let errors: Vec<f64> = latest
            .values()
            .filter_map(|o| avro_f64(o, "g_psfFluxErrMean"))
            .collect();
        let mut sorted = errors.clone();
        sorted.sort_by(f64::total_cmp);
        // Halfway between two values: the JSON line carries a float's shortest decimal, not
        // its exact binary value, so a threshold equal to a value would be on a knife's edge.
        let m = sorted.len() / 2;
        let threshold = (sorted[m - 1] + sorted[m]) / 2.0;
        let expected: BTreeSet<i64> = latest
            .iter()
            .filter(|(_, o)| avro_f64(o, "g_psfFluxErrMean").is_some_and(|e| e < threshold))
            .filter(|(_, o)| avro_f64(o, "decErr").is_some_and(|e| e > 0.0))
            .map(|(id, _)| *id)
            .collect();
        assert!(expected.len() > 5, "{version}: {expected:?}");

        let tmp = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite:{}", tmp.path().join("lsst.db").display());
        let mut db = Db::open_with(&url, &LSST, false).expect("lsst db");
        db.upsert(
            "filters",
            &common::FILTER_COLUMNS,
            &[vec![
                1.into(),
                3.into(),
                "precise".into(),
                "objects.diaObjectId, objects.g_psfFluxErrMean, objects.htm16".into(),
                "objects".into(),
                format!("objects.g_psfFluxErrMean < {threshold} AND objects.decErr > 0").into(),
                2.into(),
            ]],
        )
        .expect("filter");
        drop(db);
        let input = tmp.path().join("sim.jsonl");
        std::fs::write(&input, &lines).expect("input");
        let streams = filter(tmp.path(), &url, &input);

        // The main database holds the objects' latest diaObject fields and their htm16.
        let rows = dump_in(
            &url,
            &LSST,
            "SELECT diaObjectId FROM objects WHERE g_psfFluxErrMean < THRESHOLD AND decErr > 0"
                .replace("THRESHOLD", &threshold.to_string())
                .as_str(),
        );
        let stored = ids(&rows);
        assert_eq!(stored, expected, "{version}: the main database");
        let htm = dump_in(&url, &LSST, "SELECT ra, decl, htm16 FROM objects");
        for row in &htm {
            let (Value::Real(ra), Value::Real(dec), Value::Int(id)) = (&row[0], &row[1], &row[2])
            else {
                panic!("{row:?}")
            };
            assert_eq!(*id, lasair_sky::htm_id(16, *ra, *dec));
        }

        // One batch: the filter ran on each object's latest alert.
        let sent = sent(&streams, "lasair_3precise");
        assert_eq!(sent, expected, "{version}: the filter's topic");
    }
}

//! Helpers shared by the ingest tool tests: simulated alerts, running the binary, reading results.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lasair_alert::{Alert, Decoder, PointKind, Survey};
use lasair_simulator::{simulate, SimAlert, SimConfig};

pub fn ingest_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lasair-ingest"))
}

pub fn run(args: &[&str]) -> Output {
    ingest_bin().args(args).output().expect("run lasair-ingest")
}

/// The arguments of a ZTF run over `input` that keeps lightcurves in the SQLite store `db`
/// and cutouts under `cutouts`; a test adds its own.
pub fn ztf_args(input: &Path, db: &Path, cutouts: &Path) -> Vec<String> {
    let path = |p: &Path| p.to_str().expect("utf8").to_owned();
    vec![
        "--survey".into(),
        "ztf".into(),
        path(input),
        "--lightcurves".into(),
        format!("sqlite:{}", path(db)),
        "--cutouts".into(),
        path(cutouts),
    ]
}

pub fn shared_data() -> Option<PathBuf> {
    lasair_testdata::shared_data("")
}

pub fn sim(survey: Survey, alerts: usize, objects: usize, seed: u64) -> Vec<SimAlert> {
    simulate(&SimConfig {
        survey,
        alerts,
        objects,
        seed,
        cutouts: true,
        ..SimConfig::default()
    })
    .collect()
}

pub fn sim_without_cutouts(
    survey: Survey,
    alerts: usize,
    objects: usize,
    seed: u64,
) -> Vec<SimAlert> {
    simulate(&SimConfig {
        survey,
        alerts,
        objects,
        seed,
        cutouts: false,
        ..SimConfig::default()
    })
    .collect()
}

/// Writes simulated ZTF alerts as `<candid>.avro` files.
pub fn write_files(dir: &Path, alerts: &[SimAlert]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for a in alerts {
        std::fs::write(dir.join(format!("{}.avro", a.source_id)), &a.payload).expect("write");
    }
}

/// The set of (objectId, kind, id) the alerts carry, computed by decoding them directly.
pub fn union_of(alerts: &[Alert]) -> BTreeSet<(String, PointKind, i64)> {
    alerts
        .iter()
        .flat_map(|a| {
            a.lightcurve
                .iter()
                .map(|p| (a.object_id.0.clone(), p.kind, p.id))
        })
        .collect()
}

pub fn decode_all(survey: Survey, payloads: &[Vec<u8>]) -> Vec<Alert> {
    let d = Decoder::new(survey, None);
    payloads
        .iter()
        .flat_map(|p| d.decode(p))
        .map(|r| r.expect("decodes"))
        .collect()
}

/// Every (objectId, kind, id) stored, with a check that no key is stored twice.
pub fn stored_keys(db: &Path) -> BTreeSet<(String, PointKind, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open store");
    let mut stmt = conn
        .prepare("SELECT objectId, kind, id FROM lightcurve")
        .expect("prepare");
    let rows: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let set: BTreeSet<_> = rows
        .iter()
        .map(|(o, k, i)| (o.clone(), PointKind::from_code(*k).expect("kind"), *i))
        .collect();
    assert_eq!(set.len(), rows.len(), "a point is stored twice");
    set
}

pub fn json_lines(text: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect()
}

//! `--run features --upsert` against the real pipeline: simulated ZTF alerts go through
//! lasair-ingest (lightcurves into a SQLite store, JSON lines out) and lasair-filter (the
//! objects' rows into a SQLite main database); lasair-mine then recomputes every object's row
//! from its stored lightcurve and upserts it.
//!
//! With each object's latest alert alone, the store holds exactly the lightcurve the filter
//! computed on, so the rows must come out equal: into an empty database, and over the
//! filter's own. With every alert, the store holds more than any one alert carries (an alert
//! brings 30 days of history; earlier triggers keep their whole record), and the mined rows
//! count every detection the alerts ever carried, which the test counts from the alerts.
//! Needs the lasair-ingest and lasair-filter binaries beside this one (scripts/test builds
//! them); skips without them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lasair_alert::Survey;
use lasair_db::{Db, Value};
use lasair_simulator::{simulate, SimConfig};

use common::{mine, sibling, stderr};

/// Every row of the `objects` table, by objectId.
fn objects_table(url: &str) -> Vec<Vec<Value>> {
    let mut db = Db::open_with(url, &lasair_sql::catalog::ZTF, true).expect("open");
    db.query_readonly(
        "SELECT * FROM objects ORDER BY objectId",
        Duration::from_secs(30),
    )
    .expect("dump")
    .rows
}

/// Where two dumps of the table differ: each differing object's differing columns.
fn differences(got: &[Vec<Value>], want: &[Vec<Value>]) -> Vec<String> {
    let columns = lasair_sql::catalog::ZTF_OBJECTS.columns;
    let mut out = Vec::new();
    if got.len() != want.len() {
        out.push(format!("{} rows, expected {}", got.len(), want.len()));
    }
    for (g, w) in got.iter().zip(want) {
        let cols: Vec<String> = columns
            .iter()
            .zip(g.iter().zip(w))
            .filter(|(_, (a, b))| a != b)
            .map(|(c, (a, b))| format!("{}: {a:?} not {b:?}", c.name))
            .collect();
        if !cols.is_empty() {
            out.push(format!("{}: {}", w[0], cols.join(", ")));
        }
    }
    out
}

fn run_ok(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what}: {}", stderr(&out));
    out
}

/// The pipeline's result: the store, the main database, and the alerts given.
struct Pipeline {
    dir: tempfile::TempDir,
    lightcurves: String,
    main_db: String,
    alerts: Vec<lasair_simulator::SimAlert>,
}

/// Simulated ZTF alerts (only each object's latest with `latest_only`) through lasair-ingest
/// and lasair-filter; `None` (skipped) when those are not built.
fn pipeline(test: &str, latest_only: bool) -> Option<Pipeline> {
    let ingest = sibling("lasair-ingest", test)?;
    let filter = sibling("lasair-filter", test)?;
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name);
    let folder = at("alerts");
    std::fs::create_dir_all(&folder).expect("ok");
    let mut alerts: Vec<_> = simulate(&SimConfig {
        survey: Survey::Ztf,
        alerts: 4000,
        objects: 700,
        seed: 31,
        cutouts: false,
        ..SimConfig::default()
    })
    .collect();
    if latest_only {
        // The simulation gives alerts in time order: an object's last is its latest.
        let mut last = std::collections::HashMap::new();
        for (i, a) in alerts.iter().enumerate() {
            last.insert(a.object_id.clone(), i);
        }
        let keep: std::collections::HashSet<usize> = last.into_values().collect();
        alerts = alerts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, a)| a)
            .collect();
    }
    for a in &alerts {
        std::fs::write(folder.join(format!("{}.avro", a.source_id)), &a.payload).expect("ok");
    }
    let lightcurves = format!("sqlite:{}", at("lc.db").display());
    let lines = run_ok(
        Command::new(&ingest)
            .args(["--survey", "ztf", "--lightcurves", &lightcurves])
            .arg(&folder),
        "lasair-ingest",
    );
    let main_db = format!("sqlite:{}", at("main.db").display());
    let mut child = Command::new(&filter)
        .args(["--survey", "ztf", "--db", &main_db])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lasair-filter");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &lines.stdout).expect("ok");
    let out = child.wait_with_output().expect("lasair-filter");
    assert!(out.status.success(), "lasair-filter: {}", stderr(&out));
    Some(Pipeline {
        dir,
        lightcurves,
        main_db,
        alerts,
    })
}

#[test]
fn recomputed_rows_equal_what_lasair_filter_wrote() {
    let Some(p) = pipeline("recomputed_rows_equal_what_lasair_filter_wrote", true) else {
        return;
    };
    let at = |name: &str| p.dir.path().join(name);
    let (lightcurves, main_db) = (&p.lightcurves, &p.main_db);
    let filtered = objects_table(main_db);
    assert!(filtered.len() > 300, "{} objects", filtered.len());
    let multi = filtered
        .iter()
        .filter(|r| matches!(r[1], Value::Int(n) if n > 1))
        .count();
    assert!(multi > 100, "objects with several detections: {multi}");

    // Into an empty database, the objects named in a file.
    let ids = at("ids.txt");
    let names: String = filtered.iter().map(|r| format!("{}\n", r[0])).collect();
    std::fs::write(&ids, names).expect("ok");
    let fresh = format!("sqlite:{}", at("mined.db").display());
    let out = run_ok(
        mine()
            .args(["--hosts", "local", "--processes", "2", "--survey", "ztf"])
            .args([
                "--lightcurves",
                lightcurves,
                "--run",
                "features",
                "--upsert",
            ])
            .args(["--db", &fresh, "--ids"])
            .arg(&ids),
        "lasair-mine into an empty database",
    );
    let diff = differences(&objects_table(&fresh), &filtered);
    assert!(
        diff.is_empty(),
        "{} rows differ: {:#?}",
        diff.len(),
        &diff[..diff.len().min(10)]
    );
    let printed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(printed, filtered.len(), "a row printed for each object");

    // Over the filter's own database, the objects chosen by a query on it: unchanged.
    let out = run_ok(
        mine()
            .args(["--hosts", &hosts(), "--lightcurves", lightcurves])
            .args(["--run", "features", "--upsert", "--db", main_db])
            .args(["--where", "objects.ncand >= 1", "--output"])
            .arg(at("rows.jsonl"))
            .args(ssh_options()),
        "lasair-mine over the filter's database",
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{} objects in", filtered.len())),
        "{err}"
    );
    let diff = differences(&objects_table(main_db), &filtered);
    assert!(
        diff.is_empty(),
        "{} rows differ: {:#?}",
        diff.len(),
        &diff[..diff.len().min(10)]
    );
}

#[test]
fn mined_rows_count_every_detection_the_alerts_ever_carried() {
    let Some(p) = pipeline("mined_rows_count_every_detection", false) else {
        return;
    };
    let filtered = objects_table(&p.main_db);
    // Each object's detections (candid -> jd) across all its alerts, from the alerts.
    let decoder = lasair_alert::Decoder::new(Survey::Ztf, None);
    let mut detections: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for a in &p.alerts {
        for alert in decoder.decode(&a.payload) {
            let alert = alert.expect("decodes");
            let seen = detections.entry(alert.object_id.0.clone()).or_default();
            for d in alert.points(lasair_alert::PointKind::Detection) {
                seen.insert(d.id, d.fields.f64("jd").expect("jd"));
            }
        }
    }
    run_ok(
        mine()
            .args(["--hosts", "local", "--lightcurves", &p.lightcurves])
            .args(["--run", "features", "--upsert", "--db", &p.main_db]),
        "lasair-mine over the filter's database",
    );
    let mined = objects_table(&p.main_db);
    assert_eq!(mined.len(), filtered.len(), "a row for each object");
    let mut more = 0;
    for (row, before) in mined.iter().zip(&filtered) {
        let id = row[0].to_string();
        let dets = &detections[&id];
        let jds = dets.values().copied();
        let (min, max) = (
            jds.clone().fold(f64::MAX, f64::min),
            jds.fold(f64::MIN, f64::max),
        );
        assert_eq!(
            (&row[1], &row[6], &row[7]),
            (
                &Value::Int(dets.len() as i64),
                &Value::Real(min),
                &Value::Real(max)
            ),
            "{id}: ncand, jdmin, jdmax"
        );
        more += usize::from(row[1] != before[1]);
    }
    assert!(
        more > 10,
        "objects whose history outgrew one alert's: {more}"
    );
}

/// The first SSH server when scripts/test started them, else local workers.
fn hosts() -> String {
    std::env::var("LASAIR_TEST_SSH")
        .ok()
        .and_then(|h| h.split(',').next().map(str::to_owned))
        .unwrap_or_else(|| "local".into())
}

fn ssh_options() -> Vec<String> {
    if std::env::var("LASAIR_TEST_SSH").is_err() {
        return Vec::new();
    }
    let var = |n: &str| std::env::var(n).unwrap_or_default();
    vec![
        "--identity".into(),
        var("LASAIR_TEST_SSH_KEY"),
        "--known-hosts".into(),
        var("LASAIR_TEST_SSH_KNOWN_HOSTS"),
        "--remote-bin".into(),
        Path::new(env!("CARGO_BIN_EXE_lasair-mine"))
            .display()
            .to_string(),
    ]
}

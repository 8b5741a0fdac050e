//! lasair-filter through Kafka: alerts from a consumer group, results to a filter's topic read
//! by Python confluent-kafka (as the official lasair client reads them). Killed with SIGKILL
//! mid-stream and restarted, every result is delivered at least once and the main database
//! ends identical to a crash-free run's. On librdkafka's in-process mock broker, and on tansu
//! when LASAIR_TEST_KAFKA is set (scripts/test starts it).

use lasair_alert::Survey;
use lasair_stream::StreamArgs;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lasair_db::{Db, Value};
use rdkafka::mocking::MockCluster;

#[allow(dead_code)]
mod common;
use common::{alerts, dump, produce, Running};

const TABLES: [&str; 4] = [
    "objects",
    "sherlock_classifications",
    "watchlist_hits",
    "area_hits",
];

fn setup(url: &str) {
    let mut db = Db::open(url).expect("main database");
    common::user(&mut db, 7, "ada", None);
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[vec![
            1.into(),
            7.into(),
            "kafka".into(),
            "objects.objectId, objects.ncand".into(),
            "objects".into(),
            "".into(),
            2.into(),
        ]],
    )
    .expect("filter");
    let whole_sky = lasair_service::watch::encode_moc(b"0/0-11");
    db.upsert(
        "watchmaps",
        &["ar_id", "user_id", "name", "moc", "active"],
        &[vec![
            1.into(),
            7.into(),
            "sky".into(),
            whole_sky.into(),
            1.into(),
        ]],
    )
    .expect("watchmap");
}

/// The objectIds Python confluent-kafka reads from `topic` (a fresh group, from the start).
fn python_reads(boot: &str, topic: &str, want: usize, seconds: u64) -> Vec<String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/consume.py");
    let group = format!("astronomer-{}-{n}", std::process::id());
    let out = Command::new("python3")
        .args([
            script,
            boot,
            topic,
            &group,
            &want.to_string(),
            &seconds.to_string(),
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "consume.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON record");
            assert!(v["UTC"].is_string(), "{l}");
            v["objectId"].as_str().expect("objectId").to_owned()
        })
        .collect()
}

fn spawn_filter(boot: &str, input: &str, db: &str, dir: &Path) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_lasair-filter"))
        .args([
            "--survey",
            "ztf",
            &format!("kafka://{boot}/{input}"),
            "--group",
            "filter-test",
        ])
        .args(["--db", db, "--topics", &format!("kafka://{boot}")])
        .args(["--digests", &dir.join("digests").display().to_string()])
        .args(["--batch", "10", "--wait-ms", "100", "--quiet"])
        // A killed member holds its partitions until its session times out: keep that short.
        .args([
            "--kafka-option",
            "session.timeout.ms=6000",
            "--kafka-option",
            "max.poll.interval.ms=10000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn lasair-filter");
    Running(child)
}

fn kill_and_restart(boot: &str, input: &str) {
    let Some(alerts) = alerts(&[
        "ztf/alerts/ztf_public_2021_mixed",
        "ztf/alerts/ZTF21abiuvdk",
    ]) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let text = common::lines(&alerts, &BTreeSet::new());
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| l.starts_with(b"{"))
        .collect();

    // The crash-free reference: the same alerts from a file, in one go.
    let reference = format!("sqlite:{}", tmp.path().join("reference.db").display());
    setup(&reference);
    let file = tmp.path().join("alerts.jsonl");
    std::fs::write(&file, lines.join(&b'\n')).expect("input file");
    let args = lasair_filter::Args {
        stream: StreamArgs {
            inputs: vec![file.display().to_string()],
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(reference.clone()),
        digests: Some(tmp.path().join("ref-digests")),
        ..Default::default()
    };
    lasair_filter::run(args, Arc::new(AtomicBool::new(false))).expect("reference run");
    let want: BTreeSet<String> = dump(&reference, "SELECT objectId FROM objects")
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(t) => t.clone(),
            v => panic!("{v:?}"),
        })
        .collect();
    assert!(want.len() > 40, "{} objects", want.len());

    // Half the night before the crash, the rest after it: the restarted run has work to do
    // whenever in its stream the first one died.
    let (early, late) = lines.split_at(lines.len() / 2);
    produce(boot, input, early);
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    setup(&db);
    let mut first = spawn_filter(boot, input, &db, tmp.path());
    let start = Instant::now();
    while python_reads(boot, "lasair_7kafka", 10, 5).len() < 10 {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the first run sent too little"
        );
    }
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    produce(boot, input, late);

    let second = spawn_filter(boot, input, &db, tmp.path());
    let got: BTreeSet<String> = python_reads(boot, "lasair_7kafka", want.len(), 90)
        .into_iter()
        .collect();
    // Then until the rest of the input is done: the latest alert of each object is in.
    let latest = "SELECT objectId, jdmax FROM objects ORDER BY 1";
    let start = Instant::now();
    while dump(&db, latest) != dump(&reference, latest) && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(second.drain(), Some(0), "SIGTERM drains and exits 0");
    assert_eq!(got, want, "every result delivered at least once");
    for t in TABLES {
        let sql = format!("SELECT * FROM {t} ORDER BY 1, 2");
        let (got, want) = (dump(&db, &sql), dump(&reference, &sql));
        assert_eq!(got.len(), want.len(), "{t}: rows");
        let differ: Vec<String> = got
            .iter()
            .zip(&want)
            .filter(|(g, w)| g != w)
            .map(|(g, w)| {
                let cols: Vec<String> = (0..g.len())
                    .filter(|&i| g[i] != w[i])
                    .map(|i| format!("#{i}: {:?} vs {:?}", g[i], w[i]))
                    .collect();
                format!("{:?}: {}", g[0], cols.join(", "))
            })
            .collect();
        assert!(
            differ.is_empty(),
            "{t} differs from a crash-free run: {differ:#?}"
        );
    }
}

#[test]
fn killed_and_restarted_on_the_mock_broker_loses_nothing() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("filter_in", 2, 1).expect("topic");
    cluster.create_topic("lasair_7kafka", 1, 1).expect("topic");
    kill_and_restart(&cluster.bootstrap_servers(), "filter_in");
}

#[test]
fn killed_and_restarted_on_tansu_loses_nothing() {
    let Ok(boot) = std::env::var("LASAIR_TEST_KAFKA") else {
        eprintln!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    kill_and_restart(&boot, "lasair_filter_in");
}

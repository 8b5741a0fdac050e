//! `lasair-sync gw` as cron and a unit run it: every real sky map added by file, its areas as
//! mocpy computes them (the sky crate's fixtures), added twice without effect; IGWN notices
//! from a file (a bad one reported and skipped, a retraction); and notices read from a Kafka
//! topic (librdkafka's mock broker, and tansu when scripts/test starts it), the offsets
//! committed after the maps are stored, so a second run reads only what came since.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use lasair_db::{Db, Value};
use lasair_stream::{open_sink, KafkaOptions};

const MOCK: &str = "skymaps/MS181101ab_mock_map.fits";

fn sync(args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args(args)
        .output()
        .expect("run lasair-sync");
    (
        out.status.code(),
        json_lines(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn count(url: &str, sql: &str) -> i64 {
    let mut db = Db::open(url).expect("db");
    let rows = db
        .query_readonly(sql, Duration::from_secs(5))
        .expect("count");
    rows.rows[0][0].as_i64().expect("a count")
}

/// The notice GCN would send for the mock event: its real map in base64.
fn notice(map: &[u8], name: &str, alert_type: &str) -> Vec<u8> {
    let skymap = base64::engine::general_purpose::STANDARD.encode(map);
    serde_json::json!({
        "alert_type": alert_type,
        "time_created": "2018-11-01T22:34:49Z",
        "superevent_id": name,
        "urls": {"gracedb": format!("https://example.org/superevents/{name}/view/")},
        "event": {
            "time": "2018-11-01T22:22:46.654Z",
            "far": 9.11e-14,
            "significant": true,
            "instruments": ["H1", "L1", "V1"],
            "group": "CBC",
            "pipeline": "gstlal",
            "classification": {"BNS": 0.95, "NSBH": 0.01, "BBH": 0.03, "Terrestrial": 0.01},
            "skymap": skymap,
        },
        "external_coinc": null,
    })
    .to_string()
    .into_bytes()
}

fn retraction(name: &str) -> Vec<u8> {
    serde_json::json!({"alert_type": "RETRACTION", "time_created": "2018-11-02T00:00:00Z",
                       "superevent_id": name, "event": null})
    .to_string()
    .into_bytes()
}

#[test]
fn every_real_map_added_by_file_with_mocpys_areas() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut seen = 0;
    for name in [
        "S200129m_bayestar.multiorder.fits",
        "MS181101ab_mock_map.fits",
        "GW190814_LALInference.v1.fits.gz",
    ] {
        let file = format!("skymaps/{name}");
        let Some(path) = lasair_testdata::shared_data(&file) else {
            continue;
        };
        let event = name.split('_').next().expect("a name");
        let path = path.display().to_string();
        let args = [
            "gw", "add", &path, "--name", event, "--db", &db, "--survey", "ztf",
        ];
        let (code, lines, err) = sync(&args);
        assert_eq!((code, lines.len()), (Some(0), 1), "{err}");
        let r = &lines[0];
        assert_eq!(
            (r["job"].as_str(), r["kept"].as_bool(), r["new"].as_bool()),
            (Some("gw"), Some(true), Some(true))
        );
        let areas = lasair_testdata::skymaps::areas(&file);
        assert_eq!(areas.len(), 3);
        for (level, want, _) in areas {
            let key = format!("area{}", (level * 100.0).round());
            let got = r[&key].as_f64().expect("an area");
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{name} {key}: {got} vs {want}"
            );
        }
        // Twice changes nothing (not asked of the 400 MB flat map: a debug build reads it slowly).
        if !name.ends_with(".gz") {
            let (code, again, _) = sync(&args);
            assert_eq!(code, Some(0));
            assert_eq!(
                (again[0]["new"].as_bool(), &again[0]["mw_id"]),
                (Some(false), &r["mw_id"])
            );
        }
        seen += 1;
    }
    if seen > 0 {
        assert_eq!(count(&db, "SELECT COUNT(*) FROM mma_areas"), seen);
    }
    // Not a map, and a name that could be anything: refused, nothing written.
    let moc = lasair_testdata::shared_data("skymaps/MS181101ab_mock_90.moc");
    if let Some(moc) = moc {
        let (code, _, err) = sync(&[
            "gw",
            "add",
            &moc.display().to_string(),
            "--name",
            "X",
            "--db",
            &db,
            "--survey",
            "ztf",
        ]);
        assert_eq!(code, Some(2));
        assert!(
            err.contains("MS181101ab_mock_90.moc") && err.contains("PROBDENSITY"),
            "{err}"
        );
    }
}

#[test]
fn notices_from_a_file_a_bad_one_skipped() {
    let Some(map) = lasair_testdata::shared_data(MOCK) else {
        return;
    };
    let map = std::fs::read(map).expect("map");
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let file = tmp.path().join("notices.jsonl");
    let mut text = notice(&map, "MS181101ab", "PRELIMINARY");
    text.extend(
        b"\n{\"superevent_id\": \"S1\", \"alert_type\": \"UPDATE\", \"time_created\": 7}\n",
    );
    text.extend(retraction("MS181101ab"));
    text.push(b'\n');
    std::fs::write(&file, text).expect("notices");
    let from = file.display().to_string();
    let (code, lines, err) = sync(&["gw", "--from", &from, "--db", &db, "--survey", "ztf"]);
    assert_eq!(code, Some(1), "one notice was bad: {err}");
    assert!(err.contains("time_created"), "{err}");
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(actions, ["registered", "retracted"]);
    assert_eq!(
        lines[0]["version"].as_str(),
        Some("20181101T223449_PRELIMINARY")
    );
    assert_eq!(lines[1]["maps"].as_u64(), Some(1));
    let active = count(&db, "SELECT COUNT(*) FROM mma_areas WHERE active = 1");
    assert_eq!(
        (count(&db, "SELECT COUNT(*) FROM mma_areas"), active),
        (1, 0)
    );
}

/// A running `lasair-sync gw --from kafka://...`, killed if an assertion leaves it behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn consume(boot: &str, topic: &str, db: &str, out: &Path) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args([
            "gw",
            "--from",
            &format!("kafka://{boot}/{topic}"),
            "--group",
            "gw-test",
        ])
        .args(["--db", db, "--survey", "ztf"])
        .stdout(std::fs::File::create(out).expect("out"))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn lasair-sync");
    Running(child)
}

/// SIGTERM, then the exit code.
fn drain(mut run: Running) -> Option<i32> {
    let pid = run.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    run.0.wait().expect("exit").code()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn produce(boot: &str, topic: &str, messages: &[Vec<u8>]) {
    let opts = KafkaOptions {
        // A notice with its map is over librdkafka's default 1 MB.
        extra: vec![("message.max.bytes".into(), "10000000".into())],
        ..Default::default()
    };
    let mut sink = open_sink(&format!("kafka://{boot}/{topic}"), &opts).expect("sink");
    for m in messages {
        sink.send(None, m).expect("send");
    }
    sink.flush().expect("delivered");
}

fn notices_from_kafka(boot: &str, topic: &str) {
    let Some(map) = lasair_testdata::shared_data(MOCK) else {
        return;
    };
    let map = std::fs::read(map).expect("map");
    let tmp = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    drop(Db::open(&db).expect("made"));
    let name = format!("MS181101ab-{}", std::process::id());
    produce(boot, topic, &[notice(&map, &name, "PRELIMINARY")]);
    let first_out = tmp.path().join("first.jsonl");
    let first = consume(boot, topic, &db, &first_out);
    let stored = format!("SELECT COUNT(*) FROM mma_areas WHERE otherId = '{name}'");
    wait_for("the map", || count(&db, &stored) == 1);
    assert_eq!(drain(first), Some(0), "SIGTERM drains and exits 0");
    let lines = json_lines(&std::fs::read(&first_out).expect("out"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kept"].as_bool(), Some(true));

    // The first notice's offset was committed: a second run reads only the retraction.
    produce(boot, topic, &[retraction(&name)]);
    let second_out = tmp.path().join("second.jsonl");
    let second = consume(boot, topic, &db, &second_out);
    let active = format!("SELECT COUNT(*) FROM mma_areas WHERE otherId = '{name}' AND active = 1");
    wait_for("the retraction", || count(&db, &active) == 0);
    assert_eq!(drain(second), Some(0));
    let lines = json_lines(&std::fs::read(&second_out).expect("out"));
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(actions, ["retracted"]);
    let mut db = Db::open(&db).expect("db");
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM mma_areas", Duration::from_secs(5))
        .expect("rows");
    assert_eq!(rows.rows, [vec![Value::Int(1)]]);
}

#[test]
fn notices_from_kafka_on_the_mock_broker() {
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("igwn.gwalert", 1, 1).expect("topic");
    notices_from_kafka(&cluster.bootstrap_servers(), "igwn.gwalert");
}

#[test]
fn notices_from_kafka_on_tansu() {
    let Ok(boot) = std::env::var("LASAIR_TEST_KAFKA") else {
        eprintln!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    notices_from_kafka(&boot, "igwn.gwalert");
}

#[test]
fn the_shipped_unit_runs_a_command_line_lasair_sync_takes() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../systemd/lasair-gw.service"
    );
    let unit = std::fs::read_to_string(path).expect("systemd/lasair-gw.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let words: Vec<&str> = exec.split_whitespace().collect();
    assert!(words[0].ends_with("/lasair-sync"), "{exec}");
    if let Err(e) = <lasair_sync::Args as clap::Parser>::try_parse_from(&words) {
        panic!("`{exec}`: {e}");
    }
}

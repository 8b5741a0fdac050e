//! The stream stage end to end through `run()`: real ZTF alerts as lasair-ingest writes them
//! (decoded here by lasair-alert), bad lines among them, the cache across runs.

#[path = "../../../crates/lasair-context/tests/fixtures/catalogues.rs"]
mod catalogues;

use lasair_stream::StreamArgs;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_alert::{AlertJson, Decoder, Survey};
use lasair_context::memory::MemoryCatalogues;
use lasair_context::{Cache, Classifier, SearchConfig, Stage};
use lasair_sherlock::Args;

/// The JSON lines lasair-ingest writes for every alert of ztf_public_20181129.
fn ingest_lines() -> Option<Vec<Vec<u8>>> {
    let dir = lasair_testdata::shared_data("ztf/alerts/ztf_public_20181129")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("alert folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "avro"))
        .collect();
    files.sort();
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut lines = Vec::new();
    for f in files {
        for alert in decoder.decode(&std::fs::read(&f).expect("alert file")) {
            let alert = alert.expect("a real alert decodes");
            lines.push(AlertJson::new(&alert, BTreeMap::new()).to_line());
        }
    }
    Some(lines)
}

fn stage(set: Arc<MemoryCatalogues>, cache: Cache) -> Stage {
    let classifier = Classifier::new(SearchConfig::default_config(), set);
    Stage::new(Arc::new(classifier), Arc::new(cache))
}

fn args(input: &Path, output: &Path) -> Args {
    Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            batch: Some(64),
            threads: Some(2),
            quiet: true,
            ..StreamArgs::default()
        },
        output: Some(output.display().to_string()),
        ..Args::default()
    }
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut text = Vec::new();
    for l in lines {
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    std::fs::write(path, text).expect("write input");
}

fn read_output(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

/// Expected classification by candid (fixtures/expected.py, GCVS only).
fn expected_by_candid() -> HashMap<i64, String> {
    let expected = catalogues::expected();
    expected["gcvs"]
        .as_array()
        .expect("gcvs")
        .iter()
        .map(|a| {
            (
                a["candid"].as_i64().expect("candid"),
                a["classification"].as_str().expect("label").to_owned(),
            )
        })
        .collect()
}

#[test]
fn real_alerts_get_their_context_and_bad_lines_are_counted() {
    let (Some(lines), Some(set)) = (ingest_lines(), catalogues::real(&["gcvs"])) else {
        return;
    };
    assert_eq!(lines.len(), 499);
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, output) = (dir.path().join("in.jsonl"), dir.path().join("out.jsonl"));
    let mut all = lines.clone();
    all.insert(2, b"this is not JSON".to_vec());
    all.insert(6, br#"{"survey":"ztf","objectId":"ZTFnopos"}"#.to_vec());
    all.insert(10, b"[1, 2, 3]".to_vec());
    all.insert(
        14,
        br#"{"objectId":"ZTFbad","ra":10.0,"dec":95.0}"#.to_vec(),
    );
    write_lines(&input, &all);
    let stage = stage(set, Cache::memory());
    let report = lasair_sherlock::run(
        &args(&input, &output),
        &stage,
        Arc::new(AtomicBool::new(false)),
    )
    .expect("run");
    assert_eq!(report.counts.read(), 503);
    assert_eq!(report.counts.written(), 499);
    assert_eq!(report.counts.bad(), 4);
    let out = read_output(&output);
    assert_eq!(out.len(), 499);
    let expected = expected_by_candid();
    for (line, original) in out.iter().zip(&lines) {
        let candid = line["sourceId"].as_i64().expect("sourceId");
        assert_eq!(
            line["sherlock"]["classification"].as_str(),
            expected.get(&candid).map(String::as_str),
            "candid {candid}"
        );
        // Everything else passes through unchanged.
        let mut without: serde_json::Value = line.clone();
        without.as_object_mut().expect("object").remove("sherlock");
        let original: serde_json::Value = serde_json::from_slice(original).expect("input JSON");
        assert_eq!(without, original);
    }
}

#[test]
fn the_cache_answers_after_a_restart_until_the_catalogues_change() {
    let (Some(lines), Some(set)) = (ingest_lines(), catalogues::real(&["gcvs"])) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_lines(&input, &lines);
    let cache_path = dir.path().join("sherlock.cache");
    let fingerprint = Classifier::new(SearchConfig::default_config(), set.clone()).fingerprint();
    let shutdown = || Arc::new(AtomicBool::new(false));

    let first_out = dir.path().join("first.jsonl");
    let first = stage(
        set.clone(),
        Cache::open(&cache_path, &fingerprint, 10_000).expect("cache"),
    );
    lasair_sherlock::run(&args(&input, &first_out), &first, shutdown()).expect("first run");
    // 499 alerts, one object twice (ztf_public_20181129 README): at most 499 positions.
    let held = first.cache.len();
    assert!((498..=499).contains(&held), "{held}");
    drop(first);

    let reopened = Cache::open(&cache_path, &fingerprint, 10_000).expect("reopen");
    assert_eq!(reopened.len(), held, "answers survive the restart");
    let second_out = dir.path().join("second.jsonl");
    let second = stage(set.clone(), reopened);
    lasair_sherlock::run(&args(&input, &second_out), &second, shutdown()).expect("second run");
    assert_eq!(second.cache.len(), held, "nothing new to classify");
    assert_eq!(read_output(&first_out), read_output(&second_out));
    drop(second);

    // Other catalogues: another fingerprint, so the cached answers are dropped.
    let mut other = MemoryCatalogues::new();
    other.add(
        "gcvs",
        lasair_context::catalogue::CatalogueKind::Variable,
        vec![lasair_context::memory::point_source("only", 1.0, 1.0)],
    );
    let other_fp = Classifier::new(SearchConfig::default_config(), Arc::new(other)).fingerprint();
    assert_ne!(other_fp, fingerprint);
    assert!(Cache::open(&cache_path, &other_fp, 10_000)
        .expect("reopen")
        .is_empty());
}

/// A catalogue store holding the real GCVS, loaded as catalogues.toml says.
fn gcvs_store(dir: &Path) -> Option<PathBuf> {
    use lasair_context::catalogue::{CatalogueStore, MappingFile};
    let file = lasair_testdata::shared_data("catalogues/gcvs.csv")?;
    let map_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/lasair-context/catalogues.toml");
    let map = MappingFile::read(&map_path).expect("catalogues.toml");
    let spec = map.get("gcvs", &map_path).expect("a gcvs mapping").clone();
    let path = dir.join("catalogues.db");
    let mut store = CatalogueStore::open(&path).expect("store");
    store.add("gcvs", &file, &spec, false).expect("load gcvs");
    Some(path)
}

/// The binary as a pipe stage: alert lines on stdin, annotated lines on stdout, a bad line
/// reported with its place (stdin:LINE) and counted, exit code 1 at the end; the cache file
/// is made beside the store.
#[test]
fn the_binary_reads_stdin_writes_stdout_and_exits_1_on_a_bad_line() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(lines) = ingest_lines() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(store) = gcvs_store(dir.path()) else {
        return;
    };
    let mut input = Vec::new();
    for (i, l) in lines.iter().take(50).enumerate() {
        if i == 2 {
            input.extend_from_slice(b"{\"objectId\":\"ZTFnopos\"}\n");
        }
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_lasair-sherlock"))
        .arg("--store")
        .arg(&store)
        .arg("-q")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input).expect("write stdin"));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("stdin:3"), "the bad line's place: {stderr}");
    assert!(stderr.contains("no position"), "{stderr}");
    let expected = expected_by_candid();
    let written: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(written.len(), 50);
    for line in &written {
        let candid = line["sourceId"].as_i64().expect("sourceId");
        assert_eq!(
            line["sherlock"]["classification"].as_str(),
            expected.get(&candid).map(String::as_str)
        );
    }
    let mut cache = store.into_os_string();
    cache.push(".cache");
    assert!(
        Path::new(&cache).exists(),
        "the cache file beside the store"
    );
}

/// Kafka in and out on librdkafka's in-process mock broker: every alert reaches the output
/// topic with its context, keyed by objectId; the stage stops on the shutdown flag after
/// committing, so a second consumer of the same group finds nothing left to read.
#[test]
fn kafka_in_and_out_with_offsets_committed() {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use lasair_stream::{open_sink, open_source, KafkaOptions, SourceKind};
    use rdkafka::mocking::MockCluster;

    let (Some(lines), Some(set)) = (ingest_lines(), catalogues::real(&["gcvs"])) else {
        return;
    };
    let lines = &lines[..60];
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("alerts", 2, 1).expect("topic");
    cluster.create_topic("context", 2, 1).expect("topic");
    let boot = cluster.bootstrap_servers();
    // One message per record batch (see lasair-ingest's kafka test for why).
    let one_per_batch = KafkaOptions {
        extra: vec![
            ("batch.num.messages".into(), "1".into()),
            ("enable.idempotence".into(), "false".into()),
        ],
        ..Default::default()
    };
    let mut sink = open_sink(&format!("kafka://{boot}/alerts"), &one_per_batch).expect("sink");
    for l in lines {
        sink.send(None, l).expect("send");
    }
    sink.flush().expect("delivered");

    let args = Args {
        stream: StreamArgs {
            inputs: vec![format!("kafka://{boot}/alerts")],
            group: Some("sherlock-test".into()),
            batch: Some(16),
            wait_ms: Some(100),
            threads: Some(2),
            quiet: true,
            ..StreamArgs::default()
        },
        output: Some(format!("kafka://{boot}/context")),
        ..Args::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let runner = {
        let (args, stop) = (args.clone(), stop.clone());
        let stage = stage(set, Cache::memory());
        std::thread::spawn(move || lasair_sherlock::run(&args, &stage, stop))
    };

    let reader = KafkaOptions {
        group: Some("reader".into()),
        ..Default::default()
    };
    let mut out = open_source(
        &[format!("kafka://{boot}/context")],
        SourceKind::Lines,
        &reader,
    )
    .expect("reader");
    let expected = expected_by_candid();
    let mut seen = HashMap::new();
    let start = Instant::now();
    while seen.len() < lines.len() && start.elapsed() < Duration::from_secs(60) {
        for m in out
            .next_batch(100, Duration::from_millis(200))
            .expect("poll")
        {
            let v: serde_json::Value = serde_json::from_slice(&m.payload).expect("JSON");
            let key = m
                .key
                .as_deref()
                .map(|k| String::from_utf8_lossy(k).into_owned());
            assert_eq!(key.as_deref(), v["objectId"].as_str(), "keyed by objectId");
            let candid = v["sourceId"].as_i64().expect("sourceId");
            let label = v["sherlock"]["classification"].as_str().map(String::from);
            seen.insert(candid, label);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let report = runner.join().expect("runner").expect("run");
    assert_eq!(seen.len(), lines.len(), "every alert arrived");
    for (candid, label) in &seen {
        assert_eq!(label.as_deref(), expected.get(candid).map(String::as_str));
    }
    assert_eq!(report.counts.bad(), 0);

    // The same group again: its offsets were committed, so nothing is re-delivered.
    let again = KafkaOptions {
        group: Some("sherlock-test".into()),
        ..Default::default()
    };
    let mut src = open_source(
        &[format!("kafka://{boot}/alerts")],
        SourceKind::Lines,
        &again,
    )
    .expect("source");
    let mut left = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        left += src
            .next_batch(100, Duration::from_millis(200))
            .expect("poll")
            .len();
    }
    assert_eq!(left, 0, "offsets were committed");
}

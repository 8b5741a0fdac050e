//! What operators see of a running lasair-ingest: its Prometheus metrics on --metrics-listen
//! (records, batches, each step's time, the consumer group's lag per partition), valid for
//! `promtool check metrics`; and an alarm posted to a Slack webhook (a local receiver here)
//! when a batch cannot be delivered.
//! Runs on librdkafka's in-process mock broker, and on the tansu broker when
//! LASAIR_TEST_KAFKA is set (scripts/test starts it).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use lasair_alert::Survey;
use lasair_stream::{open_sink, KafkaOptions};
use rdkafka::mocking::MockCluster;

/// Starts lasair-ingest with `args` and gives it with the address its metrics are served on
/// (read from its stderr, which is then passed on).
fn spawn_with_metrics(args: &[String]) -> (Child, String) {
    let mut child = ingest_bin()
        .args(args)
        .args(["--metrics-listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lasair-ingest");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("metrics on http://").nth(1) {
                let _ = tx.send(rest.trim_end_matches("/metrics").to_owned());
            }
            eprintln!("{line}");
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("lasair-ingest says where its metrics are");
    (child, addr)
}

fn scrape(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the metrics");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("ask");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_owned()
}

/// The value of the sample `name{labels}` (labels as written), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(status.expect("kill").success());
}

fn produce(boot: &str, topic: &str, alerts: usize) -> usize {
    let alerts = sim_without_cutouts(Survey::Ztf, alerts, 20, 5);
    let mut sink =
        open_sink(&format!("kafka://{boot}/{topic}"), &KafkaOptions::default()).expect("sink");
    for a in &alerts {
        sink.send(Some(a.object_id.as_bytes()), &a.payload)
            .expect("send");
    }
    sink.flush().expect("delivered");
    alerts.len()
}

/// A run over a Kafka topic: once it has read everything, its metrics count every alert,
/// each step, and a lag of 0 on each partition; promtool finds nothing wrong with them.
fn metrics_of_a_kafka_run(boot: &str, input: &str, output: &str, partitions: usize) {
    let alerts = produce(boot, input, 120);
    let tmp = tempfile::tempdir().expect("tmp");
    let args: Vec<String> = [
        "--survey",
        "ztf",
        &format!("kafka://{boot}/{input}"),
        "--group",
        &format!("metrics-test-{}", std::process::id()),
        "--output",
        &format!("kafka://{boot}/{output}"),
        "--lightcurves",
        &format!("sqlite:{}", tmp.path().join("lc.db").display()),
        "--batch",
        "25",
        "--wait-ms",
        "100",
        // librdkafka's statistics (the lag) every half second rather than every 15.
        "--kafka-option",
        "statistics.interval.ms=500",
    ]
    .map(String::from)
    .to_vec();
    let (mut child, addr) = spawn_with_metrics(&args);
    let done = "lasair_stage_records_done_total{stage=\"ingest\"}".to_owned();
    let lag_of = |p: usize| {
        format!(
            "lasair_kafka_consumer_lag{{client=\"lasair-ingest\",partition=\"{p}\",topic=\"{input}\"}}"
        )
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let text = loop {
        let text = scrape(&addr);
        let all_done = sample(&text, &done) == Some(alerts as f64);
        let caught_up = (0..partitions).all(|p| sample(&text, &lag_of(p)) == Some(0.0));
        if (all_done && caught_up) || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    sigterm(&child);
    let status = child.wait().expect("exit");
    assert!(status.success(), "SIGTERM drains and exits 0, got {status}");

    assert_eq!(sample(&text, &done), Some(alerts as f64), "{text}");
    assert_eq!(
        sample(&text, "lasair_stage_records_read_total{stage=\"ingest\"}"),
        Some(alerts as f64),
        "{text}"
    );
    for p in 0..partitions {
        assert_eq!(
            sample(&text, &lag_of(p)),
            Some(0.0),
            "partition {p}: {text}"
        );
    }
    let batches = sample(&text, "lasair_stage_batches_total{stage=\"ingest\"}").expect("batches");
    assert!(batches >= (alerts / 25) as f64, "{batches} batches: {text}");
    for step in ["decode", "cutouts", "lightcurves", "produce"] {
        let series = format!("lasair_stage_step_seconds_count{{stage=\"ingest\",step=\"{step}\"}}");
        assert_eq!(sample(&text, &series), Some(batches), "{series}: {text}");
    }
    assert!(
        sample(
            &text,
            "lasair_stage_last_batch_timestamp_seconds{stage=\"ingest\"}"
        )
        .is_some_and(|t| t > 1.7e9),
        "{text}"
    );
    assert!(text.contains("process_resident_memory_bytes"), "{text}");
    promtool_check(&text);
}

/// `promtool check metrics` on the text: it must find no problem (it exits non-zero and
/// names each one). Skipped, saying so, where promtool is not installed.
fn promtool_check(text: &str) {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: promtool not installed (scripts/test installs Debian's prometheus)");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_kafka_run_is_counted_on_the_mock_broker() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("in", 2, 1).expect("topic");
    cluster.create_topic("out", 2, 1).expect("topic");
    metrics_of_a_kafka_run(&cluster.bootstrap_servers(), "in", "out", 2);
}

#[test]
fn a_kafka_run_is_counted_on_tansu() {
    let Ok(boot) = std::env::var("LASAIR_TEST_KAFKA") else {
        eprintln!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    metrics_of_a_kafka_run(&boot, "lasair_metrics_in", "lasair_metrics_out", 2);
}

#[test]
fn an_undeliverable_batch_raises_an_alarm_naming_the_topic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("alerts");
    write_files(&input, &sim_without_cutouts(Survey::Ztf, 5, 3, 9));
    // Nothing listens on the output's port: delivery fails after a second.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = closed.local_addr().expect("addr");
    drop(closed);
    let (url, posts) = lasair_testdata::webhook::webhook();
    let out = ingest_bin()
        .args(["--survey", "ztf", input.to_str().expect("utf8")])
        .args(["--output", &format!("kafka://{dead}/nowhere")])
        .args(["--kafka-option", "message.timeout.ms=1000"])
        .env("LASAIR_SLACK_WEBHOOK", &url)
        .output()
        .expect("run lasair-ingest");
    assert_eq!(out.status.code(), Some(2), "a failed batch is a failed run");
    let post = posts
        .recv_timeout(Duration::from_secs(30))
        .expect("an alarm was posted");
    let text = post["text"].as_str().expect("text");
    assert!(text.starts_with("ERROR: "), "{text}");
    assert!(
        text.contains(": lasair-ingest: a batch failed: ") && text.contains("nowhere"),
        "{text}"
    );
}

//! Alarms posted to a Slack incoming webhook: here a local HTTP receiver that keeps what it
//! is sent, as Slack's would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// A receiver that answers `200 ok` to every POST and hands on each body.
fn receiver() -> (String, mpsc::Receiver<serde_json::Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/services/T0/B0/x",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).expect("head") > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
                line.clear();
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let _ = tx.send(serde_json::from_slice(&body).expect("a JSON body"));
            let mut out = &stream;
            let _ = out
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, rx)
}

#[test]
fn alarms_reach_the_webhook_and_repeats_are_suppressed() {
    let (url, posts) = receiver();
    lasair_metrics::alarm::raise("before any webhook: only counted");
    lasair_metrics::alarm::configure(&url, "lasair-test").expect("configure");
    assert!(lasair_metrics::alarm::configured());
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("disk full: /var/lib/lasair");
    let first = posts.recv().expect("a post");
    let text = first["text"].as_str().expect("text");
    assert!(text.starts_with("ERROR: "), "{text}");
    assert!(
        text.ends_with(": lasair-test: cannot reach the main database"),
        "{text}"
    );
    let second = posts.recv().expect("a second post");
    let text = second["text"].as_str().expect("text");
    assert!(
        text.contains("lasair-test: disk full: /var/lib/lasair (the message before was repeated 2 more times)"),
        "{text}"
    );
    assert!(posts.try_recv().is_err(), "the repeats were posted");
    let metrics = lasair_metrics::render();
    for (outcome, n) in [("unconfigured", 1), ("posted", 2), ("suppressed", 2)] {
        let line = format!("lasair_alarms_total{{outcome=\"{outcome}\"}} {n}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

//! LSST wire-format alerts whose writer schemas come from a schema registry: a real HTTP
//! server on loopback answering `GET /schemas/ids/{id}` as Confluent's registry does.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use lasair_alert::Survey;

/// Serves schema id 1000 (and 404 for any other id) until the test ends; counts requests.
fn registry(schema: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let body = serde_json::json!({ "schema": schema }).to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            reader.read_line(&mut request).expect("request line");
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let (status, body) = if request.starts_with("GET /schemas/ids/1000 ") {
                ("200 OK", body.as_str())
            } else {
                (
                    "404 Not Found",
                    r#"{"error_code":40403,"message":"Schema not found"}"#,
                )
            };
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, hits)
}

#[test]
fn wire_alerts_resolve_their_schema_from_the_registry_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = sim(Survey::Lsst, 40, 8, 5);
    for a in &alerts {
        std::fs::write(tmp.path().join(format!("{}.bin", a.source_id)), &a.payload).expect("write");
    }
    // One alert claims a schema id the registry does not know.
    let mut stranger = alerts[0].payload.clone();
    lasair_simulator::set_schema_id(&mut stranger, 1001);
    std::fs::write(tmp.path().join("stranger.bin"), stranger).expect("write");

    let (url, hits) = registry(lasair_simulator::lsst_schema_json());
    let pattern = format!("{}/*.bin", tmp.path().display());
    let out = run(&[
        "--survey",
        "lsst",
        "--schema-registry",
        &url,
        "--threads",
        "1",
        &pattern,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stranger.bin") && stderr.contains("schema id 1001"),
        "{stderr}"
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), alerts.len());
    assert!(lines.iter().all(|l| l["survey"] == "lsst"));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "one request per schema id, then the cache"
    );
}

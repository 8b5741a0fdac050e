//! lasair-serve stops cleanly on SIGTERM (systemd's stop) with its lightcurves and cutouts on
//! CQL, whose stores each own a runtime of their own: the server answers, is told to stop,
//! and exits 0 without a panic. Needs `LASAIR_TEST_CQL` (HOST:PORT), which scripts/test sets
//! after starting `lasair-cql-server`; skips without it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

#[test]
fn stops_cleanly_on_sigterm_with_its_stores_on_cql() {
    let Ok(server) = std::env::var("LASAIR_TEST_CQL") else {
        eprintln!("skipped: LASAIR_TEST_CQL not set (scripts/test starts lasair-cql-server)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("lasair.db").display());
    lasair_service::open(&db, Some(lasair_alert::Survey::Ztf), false).expect("main database");
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let keyspace = |what: &str| {
        format!(
            "cql://{server}/lasair_{what}_{}_{stamp}",
            std::process::id()
        )
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_lasair-serve"))
        .args(["--survey", "ztf", "--db", &db, "--listen", "127.0.0.1:0"])
        .args([
            "--lightcurves",
            &keyspace("lc"),
            "--cutouts",
            &keyspace("cutouts"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lasair-serve starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    // "lasair-serve: serving the ztf API of ... on http://127.0.0.1:PORT/api/"
    let mut seen = String::new();
    let address = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            panic!("lasair-serve stopped before serving: {seen}");
        }
        seen.push_str(&line);
        if let Some(at) = line.split("http://").nth(1) {
            break at.split('/').next().expect("an address").to_owned();
        }
    };
    // It answers (an object it does not hold: the lightcurve store is asked).
    let mut http = TcpStream::connect(&address).expect("connects");
    write!(
        http,
        "GET /objects/ZTF20aaaaaaa/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    http.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("exits");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    seen.push_str(&rest);
    assert!(!seen.contains("panicked"), "{seen}");
    assert!(exit.success(), "{exit}: {seen}");
    assert!(seen.contains("stopping"), "{seen}");
}

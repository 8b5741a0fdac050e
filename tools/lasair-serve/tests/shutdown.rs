//! lasair-serve stops cleanly on SIGTERM (systemd's stop) with its lightcurves and cutouts on
//! CQL, whose stores each own a runtime of their own: the server answers, is told to stop,
//! and exits 0 without a panic. Needs `LASAIR_TEST_CQL` (HOST:PORT), which scripts/test sets
//! after starting `lasair-cql-server`; skips without it.

use std::io::Read;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

mod common;
use common::Served;

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
    let (lc, cutouts) = (keyspace("lc"), keyspace("cutouts"));
    let mut served = Served::start(&[
        "--survey",
        "ztf",
        "--db",
        &db,
        "--lightcurves",
        &lc,
        "--cutouts",
        &cutouts,
    ]);
    // It answers (an object it does not hold: the lightcurve store is asked).
    let (status, answer) = served.get("/objects/ZTF20aaaaaaa/", &[]);
    assert!((200..500).contains(&status), "{answer}");
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = served.child.wait().expect("exits");
    let mut rest = String::new();
    served.stderr.read_to_string(&mut rest).expect("stderr");
    let said = format!("{}{rest}", served.said);
    assert!(!said.contains("panicked"), "{said}");
    assert!(exit.success(), "{exit}: {said}");
    assert!(said.contains("stopping"), "{said}");
}

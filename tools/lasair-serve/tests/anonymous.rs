//! Anonymous visitors' queries on the web pages are counted per address, at the demo
//! account's calls per hour: the peer's address, or behind a trusted reverse proxy the one its
//! `X-Forwarded-For` gives; the header of any other peer is not believed. The real binary,
//! on a real socket.

mod common;
use common::Served;

const QUERY: &str = "/query/?select=objects.objectId&tables=objects&conditions=";

fn database(dir: &std::path::Path) -> String {
    let db = format!("sqlite:{}", dir.join("lasair.db").display());
    lasair_service::open(&db, Some(lasair_alert::Survey::Ztf), false).expect("main database");
    db
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_allowance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(dir.path());
    let served = Served::start(&[
        "--survey",
        "ztf",
        "--db",
        &db,
        "--calls-demo",
        "2",
        "--trusted-proxy",
        "127.0.0.1",
    ]);
    // The client wrote the first address; the proxy appended the one it saw.
    let from = |a: &str| format!("X-Forwarded-For: 198.51.100.9, {a}");
    for _ in 0..2 {
        assert_eq!(served.get(QUERY, &[&from("203.0.113.5")]).0, 200);
    }
    let (status, page) = served.get(QUERY, &[&from("203.0.113.5")]);
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("2 queries an hour"), "{page}");
    // Another visitor, and the page without a query, are not held back.
    assert_eq!(served.get(QUERY, &[&from("203.0.113.6")]).0, 200);
    assert_eq!(served.get("/query/", &[&from("203.0.113.5")]).0, 200);
    // Whoever writes the header themselves is still counted by the proxy's entry.
    assert_eq!(
        served
            .get(QUERY, &["X-Forwarded-For: 203.0.113.7, 203.0.113.5"])
            .0,
        429
    );
}

#[test]
fn an_untrusted_peer_is_counted_by_its_own_address_whatever_it_forwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(dir.path());
    let served = Served::start(&["--survey", "ztf", "--db", &db, "--calls-demo", "2"]);
    for a in ["203.0.113.1", "203.0.113.2"] {
        let header = format!("X-Forwarded-For: {a}");
        assert_eq!(served.get(QUERY, &[&header]).0, 200);
    }
    let (status, page) = served.get(QUERY, &["X-Forwarded-For: 203.0.113.3"]);
    assert_eq!(status, 429, "{page}");
}

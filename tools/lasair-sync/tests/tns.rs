//! `lasair-sync tns` against a local HTTP server standing in for TNS (serving zips made from the
//! real rows in ../shared/data/tns): the request TNS requires, names kept and updated, the 3"
//! match, bad zips and bad rows refused with nothing written; on SQLite and, when scripts/test
//! provides it (LASAIR_TEST_MYSQL), MariaDB.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lasair_db::{Db, Select, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Limits, UserQuery};

const KEY: &str = "not-a-real-key-5f1c";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    user_agent: String,
    body: String,
}

/// The files the stand-in serves, by name.
type Files = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A TNS stand-in: serves `files` (name -> bytes) to any request, records each request.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    files: Files,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/system/files/tns_public_objects",
            listener.local_addr().expect("addr")
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let files: Files = Arc::new(Mutex::new(Vec::new()));
        let (s, f) = (seen.clone(), files.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                reader.read_line(&mut line).expect("request line");
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_owned();
                let path = parts.next().unwrap_or_default().to_owned();
                let (mut length, mut user_agent) = (0usize, String::new());
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).expect("header");
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap_or((h, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "user-agent" => user_agent = value.trim().to_owned(),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).expect("body");
                s.lock().expect("seen").push(Seen {
                    method,
                    path: path.clone(),
                    user_agent,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let name = path.rsplit('/').next().unwrap_or_default().to_owned();
                let file = f
                    .lock()
                    .expect("files")
                    .iter()
                    .find(|(n, _)| *n == name)
                    .cloned();
                let reply = match file {
                    Some((_, bytes)) => {
                        let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", bytes.len());
                        [head.into_bytes(), bytes].concat()
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&reply);
            }
        });
        Server { url, seen, files }
    }

    fn serve(&self, name: &str, bytes: Vec<u8>) {
        self.files
            .lock()
            .expect("files")
            .push((name.to_owned(), bytes));
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

fn zip_of(member: &str, csv: &str) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(member, options).expect("member");
    zip.write_all(csv.as_bytes()).expect("write");
    zip.finish().expect("finish");
    out.into_inner()
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn sync(db: &str, server: &Server, key_file: &Path, period: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args([
            "tns",
            "--survey",
            "ztf",
            "--db",
            db,
            "--base-url",
            &server.url,
        ])
        .args([
            "--bot-id",
            "91941",
            "--bot-name",
            "Lasair_test_bot",
            "--api-key-file",
        ])
        .arg(key_file)
        .args(period)
        .output()
        .expect("run lasair-sync");
    let run = Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
        "the key was shown"
    );
    run
}

fn report(run: &Run) -> serde_json::Value {
    assert!(run.ok, "lasair-sync failed: {}", run.stderr);
    serde_json::from_str(run.stdout.trim()).expect("one JSON line")
}

fn counts(r: &serde_json::Value) -> [u64; 4] {
    ["new", "changed", "unchanged", "matched"].map(|k| r[k].as_u64().expect(k))
}

fn tns_names(db: &mut Db) -> Vec<(String, String)> {
    let select = Select::from("tns")
        .columns(&["tns_name", "tns_prefix"])
        .order_by("tns_name");
    db.select(&select)
        .expect("tns")
        .rows
        .into_iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect()
}

/// What a user's filter on crossmatch_tns gives: (objectId, tns_name, tns_prefix, type).
fn users_filter(db: &mut Db, conditions: &str) -> Vec<Vec<Value>> {
    let q = UserQuery {
        select: "objects.objectId, crossmatch_tns.tns_name, crossmatch_tns.tns_prefix, crossmatch_tns.type".into(),
        tables: "objects, crossmatch_tns".into(),
        conditions: conditions.into(),
        ..UserQuery::default()
    };
    let sql = compile(&q, &ZTF, db.dialect(), &Limits::default())
        .expect("compiles")
        .sql;
    let mut rows = db
        .query_readonly(&sql, Duration::from_secs(10))
        .expect("runs")
        .rows;
    rows.sort_by_key(|r| r[0].to_string());
    rows
}

fn sample() -> Option<String> {
    let path = lasair_testdata::shared_data("tns/tns_public_objects_sample.csv")?;
    Some(std::fs::read_to_string(path).expect("sample"))
}

fn scenario(db_url: &str, dir: &Path) {
    let Some(sample) = sample() else { return };
    let mut db = Db::open(db_url).expect("db");
    // Objects near the sample's names: 2" and 5" from 2026cqa, 1" from 2022and.
    let arcsec = 1.0 / 3600.0;
    let objects = [
        ("ZTF26near", 38.8742717, 23.9654567 + 2.0 * arcsec),
        ("ZTF26far", 38.8742717, 23.9654567 + 5.0 * arcsec),
        (
            "ZTF22and",
            150.02755416 + arcsec / 3.75714275086_f64.to_radians().cos(),
            3.75714275086,
        ),
    ];
    let rows: Vec<Vec<Value>> = objects
        .iter()
        .map(|(id, ra, dec)| {
            vec![
                (*id).into(),
                (*ra).into(),
                (*dec).into(),
                2_461_015.5.into(),
            ]
        })
        .collect();
    db.upsert(
        "objects",
        &["objectId", "ramean", "decmean", "jdmax"],
        &rows,
    )
    .expect("objects");
    let key_file = dir.join("tns.key");
    std::fs::write(&key_file, format!("{KEY}\n")).expect("key");
    let server = Server::start();
    server.serve(
        "tns_public_objects_20260209.csv.zip",
        zip_of("tns_public_objects_20260209.csv", &sample),
    );

    // A day's file: the request TNS requires, three names, two objects tagged.
    let first = report(&sync(db_url, &server, &key_file, &["--daily", "20260209"]));
    assert_eq!(counts(&first), [3, 0, 0, 2], "{first}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        "/system/files/tns_public_objects/tns_public_objects_20260209.csv.zip"
    );
    assert_eq!(
        seen[0].user_agent,
        r#"tns_marker{"tns_id":91941,"type": "bot", "name":"Lasair_test_bot"}"#
    );
    assert_eq!(seen[0].body, format!("api_key={KEY}"));
    assert_eq!(
        tns_names(&mut db),
        [
            ("2018lzf".into(), "SN".into()),
            ("2022and".into(), "SN".into()),
            ("2026cqa".into(), "AT".into())
        ]
    );
    let tagged = users_filter(&mut db, "");
    assert_eq!(
        tagged,
        [
            vec![
                "ZTF22and".into(),
                "2022and".into(),
                "SN".into(),
                "SN II".into()
            ],
            vec![
                "ZTF26near".into(),
                "2026cqa".into(),
                "AT".into(),
                Value::Null
            ],
        ]
    );
    let hits = db
        .select(
            &Select::from("watchlist_hits")
                .columns(&["objectId", "name", "arcsec"])
                .order_by("objectId"),
        )
        .expect("hits")
        .rows;
    assert_eq!(hits.len(), 2);
    let near = hits[1][2].as_f64().expect("arcsec");
    assert!((near - 2.0).abs() < 0.01, "{near}");

    // The same file again changes nothing.
    let again = report(&sync(db_url, &server, &key_file, &["--daily", "20260209"]));
    assert_eq!(counts(&again), [0, 0, 3, 0], "{again}");

    // The next day 2026cqa is classified: AT becomes SN, and its row follows.
    let classified = sample
        .replace("\"AT\",\"2026cqa\"", "\"SN\",\"2026cqa\"")
        .replace(
            "\"23.9654567\",\"\",\"\",\"\"",
            "\"23.9654567\",\"0.05\",\"3.0\",\"SN Ia\"",
        );
    assert_ne!(classified, sample, "the edit took");
    server.serve(
        "tns_public_objects_20260210.csv.zip",
        zip_of("tns_public_objects_20260210.csv", &classified),
    );
    let next = report(&sync(db_url, &server, &key_file, &["--daily", "20260210"]));
    assert_eq!(counts(&next), [0, 1, 2, 1], "{next}");
    assert_eq!(
        users_filter(
            &mut db,
            "crossmatch_tns.tns_prefix = 'SN' AND crossmatch_tns.type = 'SN Ia'"
        ),
        [vec![
            "ZTF26near".into(),
            "2026cqa".into(),
            "SN".into(),
            "SN Ia".into()
        ]]
    );

    // A file that is not a zip, and a zip with a bad row: refused, named, nothing written.
    server.serve(
        "tns_public_objects_20260211.csv.zip",
        b"<html>maintenance</html>".to_vec(),
    );
    let bad_zip = sync(db_url, &server, &key_file, &["--daily", "20260211"]);
    assert!(
        !bad_zip.ok && bad_zip.stderr.contains("not a zip file"),
        "{}",
        bad_zip.stderr
    );
    assert!(
        bad_zip
            .stderr
            .contains("tns_public_objects_20260211.csv.zip"),
        "{}",
        bad_zip.stderr
    );
    let bad_row = format!(
        "{classified}\"1\",\"AT\",\"2026zzz\",\"38.1\",\"95.0\"{}\n",
        ",\"\"".repeat(18)
    );
    let good_then_bad = bad_row.replace("\"2026cqa\"", "\"2026new\"");
    server.serve(
        "tns_public_objects_20260212.csv.zip",
        zip_of("tns_public_objects_20260212.csv", &good_then_bad),
    );
    let bad = sync(db_url, &server, &key_file, &["--daily", "20260212"]);
    assert!(!bad.ok, "a declination of 95 was taken");
    assert!(
        bad.stderr.contains("line 6") && bad.stderr.contains("declination"),
        "{}",
        bad.stderr
    );
    let names: Vec<String> = tns_names(&mut db).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["2018lzf", "2022and", "2026cqa"],
        "a half-written file"
    );

    // A file TNS does not have: its answer is named.
    let missing = sync(db_url, &server, &key_file, &["--daily", "20260301"]);
    assert!(
        !missing.ok && missing.stderr.contains("404"),
        "{}",
        missing.stderr
    );
}

#[test]
fn tns_names_are_kept_and_matched_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    scenario(&url, tmp.path());
}

#[test]
fn tns_names_are_kept_and_matched_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    let mut db = Db::open(&url).expect("db");
    for t in [
        "tns",
        "crossmatch_tns",
        "watchlist_hits",
        "watchlist_cones",
        "watchlists",
        "objects",
    ] {
        db.clear(t).expect("clear");
    }
    drop(db);
    let tmp = tempfile::tempdir().expect("tmp");
    scenario(&url, tmp.path());
}

#[test]
fn without_a_bot_or_key_nothing_is_asked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args([
            "tns",
            "--survey",
            "ztf",
            "--db",
            &url,
            "--base-url",
            "http://127.0.0.1:9/",
        ])
        .env_remove("LASAIR_TNS_API_KEY")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bot-id"));
}

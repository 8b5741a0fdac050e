//! `lasair-sync expire` through a real SMTP server (aiosmtpd, started by scripts/test, writing
//! a maildir): each notice reaches its owner exactly once however often the job runs; and
//! `lasair-sync copies` / `stats` as cron runs them.

use std::path::Path;
use std::process::Command;

use lasair_db::{Db, Value};

fn sync(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args(args)
        .output()
        .expect("run lasair-sync");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mails_to(maildir: &Path, to: &str) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter(|m| m.contains(&format!("To: {to}")))
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

/// A user with address `email`, and a filter, a watchlist and a watchmap of theirs last saved
/// `ages` days ago (each active).
fn resources(db: &mut Db, email: &str, ages: [f64; 3]) {
    db.upsert(
        "users",
        &["id", "username", "email"],
        &[vec![42.into(), "grace".into(), email.into()]],
    )
    .expect("user");
    let now = lasair_alert::time::mjd_now();
    let saved = |days: f64| Value::from(lasair_alert::time::utc_string(now - days));
    db.upsert(
        "filters",
        &[
            "mq_id",
            "user_id",
            "name",
            "selected",
            "tables",
            "conditions",
            "active",
            "date_created",
            "date_modified",
        ],
        &[vec![
            7.into(),
            42.into(),
            "bright things".into(),
            "objects.objectId".into(),
            "objects".into(),
            "objects.gmag < 15".into(),
            1.into(),
            saved(400.0),
            saved(ages[0]),
        ]],
    )
    .expect("filter");
    db.upsert(
        "watchlists",
        &[
            "wl_id",
            "user_id",
            "name",
            "radius",
            "active",
            "date_created",
            "date_modified",
        ],
        &[vec![
            8.into(),
            42.into(),
            "my AGN".into(),
            2.0.into(),
            1.into(),
            saved(ages[1]),
            Value::Null,
        ]],
    )
    .expect("watchlist");
    db.upsert(
        "watchmaps",
        &[
            "ar_id",
            "user_id",
            "name",
            "moc",
            "active",
            "date_created",
            "date_modified",
        ],
        &[vec![
            9.into(),
            42.into(),
            "a field".into(),
            "".into(),
            1.into(),
            saved(400.0),
            saved(ages[2]),
        ]],
    )
    .expect("watchmap");
}

#[test]
fn expiry_notices_reach_owners_exactly_once() {
    let (Ok(smtp), Ok(maildir)) = (
        std::env::var("LASAIR_TEST_SMTP"),
        std::env::var("LASAIR_TEST_MAILDIR"),
    ) else {
        eprintln!("skipped: LASAIR_TEST_SMTP not set (scripts/test starts aiosmtpd)");
        return;
    };
    let maildir = Path::new(&maildir);
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let to = format!("grace-expiry-{}@example.org", std::process::id());
    let mut db = Db::open(&url).expect("db");
    // The filter expired 10 days ago, the watchlist expires in 10 days, the watchmap is fresh.
    resources(&mut db, &to, [190.0, 170.0, 30.0]);
    drop(db);
    let args = [
        "expire",
        "--db",
        url.as_str(),
        "--smtp",
        smtp.as_str(),
        "--lasair-url",
        "https://lasair.test",
    ];
    for run in 0..3 {
        let (ok, out, err) = sync(&args);
        assert!(ok, "run {run}: {err}");
        let report: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        let expected = if run == 0 { (1, 1, 2) } else { (0, 0, 0) };
        let got = (
            report["expired"].as_u64(),
            report["warned"].as_u64(),
            report["mailed"].as_u64(),
        );
        assert_eq!(
            got,
            (Some(expected.0), Some(expected.1), Some(expected.2)),
            "run {run}: {out}"
        );
    }
    let mails = mails_to(maildir, &to);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let expired = mails
        .iter()
        .find(|m| m.contains("has expired"))
        .expect("the expiry");
    assert!(
        expired.contains("bright things") && expired.contains("https://lasair.test/filters/7/"),
        "{expired}"
    );
    let warned = mails
        .iter()
        .find(|m| m.contains("expires on"))
        .expect("the warning");
    assert!(
        warned.contains("my AGN") && warned.contains("https://lasair.test/watchlists/8/"),
        "{warned}"
    );

    let mut db = Db::open(&url).expect("db");
    let active = |db: &mut Db, table: &str, key: &str, id: i64| {
        let select = lasair_db::Select::from(table)
            .columns(&["active"])
            .eq(key, id);
        db.select(&select).expect("read").rows[0][0].clone()
    };
    assert_eq!(
        active(&mut db, "filters", "mq_id", 7),
        Value::Int(0),
        "the expired filter runs on"
    );
    assert_eq!(active(&mut db, "watchlists", "wl_id", 8), Value::Int(1));
    assert_eq!(active(&mut db, "watchmaps", "ar_id", 9), Value::Int(1));
}

#[test]
fn a_dry_run_lists_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut db = Db::open(&url).expect("db");
    resources(&mut db, "nobody@example.org", [190.0, 170.0, 30.0]);
    drop(db);
    for _ in 0..2 {
        let (ok, out, err) = sync(&["expire", "--db", &url, "--dry-run"]);
        assert!(ok, "{err}");
        let report: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        let due: Vec<(&str, &str)> = report["due"]
            .as_array()
            .expect("due")
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap_or(""),
                    n["said"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            due,
            [("filter", "expired"), ("watchlist", "warning")],
            "{out}"
        );
    }
}

#[test]
fn copies_and_stats_run_as_cron_runs_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut db = Db::open(&url).expect("db");
    db.upsert(
        "annotations",
        &["objectId", "topic", "classification"],
        &[vec!["ZTF1".into(), "fink".into(), "SN candidate".into()]],
    )
    .expect("annotation");
    let yesterday = lasair_alert::time::mjd_now() - 1.0;
    db.upsert(
        "objects",
        &["objectId", "jdmax"],
        &[vec!["ZTF1".into(), (yesterday + 2_400_000.5).into()]],
    )
    .expect("object");
    drop(db);
    let copies = tmp.path().join("node").join("copies.db");
    std::fs::create_dir_all(copies.parent().expect("dir")).expect("mkdir");
    let to = copies.display().to_string();
    let (ok, out, err) = sync(&["copies", "--db", &url, "--to", &to]);
    assert!(ok, "{err}");
    assert!(out.contains(r#""annotations":1"#), "{out}");
    let mut batch = Db::open_batch(&lasair_sql::catalog::ZTF, Some(&copies)).expect("attach");
    let rows = batch
        .query_readonly(
            "SELECT topic FROM annotations",
            std::time::Duration::from_secs(5),
        )
        .expect("read");
    assert_eq!(rows.rows, [vec![Value::from("fink")]]);
    let (ok, out, err) = sync(&[
        "copies",
        "--db",
        &url,
        "--to",
        "/proc/no/such/dir/copies.db",
    ]);
    assert!(
        !ok && err.contains("/proc/no/such/dir/copies.db"),
        "{out}{err}"
    );

    let (ok, out, err) = sync(&["stats", "--db", &url]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(report["figures"]["objects_updated"], 1.0, "{out}");
    assert_eq!(report["figures"]["annotations"], 1.0, "{out}");
}

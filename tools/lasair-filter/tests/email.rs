//! Email digests through a real SMTP server (aiosmtpd, started by scripts/test, delivering
//! into a maildir): a filter's results are mailed at most once a day, and a filter that fails
//! mails its owner the error once.

use lasair_alert::Survey;
use lasair_stream::StreamArgs;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_db::Db;
use lasair_filter::{run, Args};

#[allow(dead_code)]
mod common;
use common::{alerts, lines};

fn mails(maildir: &Path) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

fn for_us(all: &[String], before: &[String]) -> Vec<String> {
    all.iter()
        .filter(|m| !before.contains(m) && m.contains("To: ada-email-test@example.org"))
        .cloned()
        .collect()
}

#[test]
fn digests_reach_the_owner_once_a_day_and_errors_once() {
    let (Ok(smtp), Ok(maildir)) = (
        std::env::var("LASAIR_TEST_SMTP"),
        std::env::var("LASAIR_TEST_MAILDIR"),
    ) else {
        eprintln!("skipped: LASAIR_TEST_SMTP not set (scripts/test starts aiosmtpd)");
        return;
    };
    let Some(alerts) = alerts(&["ztf/alerts/ZTF21abiuvdk"]) else {
        return;
    };
    let maildir = Path::new(&maildir);
    let before = mails(maildir);
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut db = Db::open(&url).expect("db");
    common::user(&mut db, 7, "ada", Some("ada-email-test@example.org"));
    let f = |id: i64, name: &str, cond: &str| {
        vec![
            id.into(),
            7.into(),
            name.into(),
            "objects.objectId, objects.gmag".into(),
            "objects".into(),
            cond.into(),
            1.into(),
        ]
    };
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[
            f(1, "my object", "objects.objectId = 'ZTF21abiuvdk'"),
            f(2, "broken", "objects.gmag < (SELECT 1)"),
        ],
    )
    .expect("filters");
    drop(db);
    let input = tmp.path().join("alerts.jsonl");
    std::fs::write(&input, lines(&alerts, &BTreeSet::new())).expect("input");
    let args = Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(url),
        smtp: Some(smtp),
        mail_from: Some("lasair@example.org".into()),
        lasair_url: Some("https://lasair.example.org".into()),
        digests: Some(tmp.path().join("digests")),
        ..Args::default()
    };
    run(args.clone(), Arc::new(AtomicBool::new(false))).expect("runs");
    let first = for_us(&mails(maildir), &before);
    assert_eq!(first.len(), 2, "one digest and one error: {first:#?}");
    let digest = first
        .iter()
        .find(|m| m.contains("Subject: Lasair query lasair_7myobject"))
        .expect("digest mail");
    assert!(digest.contains("ZTF21abiuvdk"), "{digest}");
    assert!(
        digest.contains("https://lasair.example.org/objects/ZTF21abiuvdk/"),
        "{digest}"
    );
    let error = first
        .iter()
        .find(|m| m.contains("Subject: Lasair filter lasair_7broken failed"))
        .expect("error mail");
    assert!(
        error.contains("subquer") || error.contains("SELECT"),
        "{error}"
    );

    // The same day again: results gather in the digest, no new mail; the error is not re-sent.
    run(args, Arc::new(AtomicBool::new(false))).expect("runs again");
    let second = for_us(&mails(maildir), &before);
    assert_eq!(second.len(), 2, "{second:#?}");
    let state = std::fs::read_to_string(tmp.path().join("digests/lasair_7myobject.json"))
        .expect("digest file");
    let state: serde_json::Value = serde_json::from_str(&state).expect("json");
    assert_eq!(
        state["digest"].as_array().map(Vec::len),
        Some(2),
        "one result per run"
    );
}

//! Every cutout backend held to one expectation, on real alerts (ZTF21abiuvdk's 34 ZTF alerts
//! and the Rubin alerts of ../shared/data): each cutout reads back byte for byte by (survey,
//! objectId, sourceId, kind), a wrong objectId or an absent kind finds nothing, and a replay
//! (in other batches, some alerts twice in one) stores nothing new.
//!
//! The folder tree and SQLite runs always happen (given `../shared/data`); the CQL run needs
//! `LASAIR_TEST_CQL` (HOST:PORT), which scripts/test sets after starting `lasair-cql-server`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use lasair_alert::{Alert, CutoutKind, Decoder, Survey};
use lasair_store::{open_cutouts, render_png, CutoutKey, CutoutStore, Cutouts};

/// The key of one cutout.
fn key(survey: Survey, object_id: &str, source_id: i64, kind: CutoutKind) -> CutoutKey<'_> {
    CutoutKey {
        survey,
        object_id,
        source_id,
        kind,
    }
}

/// Real alerts with cutouts, both surveys; `None` (after saying so) when the data is absent.
fn alerts() -> Option<Vec<Alert>> {
    let data = lasair_testdata::shared_data("")?;
    let mut alerts = Vec::new();
    let ztf = Decoder::new(Survey::Ztf, None);
    let dir = data.join("ztf/alerts/ZTF21abiuvdk");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("listing the alerts").path())
        .collect();
    files.sort();
    for path in files {
        read(&ztf, &path, &mut alerts);
    }
    let lsst = Decoder::new(Survey::Lsst, None);
    read(
        &lsst,
        &data.join("lsst/alerts/rubin_v10_0/alerts.avro"),
        &mut alerts,
    );
    let with = alerts.iter().filter(|a| !a.cutouts.is_empty()).count();
    assert!(with > 40, "{with} real alerts with cutouts");
    assert!(alerts
        .iter()
        .any(|a| a.survey == Survey::Lsst && !a.cutouts.is_empty()));
    Some(alerts)
}

fn read(decoder: &Decoder, path: &Path, alerts: &mut Vec<Alert>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for alert in decoder.decode(&bytes) {
        alerts.push(alert.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
}

/// The expectation, from the alerts alone: every (survey, objectId, sourceId, kind) and its bytes.
type Expected = BTreeMap<(&'static str, String, i64, &'static str), (Survey, Vec<u8>)>;

fn expected(alerts: &[Alert]) -> Expected {
    let mut expected = Expected::new();
    for a in alerts {
        for c in &a.cutouts {
            let key = (
                a.survey.as_str(),
                a.object_id.0.clone(),
                a.source_id,
                c.kind.as_str(),
            );
            expected.insert(key, (a.survey, c.data.to_vec()));
        }
    }
    expected
}

/// The cutouts of an object stored: each source with each kind.
type Stored = Vec<(i64, CutoutKind)>;

/// Writes the alerts in batches of `sizes` (cycled), each batch made durable.
fn write(store: &dyn Cutouts, alerts: &[Alert], sizes: &[usize]) {
    let mut rest = alerts;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        let placed = store.write_batch(batch).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(placed.len(), batch.len());
        for (alert, kinds) in batch.iter().zip(&placed) {
            assert_eq!(kinds.len(), alert.cutouts.len(), "{}", alert.source_id);
            // What the ingest's JSON line says before the write is where it went.
            assert_eq!(kinds, &store.places(alert), "{}", alert.source_id);
        }
        store.sync().unwrap_or_else(|e| panic!("{e}"));
        rest = tail;
    }
}

fn kind(name: &str) -> CutoutKind {
    CutoutKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .expect("a kind")
}

/// Holds `store` (empty) to the expectation; returns the alerts written.
fn holds(store: &dyn Cutouts, alerts: &[Alert]) {
    let expected = expected(alerts);
    // Some alerts twice within a batch, as at-least-once delivery brings them.
    let mut first: Vec<Alert> = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        first.push(a.clone());
        if i % 7 == 3 {
            first.push(a.clone());
        }
    }
    write(store, &first, &[5, 1, 16]);
    let count = store.count().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count, expected.len() as u64, "{}", store.describe());
    for ((_, object, source, name), (survey, bytes)) in &expected {
        let k = kind(name);
        let got = store.read(key(*survey, object, *source, k)).expect("read");
        assert!(got.as_ref() == Some(bytes), "{object} {source} {name}");
        assert!(store.has(key(*survey, object, *source, k)).expect("has"));
        let elsewhere = format!("{object}x");
        assert_eq!(
            store
                .read(key(*survey, &elsewhere, *source, k))
                .expect("read"),
            None
        );
        assert!(!store
            .has(key(*survey, &elsewhere, *source, k))
            .expect("has"));
        assert_eq!(
            store
                .read(key(*survey, object, source + 1, k))
                .expect("read"),
            None
        );
    }
    // Each object's sources asked at once: exactly the kinds stored, none of another
    // object's, none of a source never seen.
    let mut by_object: BTreeMap<(&str, &str), (Survey, Stored)> = BTreeMap::new();
    for ((survey_name, object, source, name), (survey, _)) in &expected {
        by_object
            .entry((survey_name, object.as_str()))
            .or_insert_with(|| (*survey, Vec::new()))
            .1
            .push((*source, kind(name)));
    }
    for ((_, object), (survey, mut want)) in by_object {
        let mut sources: Vec<i64> = want.iter().map(|(s, _)| *s).collect();
        sources.dedup();
        sources.push(-1);
        let mut got = store.stored(survey, object, &sources).expect("stored");
        got.sort_by_key(|(s, k)| (*s, k.as_str()));
        want.sort_by_key(|(s, k)| (*s, k.as_str()));
        assert_eq!(got, want, "{object}");
        let elsewhere = format!("{object}x");
        assert!(store
            .stored(survey, &elsewhere, &sources)
            .expect("stored")
            .is_empty());
    }
    // The PNG of a stored cutout is the PNG of its bytes.
    let ((_, object, source, name), (survey, bytes)) = expected.iter().next().expect("a cutout");
    let png = store
        .png(key(*survey, object, *source, kind(name)))
        .expect("png");
    assert_eq!(png, Some(render_png(bytes, "expected").expect("render")));
    assert_eq!(
        store
            .png(key(*survey, object, source + 1, kind(name)))
            .expect("png"),
        None
    );

    // A replay in other batches, reversed, stores nothing new and changes nothing.
    let mut replay = alerts.to_vec();
    replay.reverse();
    write(store, &replay, &[64]);
    assert_eq!(store.count().expect("count"), count, "{}", store.describe());
    for ((_, object, source, name), (survey, bytes)) in &expected {
        let got = store
            .read(key(*survey, object, *source, kind(name)))
            .expect("read");
        assert!(
            got.as_ref() == Some(bytes),
            "{object} {source} {name} after the replay"
        );
    }
}

#[test]
fn the_folder_tree_round_trips_real_cutouts() {
    let Some(alerts) = alerts() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("tree");
    let store = open_cutouts(root.to_str().expect("utf8")).expect("tree");
    holds(store.as_ref(), &alerts);
    // The layout is the tree's: a replay rewrites no file.
    let tree = CutoutStore::new(&root);
    let a = alerts
        .iter()
        .find(|a| !a.cutouts.is_empty())
        .expect("cutouts");
    let path = tree
        .find(key(
            a.survey,
            &a.object_id.0,
            a.source_id,
            a.cutouts[0].kind,
        ))
        .expect("the file");
    assert!(path.starts_with(tree.dir_of(a.survey, &a.object_id.0)));
    let before = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    store.write_batch(std::slice::from_ref(a)).expect("replay");
    let after = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after, "a replay rewrote {}", path.display());
}

#[test]
fn sqlite_round_trips_real_cutouts() {
    let Some(alerts) = alerts() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite:{}", dir.path().join("cutouts.db").display());
    let store = open_cutouts(&url).expect("sqlite");
    holds(store.as_ref(), &alerts);
    // What was committed is there for another process (a web server) opening the file.
    let again = open_cutouts(&url).expect("sqlite again");
    assert_eq!(again.count().expect("count"), store.count().expect("count"));
}

#[test]
fn sqlite_readers_read_while_the_ingest_writes() {
    let Some(alerts) = alerts() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite:{}", dir.path().join("cutouts.db").display());
    let writer = open_cutouts(&url).expect("sqlite");
    let reader = open_cutouts(&url).expect("sqlite for reading");
    let expected = expected(&alerts);
    let first = alerts
        .iter()
        .find(|a| !a.cutouts.is_empty())
        .expect("cutouts");
    write(writer.as_ref(), std::slice::from_ref(first), &[1]);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..3 {
                write(writer.as_ref(), &alerts, &[4, 9]);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        // Every read during the writes finds a whole committed state: the first alert's
        // cutouts, and a count that only grows.
        let mut last = 0;
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
            let c = &first.cutouts[0];
            let got = reader
                .read(key(
                    first.survey,
                    &first.object_id.0,
                    first.source_id,
                    c.kind,
                ))
                .unwrap_or_else(|e| panic!("reading while writing: {e}"));
            assert!(got.as_ref() == Some(&c.data.to_vec()));
            let n = reader.count().unwrap_or_else(|e| panic!("counting: {e}"));
            assert!(n >= last, "{n} after {last}");
            last = n;
            reads += 1;
        }
    });
    assert_eq!(reader.count().expect("count"), expected.len() as u64);
}

#[test]
fn a_sqlite_store_another_process_holds_in_wal_mode_still_opens() {
    let Some(alerts) = alerts() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cutouts.db");
    let url = format!("sqlite:{}", path.display());
    drop(open_cutouts(&url).expect("sqlite"));
    // A store made by an earlier version (WAL), open in another connection meanwhile.
    let other = rusqlite::Connection::open(&path).expect("another connection");
    let mode: String = other
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .expect("WAL");
    assert_eq!(mode, "wal");
    let store = open_cutouts(&url).expect("sqlite held in WAL mode");
    holds(store.as_ref(), &alerts);
}

#[test]
fn cql_round_trips_real_cutouts() {
    let Ok(server) = std::env::var("LASAIR_TEST_CQL") else {
        eprintln!("skipped: LASAIR_TEST_CQL not set (scripts/test starts lasair-cql-server)");
        return;
    };
    let Some(alerts) = alerts() else { return };
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    // A keyspace of its own, so runs and tests never see each other's rows.
    let url = format!(
        "cql://{server}/lasair_cutouts_{}_{stamp}?ttl_days=30",
        std::process::id()
    );
    let store = open_cutouts(&url).unwrap_or_else(|e| panic!("{e}"));
    holds(store.as_ref(), &alerts);
}

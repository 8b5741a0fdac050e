//! Both lightcurve backends held to one expectation: the real alerts of one ZTF object,
//! ingested shuffled, some twice, leave exactly the union of their points, each in its most
//! complete version, and the same rows as ingesting them in time order.
//!
//! The SQLite run always happens (given `../shared/data`); the CQL run needs `LASAIR_TEST_CQL`
//! (HOST:PORT), which scripts/test sets after starting `lasair-cql-server`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use lasair_alert::{Alert, Decoder, ObjectId, PointKind, Survey};
use lasair_store::lightcurve::SqliteLightcurves;
use lasair_store::{open_lightcurves, LightcurveStore, StoredPoint};

const OBJECT: &str = "ZTF21abiuvdk";

/// The object's 34 alerts, in time order; `None` (after saying so) when the data is absent.
fn alerts() -> Option<Vec<Alert>> {
    let dir = lasair_testdata::shared_data("ztf/alerts")?.join(OBJECT);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not found", dir.display());
        return None;
    };
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut alerts = Vec::new();
    for entry in entries {
        let path = entry.expect("listing the alerts").path();
        let bytes = std::fs::read(&path).expect("reading an alert");
        for alert in decoder.decode(&bytes) {
            alerts.push(alert.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
        }
    }
    alerts.sort_by(|a, b| a.mjd.total_cmp(&b.mjd).then(a.source_id.cmp(&b.source_id)));
    assert_eq!(alerts.len(), 34, "alerts of {OBJECT}");
    Some(alerts)
}

/// A fixed shuffle (an LCG drives Fisher-Yates), with a few alerts repeated at other places.
fn shuffled(n: usize) -> Vec<usize> {
    let mut state: u64 = 0x005e_ed1a_5a17;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, next(i + 1));
    }
    for repeat in [0, n / 2, n - 1, 5] {
        let at = next(order.len());
        order.insert(at, repeat);
    }
    order
}

/// Ingests alerts by index, in batches of varying size so points also repeat within a batch.
fn ingest(store: &mut dyn LightcurveStore, alerts: &[Alert], order: &[usize]) {
    let mut rest = order;
    for size in [1, 3, 1, 5, 2].into_iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        let batch: Vec<Alert> = batch.iter().map(|&i| alerts[i].clone()).collect();
        store.upsert(&batch).expect("upsert");
        rest = tail;
    }
}

/// The expectation, computed from the alerts alone: for every (kind, id) of any alert, the
/// highest rank seen and the JSON records that carry it.
fn union(alerts: &[Alert]) -> BTreeMap<(PointKind, i64), (u8, BTreeSet<String>)> {
    let mut union: BTreeMap<(PointKind, i64), (u8, BTreeSet<String>)> = BTreeMap::new();
    for point in alerts.iter().flat_map(|a| &a.lightcurve) {
        let fields = point.fields.to_json();
        let entry = union
            .entry((point.kind, point.id))
            .or_insert((point.rank, BTreeSet::new()));
        if point.rank > entry.0 {
            *entry = (point.rank, BTreeSet::new());
        }
        if point.rank == entry.0 {
            entry.1.insert(fields);
        }
    }
    union
}

/// The shared check: `open` gives a fresh, empty store each call.
fn holds_to_the_union(mut open: impl FnMut() -> Box<dyn LightcurveStore>) {
    let Some(alerts) = alerts() else { return };
    let object = ObjectId(OBJECT.to_owned());
    let expected = union(&alerts);

    let mut shuffled_store = open();
    ingest(shuffled_store.as_mut(), &alerts, &shuffled(alerts.len()));
    let points = shuffled_store
        .lightcurve(Survey::Ztf, &object)
        .expect("lightcurve");

    let keys: Vec<(PointKind, i64)> = points.iter().map(|p| (p.kind, p.id)).collect();
    let distinct: BTreeSet<_> = keys.iter().copied().collect();
    assert_eq!(keys.len(), distinct.len(), "a point is stored twice");
    assert_eq!(
        distinct,
        expected.keys().copied().collect(),
        "stored points != union of the alerts'"
    );
    for p in &points {
        let (rank, versions) = &expected[&(p.kind, p.id)];
        assert_eq!(p.rank, *rank, "rank of {:?} {}", p.kind, p.id);
        assert!(
            versions.contains(&p.fields),
            "{:?} {} is not its most complete version",
            p.kind,
            p.id
        );
    }
    for alert in &alerts {
        let trigger = points
            .iter()
            .find(|p| p.kind == PointKind::Detection && p.id == alert.source_id);
        assert_eq!(
            trigger.map(|p| p.rank),
            Some(2),
            "trigger {} of an alert",
            alert.source_id
        );
    }
    assert_eq!(shuffled_store.count().expect("count"), points.len() as u64);

    let mut in_order = open();
    ingest(
        in_order.as_mut(),
        &alerts,
        &(0..alerts.len()).collect::<Vec<_>>(),
    );
    let in_order_points: Vec<StoredPoint> = in_order
        .lightcurve(Survey::Ztf, &object)
        .expect("lightcurve");
    assert_eq!(
        points, in_order_points,
        "arrival order changed the stored rows"
    );
}

#[test]
fn sqlite_keeps_the_most_complete_union_whatever_the_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut n = 0;
    holds_to_the_union(|| {
        n += 1;
        Box::new(SqliteLightcurves::open(dir.path().join(format!("{n}.db"))).expect("open SQLite"))
    });
}

#[test]
fn cql_keeps_the_most_complete_union_whatever_the_order() {
    let Ok(server) = std::env::var("LASAIR_TEST_CQL") else {
        eprintln!("skipped: LASAIR_TEST_CQL not set (scripts/test starts lasair-cql-server)");
        return;
    };
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let mut n = 0;
    holds_to_the_union(|| {
        n += 1;
        // A keyspace of its own per store, so runs and tests never see each other's rows.
        let url = format!(
            "scylla://{server}/lasair_test_{}_{stamp}_{n}",
            std::process::id()
        );
        open_lightcurves(&url).unwrap_or_else(|e| panic!("{e}"))
    });
}

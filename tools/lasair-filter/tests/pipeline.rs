//! lasair-filter end to end on real ZTF alerts (as lasair-ingest writes them, some with a
//! Sherlock context): a main database with a user, four filters, a watchlist and watchmaps;
//! results to a folder of topics; batches of 20 so an object's alerts span batches. The
//! expected answers come from the alerts themselves and from where the cones were placed.

use lasair_alert::Survey;
use lasair_stream::StreamArgs;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_alert::Alert;
use lasair_db::{Db, Value};
use lasair_filter::{run, Args};
use lasair_service::watch::encode_moc;

#[allow(dead_code)]
mod common;
use common::{alerts, dump, lines, records};

/// The cones: three objects 3" inside a 10" list radius, one 12" away (outside), one 15" away
/// but inside its own 20" radius. Offsets are in declination, so the separation is exact.
fn cones(objects: &[(String, f64, f64)]) -> (Vec<Vec<Value>>, BTreeMap<String, f64>) {
    let mut rows = Vec::new();
    let mut expected = BTreeMap::new();
    let plan = [
        (3.0, None, true),
        (3.0, None, true),
        (3.0, None, true),
        (12.0, None, false),
        (15.0, Some(20.0), true),
    ];
    for (i, ((id, ra, dec), (off, radius, hit))) in objects.iter().zip(plan).enumerate() {
        let cone_dec = dec + off / 3600.0;
        rows.push(vec![
            Value::Int(100 + i as i64),
            Value::Int(1),
            Value::from(format!("cone {i}")),
            Value::Real(*ra),
            Value::Real(cone_dec),
            radius.map_or(Value::Null, Value::Real),
        ]);
        if hit {
            expected.insert(id.clone(), off);
        }
    }
    (rows, expected)
}

fn setup(url: &str, objects: &[(String, f64, f64)]) -> BTreeMap<String, f64> {
    let mut db = Db::open(url).expect("main database");
    common::user(&mut db, 7, "ada", Some("ada@example.org"));
    let f = |id: i64, name: &str, select: &str, tables: &str, cond: &str, active: i64| {
        vec![
            id.into(),
            7.into(),
            name.into(),
            select.into(),
            tables.into(),
            cond.into(),
            active.into(),
        ]
    };
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[
            f(
                1,
                "all 2021",
                "objects.objectId, objects.ncand",
                "objects",
                "objects.objectId LIKE 'ZTF21%'",
                2,
            ),
            f(
                2,
                "near my cones",
                "objects.objectId, watchlist_hits.arcsec, watchlist_hits.name",
                "objects, watchlist:1",
                "",
                3,
            ),
            f(
                3,
                "broken",
                "objects.objectId",
                "objects",
                "objects.gmag < (SELECT 1)",
                2,
            ),
            f(
                4,
                "SN hosts",
                "objects.objectId, sherlock_classifications.classification",
                "objects, sherlock_classifications",
                "sherlock_classifications.classification = 'SN'",
                4,
            ),
            f(5, "off", "objects.objectId", "objects", "", 0),
        ],
    )
    .expect("filters");
    common::watchlist(&mut db, 1);
    let (rows, expected) = cones(objects);
    db.upsert(
        "watchlist_cones",
        &["cone_id", "wl_id", "name", "ra", "decl", "radius"],
        &rows,
    )
    .expect("cones");
    // The whole sky (the 12 order-0 cells), a MOC that is not base64, and an inactive one.
    let whole_sky = encode_moc(b"0/0-11");
    db.upsert(
        "watchmaps",
        &["ar_id", "user_id", "name", "moc", "active"],
        &[
            vec![
                1.into(),
                7.into(),
                "everywhere".into(),
                whole_sky.clone().into(),
                1.into(),
            ],
            vec![
                2.into(),
                7.into(),
                "garbage".into(),
                "!!not base64!!".into(),
                1.into(),
            ],
            vec![
                3.into(),
                7.into(),
                "resting".into(),
                whole_sky.into(),
                0.into(),
            ],
        ],
    )
    .expect("watchmaps");
    expected
}

#[test]
fn a_night_through_the_filter() {
    let Some(alerts) = alerts(&[
        "ztf/alerts/ztf_public_2021_mixed",
        "ztf/alerts/ZTF21abiuvdk",
    ]) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut distinct: BTreeMap<String, &Alert> = BTreeMap::new();
    for a in &alerts {
        let e = distinct.entry(a.object_id.0.clone()).or_insert(a);
        if a.mjd > e.mjd {
            *e = a;
        }
    }
    let positions: Vec<(String, f64, f64)> = distinct
        .values()
        .take(5)
        .map(|a| (a.object_id.0.clone(), a.ra, a.dec))
        .collect();
    let expected_cones = setup(&url, &positions);
    let sn: BTreeSet<String> = distinct.keys().skip(5).take(3).cloned().collect();
    let input = tmp.path().join("alerts.jsonl");
    std::fs::write(&input, lines(&alerts, &sn)).expect("input");
    let streams = tmp.path().join("streams");
    let args = Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            batch: Some(20),
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(url.clone()),
        topics: Some(streams.display().to_string()),
        digests: Some(tmp.path().join("digests")),
        ..Args::default()
    };
    let report = run(args.clone(), Arc::new(AtomicBool::new(false))).expect("runs");
    assert_eq!(report.counts.read(), alerts.len() as u64 + 1);
    assert_eq!(report.counts.bad(), 1, "the line that is not an alert");

    // Every object got a row, from its latest alert.
    let objects = dump(
        &url,
        "SELECT objectId, jdmax FROM objects ORDER BY objectId",
    );
    let ids: BTreeSet<String> = objects
        .iter()
        .map(|r| match &r[0] {
            Value::Text(t) => t.clone(),
            v => panic!("{v:?}"),
        })
        .collect();
    assert!(ids.is_subset(&distinct.keys().cloned().collect()));
    assert!(
        ids.len() >= distinct.len() - 5,
        "{} of {} objects",
        ids.len(),
        distinct.len()
    );
    let row = objects
        .iter()
        .find(|r| r[0] == Value::from("ZTF21abiuvdk"))
        .expect("ZTF21abiuvdk");
    let latest_jd = distinct["ZTF21abiuvdk"].mjd + 2_400_000.5;
    assert!(
        matches!(row[1], Value::Real(jd) if (jd - latest_jd).abs() < 1e-6),
        "{row:?} vs {latest_jd}"
    );

    // Filter 1: every ZTF21 object with a row.
    let all21 = records(&streams, "lasair_7all2021");
    let want: BTreeSet<&String> = ids.iter().filter(|i| i.starts_with("ZTF21")).collect();
    let got: BTreeSet<String> = all21
        .iter()
        .map(|r| r["objectId"].as_str().unwrap().to_owned())
        .collect();
    assert!(want.len() > 10, "{} ZTF21 objects", want.len());
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), want);
    assert!(all21
        .iter()
        .all(|r| r["UTC"].as_str().is_some_and(|u| u.len() == 19)));

    // Filter 2 (lite): the objects inside their cones, with the separation and the lightcurve.
    let near = records(&streams, "lasair_7nearmycones");
    let got: BTreeMap<String, f64> = near
        .iter()
        .map(|r| {
            (
                r["objectId"].as_str().unwrap().to_owned(),
                r["arcsec"].as_f64().unwrap(),
            )
        })
        .collect();
    let want: BTreeMap<String, f64> = expected_cones
        .into_iter()
        .filter(|(id, _)| ids.contains(id))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (id, off) in &want {
        assert!((got[id] - off).abs() < 0.01, "{id}: {} vs {off}", got[id]);
    }
    assert!(near
        .iter()
        .all(|r| r["lightcurve"].as_array().is_some_and(|l| !l.is_empty())));

    // Filter 3 does not compile: it sends nothing and the others still run.
    assert!(records(&streams, "lasair_7broken").is_empty());
    // Filter 4 (full): the SN-context objects, each with its whole alert.
    let hosts = records(&streams, "lasair_7SNhosts");
    let got: BTreeSet<String> = hosts
        .iter()
        .map(|r| r["objectId"].as_str().unwrap().to_owned())
        .collect();
    let want: BTreeSet<String> = sn.intersection(&ids).cloned().collect();
    assert_eq!(want.len(), 3);
    assert_eq!(got, want);
    assert!(hosts
        .iter()
        .all(|r| r["alert"]["objectId"] == r["objectId"]));

    // The main database holds the batch tables.
    let areas = dump(&url, "SELECT DISTINCT ar_id FROM area_hits");
    assert_eq!(
        areas,
        [vec![Value::Int(1)]],
        "only the active, valid watchmap"
    );
    let n = |sql: &str| match dump(&url, sql)[0][0] {
        Value::Int(n) => n as usize,
        ref v => panic!("{v:?}"),
    };
    assert_eq!(n("SELECT COUNT(*) FROM area_hits"), ids.len());
    assert_eq!(n("SELECT COUNT(*) FROM watchlist_hits"), near.len());
    for hit in dump(&url, "SELECT objectId, cone_id, wl_id FROM watchlist_hits") {
        let i = positions
            .iter()
            .position(|p| Value::from(p.0.as_str()) == hit[0])
            .expect("a placed object");
        assert_eq!(
            hit[1..],
            [Value::Int(100 + i as i64), Value::Int(1)],
            "{hit:?}"
        );
    }
    assert_eq!(
        n("SELECT COUNT(*) FROM sherlock_classifications"),
        sn.intersection(&ids).count()
    );
    assert!(n("SELECT COUNT(*) FROM statistics WHERE name = 'filter.batch_objects'") == 1);

    // The metrics the run counted (this test binary's only run so far): each filter's
    // results as its topic holds them, the broken one's failures, the stage's records.
    let metrics = lasair_metrics::render();
    let sample = |series: String| {
        metrics.lines().find_map(|l| {
            l.strip_prefix(series.as_str())?
                .strip_prefix(' ')?
                .parse::<f64>()
                .ok()
        })
    };
    for (topic, sent) in [
        ("lasair_7all2021", all21.len()),
        ("lasair_7nearmycones", near.len()),
        ("lasair_7SNhosts", hosts.len()),
    ] {
        let series = format!("lasair_filter_results_total{{filter=\"{topic}\"}}");
        assert_eq!(sample(series), Some(sent as f64), "{topic}: {metrics}");
    }
    let batches = report.batches as f64;
    let failures = sample("lasair_filter_failures_total{filter=\"lasair_7broken\"}".into());
    assert_eq!(failures, Some(batches), "{metrics}");
    let read = sample("lasair_stage_records_read_total{stage=\"filter\"}".into());
    assert_eq!(read, Some(report.counts.read() as f64));
    let done = sample("lasair_stage_records_done_total{stage=\"filter\"}".into());
    assert_eq!(done, Some(report.objects as f64));
    let bad = sample("lasair_stage_records_bad_total{stage=\"filter\"}".into());
    assert_eq!(bad, Some(1.0));
    for step in [
        "read",
        "features",
        "batch_tables",
        "filters",
        "results_flush",
        "main_upsert",
    ] {
        let series = format!("lasair_stage_step_seconds_count{{stage=\"filter\",step=\"{step}\"}}");
        assert_eq!(sample(series), Some(batches), "{step}: {metrics}");
    }
    // The night's counts for the status page: every line read, every batch.
    let night = |name: &str| match &dump(
        &url,
        &format!("SELECT SUM(value) FROM statistics WHERE name LIKE 'night.%.{name}'"),
    )[0][0]
    {
        Value::Real(v) => *v,
        Value::Int(v) => *v as f64,
        v => panic!("{name}: {v:?}"),
    };
    assert_eq!(night("filter_alerts"), report.counts.read() as f64);
    assert_eq!(night("filter_batches"), batches);
    assert_eq!(night("filter_objects"), report.objects as f64);
    // Real alerts of 2021 are years old.
    let age = sample("lasair_alert_age_seconds{stage=\"filter\",which=\"oldest\"}".into());
    assert!(age.is_some_and(|a| a > 3.0 * 365.0 * 86400.0), "{metrics}");

    // A replay (at-least-once delivery) leaves the main database as it was.
    let tables = [
        "objects",
        "sherlock_classifications",
        "watchlist_hits",
        "area_hits",
    ];
    let before: Vec<_> = tables
        .iter()
        .map(|t| dump(&url, &format!("SELECT * FROM {t} ORDER BY 1, 2")))
        .collect();
    run(args, Arc::new(AtomicBool::new(false))).expect("replay");
    let after: Vec<_> = tables
        .iter()
        .map(|t| dump(&url, &format!("SELECT * FROM {t} ORDER BY 1, 2")))
        .collect();
    assert_eq!(before, after);
    assert_eq!(
        records(&streams, "lasair_7all2021").len(),
        2 * all21.len(),
        "results sent again"
    );
}

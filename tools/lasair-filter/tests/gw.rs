//! Gravitational-wave maps through lasair-filter: real ZTF alerts placed inside and outside
//! the 90% areas of two real maps (LIGO's mock event MS181101ab, and S200129m) at known times,
//! on a main database on SQLite and on MariaDB when scripts/test provides it. The expected
//! hits: the alerts inside a map's area from its event to 21 days after (the alerts are of
//! 2018 and 2020: measured from now, as Lasair does, none would match), one row per object
//! and map, with the credible levels and densities ligo.skymap gives at those places (the
//! sky crate's fixtures, tests/fixtures/skymaps/expected.py); none for a retracted map; a
//! user's filter on `mma:ID` fires on the batch; a replay changes nothing.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_alert::{Alert, AlertJson, Survey};
use lasair_db::{Db, Value};
use lasair_filter::{run, Args};
use lasair_service::filter::{Delivery, Filter, NewFilter};
use lasair_service::mma::{self, Event, Rule};
use lasair_service::users::{NewUser, User};
use lasair_sky::skymap::Skymap;
use lasair_stream::StreamArgs;
use lasair_testdata::skymaps::{places, Place};
use serde_json::json;

#[allow(dead_code)]
mod common;
use common::{alerts, dump, records};

const MOCK: &str = "skymaps/MS181101ab_mock_map.fits";
const S200129M: &str = "skymaps/S200129m_bayestar.multiorder.fits";

/// An alert moved to `place` at `mjd` (its whole lightcurve shifted in time with it), named
/// `id`, with a Sherlock host distance when given.
fn placed(alert: &Alert, id: &str, place: &Place, mjd: f64, host: Option<f64>) -> Vec<u8> {
    let mut a = alert.clone();
    a.object_id.0 = id.to_owned();
    (a.ra, a.dec) = (place.ra, place.dec);
    let shift = mjd - a.mjd;
    a.mjd = mjd;
    for p in &mut a.lightcurve {
        p.mjd += shift;
    }
    let line = AlertJson::new(&a, BTreeMap::new()).to_line();
    let mut v: serde_json::Value = serde_json::from_slice(&line).expect("json");
    if let Some(d) = host {
        v["sherlock"] =
            json!({"classification": "SN", "distance": d, "catalogue_table_name": "glade"});
    }
    let mut out = v.to_string().into_bytes();
    out.push(b'\n');
    out
}

/// What one object should give: its map ids, and its place (for the values).
struct Expected {
    maps: Vec<i64>,
    place: Place,
    host: Option<f64>,
}

fn gw_through_the_filter(url: &str) {
    let (Some(alerts), Some(mock), Some(s200129m)) = (
        alerts(&["ztf/alerts/ztf_public_20181129"]),
        lasair_testdata::shared_data(MOCK),
        lasair_testdata::shared_data(S200129M),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let tag = format!("{}x{}", std::process::id(), url.len());
    let mut db = Db::open(url).expect("main database");
    let mock = Skymap::from_path(mock).expect("mock map");
    let s200129m = Skymap::from_path(s200129m).expect("S200129m");
    let bns: BTreeMap<String, f64> = [("BNS".to_owned(), 0.9), ("BBH".to_owned(), 0.1)].into();
    let register = |db: &mut Db, map: &Skymap, name: &str| -> (i64, f64) {
        let mut event = Event::of_map(map, &format!("{name}-{tag}"), None).expect("event");
        event.classification = bns.clone();
        let r = mma::register(db, map, &event, &Rule::default()).expect("registered");
        assert!(r.kept && r.new, "{r:?}");
        (r.mw_id.expect("kept"), event.mjd)
    };
    let (ms, ms_mjd) = register(&mut db, &mock, "MS181101ab");
    let (copy, _) = register(&mut db, &mock, "MS181101abcopy");
    let (retracted, _) = register(&mut db, &mock, "MS181101abgone");
    mma::retract(&mut db, &format!("MS181101abgone-{tag}")).expect("retracted");
    let (s2, s2_mjd) = register(&mut db, &s200129m, "S200129m");

    // A user's filter on the mock map's hits.
    let user = User::create(
        &mut db,
        &NewUser {
            username: format!("gw{tag}"),
            ..NewUser::default()
        },
    )
    .expect("user");
    let filter = Filter::create(
        &mut db,
        &NewFilter::new(
            user.id,
            "gw hits",
            "objects.objectId, mma_area_hits.contour",
            &format!("objects, mma:{ms}"),
            "mma_area_hits.contour < 0.9",
        ),
        Some(Delivery::Kafka),
    )
    .expect("filter");
    drop(db);

    let mut distinct: BTreeMap<&str, &Alert> = BTreeMap::new();
    for a in &alerts {
        distinct.entry(a.object_id.0.as_str()).or_insert(a);
    }
    let pool: Vec<&Alert> = distinct.into_values().collect();
    let ms_places = places(MOCK);
    let ms_in: Vec<Place> = ms_places.iter().filter(|p| p.inside[2]).copied().collect();
    let ms_out: Vec<Place> = ms_places.iter().filter(|p| !p.inside[2]).copied().collect();
    let s2_in: Vec<Place> = places(S200129M)
        .into_iter()
        .filter(|p| p.inside[2])
        .collect();
    // (place, alert time, host distance, the maps it should hit)
    let mut plan: Vec<(Place, f64, Option<f64>, Vec<i64>)> = Vec::new();
    for (i, p) in ms_in.iter().take(8).enumerate() {
        let host = (i % 2 == 0).then_some(p.distance);
        plan.push((*p, ms_mjd + 2.0, host, vec![ms, copy]));
    }
    for p in &ms_in[8..12] {
        plan.push((*p, ms_mjd + 25.0, None, vec![]));
    }
    for p in &ms_in[12..16] {
        plan.push((*p, ms_mjd - 2.0, Some(p.distance), vec![]));
    }
    for p in ms_out.iter().take(4) {
        plan.push((*p, ms_mjd + 2.0, None, vec![]));
    }
    for p in s2_in.iter().take(4) {
        plan.push((*p, s2_mjd + 3.0, Some(p.distance), vec![s2]));
    }
    let mut input = Vec::new();
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    for (i, (place, mjd, host, maps)) in plan.into_iter().enumerate() {
        let id = format!("ZTF18gw{tag}n{i:02}");
        input.extend(placed(pool[i], &id, &place, mjd, host));
        expected.insert(id, Expected { maps, place, host });
    }
    let path = tmp.path().join("alerts.jsonl");
    std::fs::write(&path, &input).expect("input");
    let streams = tmp.path().join("streams");
    let args = Args {
        stream: StreamArgs {
            inputs: vec![path.display().to_string()],
            batch: Some(10),
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(url.to_owned()),
        topics: Some(streams.display().to_string()),
        digests: Some(tmp.path().join("digests")),
        ..Args::default()
    };
    let report = run(args.clone(), Arc::new(AtomicBool::new(false))).expect("runs");
    assert_eq!(report.counts.bad(), 0);
    assert_eq!(report.objects, expected.len() as u64);

    let sql = format!(
        "SELECT objectId, mw_id, contour, distance, probdens2, probdens3 FROM mma_area_hits \
         WHERE objectId LIKE 'ZTF18gw{tag}n%' ORDER BY objectId, mw_id"
    );
    let hits = dump(url, &sql);
    let want: usize = expected.values().map(|e| e.maps.len()).sum();
    assert_eq!(hits.len(), want, "{hits:?}");
    let close = |a: &Value, b: f64, rel: f64| {
        a.as_f64()
            .is_some_and(|a| (a - b).abs() <= rel * a.abs().max(b.abs()))
    };
    for row in &hits {
        let id = row[0].as_str().expect("id");
        let e = &expected[id];
        let mw_id = row[1].as_i64().expect("mw_id");
        assert!(e.maps.contains(&mw_id), "{id} hit map {mw_id}");
        assert!(mw_id != retracted);
        assert!(close(&row[2], e.place.contour, 1e-9), "{id}: {row:?}");
        assert!(close(&row[4], e.place.probdensity, 1e-12), "{id}: {row:?}");
        match e.host {
            Some(d) => {
                assert!(close(&row[3], d, 0.0), "{id}: {row:?}");
                assert!(close(&row[5], e.place.vol, 1e-9), "{id}: {row:?}");
            }
            None => assert_eq!((&row[3], &row[5]), (&Value::Null, &Value::Null), "{id}"),
        }
    }
    for (id, e) in &expected {
        let n = hits.iter().filter(|r| r[0].as_str() == Some(id)).count();
        assert_eq!(n, e.maps.len(), "{id}");
    }

    // The user's filter ran on the batch's hits of the mock map.
    let fired = records(&streams, &filter.topic);
    let mut got: Vec<&str> = fired
        .iter()
        .filter_map(|r| r["objectId"].as_str())
        .collect();
    got.sort_unstable();
    let wanted: Vec<&str> = expected
        .iter()
        .filter(|(_, e)| e.maps.contains(&ms))
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(got, wanted);

    // A replay leaves the hits as they were.
    run(args, Arc::new(AtomicBool::new(false))).expect("replay");
    assert_eq!(dump(url, &sql), hits);

    // Leave the shared database's other tests no active maps of ours.
    let mut db = Db::open(url).expect("main database");
    for name in ["MS181101ab", "MS181101abcopy", "S200129m"] {
        mma::retract(&mut db, &format!("{name}-{tag}")).expect("retract");
    }
}

#[test]
fn gw_hits_through_the_filter_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    gw_through_the_filter(&url);
}

#[test]
fn gw_hits_through_the_filter_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    gw_through_the_filter(&url);
}

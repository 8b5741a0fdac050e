//! Gravitational-wave maps through their life on both backends (SQLite always, MariaDB when
//! scripts/test provides it): a real map's notice registered, the known objects inside its
//! 90% area tagged with the credible levels and densities ligo.skymap gives (the sky crate's
//! fixtures, computed by tests/fixtures/skymaps/expected.py), registration repeated without
//! effect, the maps active at an alert's time, a retraction, Lasair's rule refusing a map,
//! and a user's query on `mma:ID`. Names are unique to the run (the MariaDB database is
//! shared with other tests).

use base64::Engine;
use lasair_db::{Db, Value};
use lasair_service::mma::active::ActiveMaps;
use lasair_service::mma::notice::{self, Notice};
use lasair_service::mma::{self, Event, Rule};
use lasair_service::query::{self, QueryLimits};
use lasair_sky::skymap::Skymap;
use lasair_sql::UserQuery;
use lasair_testdata::skymaps::{self, Place};

const MOCK: &str = "skymaps/MS181101ab_mock_map.fits";
/// The mock event's time (its notice's `event.time`), and that as an MJD (UTC).
const EVENT_TIME: &str = "2018-11-01T22:22:46.654Z";
const EVENT_MJD: f64 = 58_423.932_484_421_3; // 58423 + 80566.654 / 86400

fn notice_of(file: &[u8], name: &str, classes: &str) -> Vec<u8> {
    let skymap = base64::engine::general_purpose::STANDARD.encode(file);
    format!(
        r#"{{"alert_type": "PRELIMINARY", "time_created": "2018-11-01T22:34:49Z",
            "superevent_id": "{name}", "urls": {{"gracedb": "https://example.org/{name}"}},
            "event": {{"time": "{EVENT_TIME}", "far": 9.11e-14, "classification": {classes},
                       "skymap": "{skymap}"}}}}"#
    )
    .into_bytes()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

fn count(db: &mut Db, sql: &str) -> i64 {
    let rows = db
        .query_readonly(sql, std::time::Duration::from_secs(10))
        .expect("count");
    rows.rows[0][0].as_i64().expect("a count")
}

fn gw_life(db: &mut Db, exact: bool) {
    let Some(path) = lasair_testdata::shared_data(MOCK) else {
        return;
    };
    let file = std::fs::read(&path).expect("map");
    let tag = format!("{}x{}", std::process::id(), db.url().len());
    let name = format!("MS181101ab-{tag}");
    let event_jd = EVENT_MJD + 2_400_000.5;
    // Known objects: 12 inside the 90% area and seen a day after the event (every other one
    // with a Sherlock host distance), 3 inside but seen before it, 3 inside but 22 days
    // after, and 12 outside seen a day after.
    let places = skymaps::places(MOCK);
    let inside: Vec<&Place> = places.iter().filter(|p| p.inside[2]).take(18).collect();
    let outside: Vec<&Place> = places.iter().filter(|p| !p.inside[2]).take(12).collect();
    assert_eq!((inside.len(), outside.len()), (18, 12));
    let id = |i: usize| format!("ZTF18gw{tag}n{i}");
    let mut objects = Vec::new();
    let mut sherlock = Vec::new();
    for (i, p) in inside.iter().chain(&outside).enumerate() {
        let jd = match i {
            12..15 => event_jd - 1.0,
            15..18 => event_jd + 22.0,
            _ => event_jd + 1.0,
        };
        objects.push(vec![id(i).into(), p.ra.into(), p.dec.into(), jd.into()]);
        if i.is_multiple_of(2) {
            sherlock.push(vec![id(i).into(), p.distance.into()]);
        }
    }
    db.upsert(
        "objects",
        &["objectId", "ramean", "decmean", "jdmax"],
        &objects,
    )
    .expect("objects");
    db.upsert(
        "sherlock_classifications",
        &["objectId", "distance"],
        &sherlock,
    )
    .expect("sherlock");

    let bns = r#"{"BNS": 0.95, "NSBH": 0.01, "BBH": 0.03, "Terrestrial": 0.01}"#;
    let Notice::Map { event, skymap } =
        notice::parse(&notice_of(&file, &name, bns), "test").expect("notice")
    else {
        panic!("a map notice");
    };
    let map = Skymap::from_bytes(&skymap, &name).expect("map");
    let first = mma::register(db, &map, &event, &Rule::default()).expect("registered");
    assert!(first.kept && first.new, "{first:?}");
    let mw_id = first.mw_id.expect("an id");
    // Hits of this map now: its own tagged objects, and on a database other tests share, any
    // hits a test left under the same id before this map took it.
    let n = format!("SELECT COUNT(*) FROM mma_area_hits WHERE mw_id = {mw_id}");
    let map_hits = count(db, &n);
    assert!(
        map_hits >= first.tagged as i64,
        "{map_hits} hits, {} tagged",
        first.tagged
    );
    let areas = skymaps::areas(MOCK);
    assert_eq!(areas.len(), 3);
    for ((level, area, _), got) in areas.iter().zip([first.area10, first.area50, first.area90]) {
        assert!(close(got, *area, 1e-12), "{level}: {got} vs {area}");
    }
    assert_eq!(first.distmean, Some(39.76999609489013));
    if exact {
        assert_eq!(first.tagged, 12);
    } else {
        assert!(first.tagged >= 12, "{first:?}");
    }
    let hits = db
        .query_readonly(
            &format!(
                "SELECT objectId, contour, distance, probdens2, probdens3 FROM mma_area_hits \
                 WHERE mw_id = {mw_id} AND objectId LIKE 'ZTF18gw{tag}n%' ORDER BY objectId"
            ),
            std::time::Duration::from_secs(10),
        )
        .expect("hits")
        .rows;
    assert_eq!(hits.len(), 12, "{hits:?}");
    for row in &hits {
        let key = row[0].as_str().expect("test value");
        let i: usize = key
            .rsplit('n')
            .next()
            .expect("test value")
            .parse()
            .expect("test value");
        assert!(i < 12, "{key} is not one of the 12 in time and place");
        let p = inside[i];
        assert!(
            close(row[1].as_f64().expect("test value"), p.contour, 1e-9),
            "{key}"
        );
        assert!(
            close(row[3].as_f64().expect("test value"), p.probdensity, 1e-12),
            "{key}"
        );
        if i.is_multiple_of(2) {
            assert_eq!(row[2].as_f64(), Some(p.distance), "{key}");
            assert!(
                close(row[4].as_f64().expect("test value"), p.vol, 1e-9),
                "{key}"
            );
        } else {
            assert_eq!((&row[2], &row[4]), (&Value::Null, &Value::Null), "{key}");
        }
    }

    // Registering the same version again writes nothing new.
    let before = count(db, "SELECT COUNT(*) FROM mma_areas");
    let again = mma::register(db, &map, &event, &Rule::default()).expect("again");
    assert_eq!((again.new, again.mw_id), (false, Some(mw_id)));
    assert_eq!(count(db, "SELECT COUNT(*) FROM mma_areas"), before);
    assert_eq!(count(db, &n), map_hits);

    // Active for alerts from the event to 21 days after, by the alerts' times.
    let mut active = ActiveMaps::default();
    let tai = lasair_alert::time::tai_of_utc(EVENT_MJD);
    let ids = |a: &mut ActiveMaps, db: &mut Db, from: f64, to: f64| -> Vec<i64> {
        let (maps, problems) = a.at(db, from, to).expect("active");
        assert!(problems.is_empty(), "{problems:?}");
        maps.iter().map(|m| m.mw_id).collect()
    };
    assert!(ids(&mut active, db, tai + 1.0, tai + 1.0).contains(&mw_id));
    assert!(ids(&mut active, db, tai + 20.0, tai + 25.0).contains(&mw_id));
    assert!(!ids(&mut active, db, tai + 21.5, tai + 25.0).contains(&mw_id));
    assert!(!ids(&mut active, db, tai - 3.0, tai - 0.5).contains(&mw_id));
    let (maps, _) = active.at(db, tai - 1.0, tai + 1.0).expect("active");
    let ours = maps.iter().find(|m| m.mw_id == mw_id).expect("ours");
    let p = inside[0];
    let key = Value::from("ZTF18new");
    let row = ours
        .hit(&key, p.ra, p.dec, tai + 1.0, Some(p.distance))
        .expect("a hit");
    assert!(close(row[2].as_f64().expect("test value"), p.contour, 1e-9));
    assert!(
        ours.hit(&key, p.ra, p.dec, tai - 1.0, None).is_none(),
        "before the event"
    );
    assert!(
        ours.hit(&key, p.ra, p.dec, tai + 21.1, None).is_none(),
        "after 21 days"
    );
    let q = outside[0];
    assert!(
        ours.hit(&key, q.ra, q.dec, tai + 1.0, None).is_none(),
        "outside"
    );

    // A user's query on the map's hits.
    let user = UserQuery {
        select: "objects.objectId, mma_area_hits.contour".into(),
        tables: format!("objects, mma:{mw_id}"),
        conditions: format!(
            "objects.objectId LIKE 'ZTF18gw{tag}n%' AND mma_area_hits.contour < 0.5"
        ),
        ..UserQuery::default()
    };
    let rows = query::run(db, &user, &QueryLimits::default())
        .expect("query")
        .rows;
    let want = inside[..12].iter().filter(|p| p.contour < 0.5).count();
    assert_eq!(rows.len(), want);

    // Retracted: no longer active.
    assert!(mma::retract(db, &name).expect("retract") >= 1);
    assert!(!ids(&mut active, db, tai + 1.0, tai + 1.0).contains(&mw_id));
    let listed = mma::list(db, Some(&name)).expect("list");
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].active);
    // Its notice again: nothing new, nothing tagged, still retracted.
    let late = mma::register(db, &map, &event, &Rule::default()).expect("again");
    assert_eq!((late.new, late.tagged, late.mw_id), (false, 0, Some(mw_id)));
    assert!(!mma::list(db, Some(&name)).expect("list")[0].active);

    // A binary black hole whose 90% area is above the rule's limit is refused, unwritten.
    let bbh = r#"{"BNS": 0.0, "NSBH": 0.01, "BBH": 0.98, "Terrestrial": 0.01}"#;
    let other = format!("S181101bbh-{tag}");
    let Notice::Map { event, .. } = notice::parse(&notice_of(&file, &other, bbh), "t").expect("n")
    else {
        panic!("a map notice");
    };
    let refused = mma::register(db, &map, &event, &Rule { max_area90: 30.0 }).expect("refused");
    assert!(!refused.kept && refused.mw_id.is_none(), "{refused:?}");
    assert!(refused.rejected.as_deref().unwrap_or("").contains("BBH"));
    assert!(mma::list(db, Some(&other)).expect("list").is_empty());

    // A map file given with a name and no notice: its header's time, its DATE as version.
    let from_file = Event::of_map(&map, &format!("MSfile-{tag}"), None).expect("event");
    assert_eq!(from_file.mjd, 58_423.932_484_426_35); // its MJD-OBS
    assert_eq!(from_file.version, "20181101T223449_FILE");
}

#[test]
fn gravitational_wave_maps_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", dir.path().join("lasair.db").display());
    gw_life(&mut Db::open(&url).expect("sqlite"), true);
}

#[test]
fn gravitational_wave_maps_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    gw_life(&mut Db::open(&url).expect("mariadb"), false);
}

//! The service objects through their whole life on both backends: SQLite always, MariaDB when
//! scripts/test provides it (LASAIR_TEST_MYSQL). The MariaDB database is shared with other
//! tests, so every name here is unique to this run and nothing assumes an empty table.

use lasair_db::{Db, Value};
use lasair_service::filter::{Delivery, Filter, NewFilter};
use lasair_service::users::{NewUser, User};
use lasair_service::watch::{NewEntry, Watchlist};
use lasair_service::{objects, statistics, Record};
use lasair_sky::cones::Cone;

fn life(db: &mut Db) {
    let tag = format!("t{}x{}", std::process::id(), db.url().len());
    let user = User::create(
        db,
        &NewUser {
            username: format!("ada{tag}"),
            email: "ada@example.org".into(),
            ..NewUser::default()
        },
    )
    .expect("user");
    let token = User::token(db, user.id).expect("token");
    assert_eq!(
        User::by_token(db, &token).expect("by token"),
        Some(user.clone())
    );

    let name = format!("bright {tag}");
    let new = NewFilter::new(
        user.id,
        &name,
        "objects.objectId",
        "objects",
        "objects.gmag < 17",
    );
    let a = Filter::create(db, &new, Some(Delivery::Email)).expect("filter");
    let b = Filter::create(db, &new, None).expect("second filter");
    assert!(
        a.id > 0 && b.id > a.id,
        "ids from the database: {} {}",
        a.id,
        b.id
    );
    assert_eq!(Filter::get(db, a.id).expect("read back"), a);
    let mine = |db: &mut Db| -> Vec<(i64, Delivery, Option<String>)> {
        Filter::active(db)
            .expect("active")
            .into_iter()
            .filter(|f| f.filter.name == name)
            .map(|f| (f.filter.id, f.delivery, f.email))
            .collect()
    };
    assert_eq!(
        mine(db),
        [(a.id, Delivery::Email, Some("ada@example.org".into()))]
    );
    Filter::set_delivery(db, b.id, Some(Delivery::KafkaFull)).expect("on");
    // Again within the same second: the row matches though nothing in it changes.
    Filter::set_delivery(db, b.id, Some(Delivery::KafkaFull)).expect("on again");
    Filter::set_delivery(db, a.id, None).expect("off");
    assert_eq!(
        mine(db),
        [(b.id, Delivery::KafkaFull, Some("ada@example.org".into()))]
    );
    Filter::delete(db, a.id).expect("deleted");
    assert!(Filter::get(db, a.id).is_err());

    let cones: Vec<Cone> = (0..3)
        .map(|i| Cone {
            ra: 10.0 + f64::from(i),
            dec: -5.0,
            name: format!("c{i}"),
            radius_arcsec: (i == 1).then_some(4.5),
        })
        .collect();
    let entry = NewEntry {
        user_id: user.id,
        name: format!("list {tag}"),
        description: String::new(),
        public: false,
    };
    let list = Watchlist::create(db, &entry, 3.0, &cones).expect("watchlist");
    let stored: Vec<Cone> = Watchlist::cones(db, list.id)
        .expect("cones")
        .into_iter()
        .map(|c| c.cone)
        .collect();
    assert_eq!(stored, cones);
    assert_eq!(Watchlist::cone_count(db, list.id).expect("count"), 3);
    assert!(
        Watchlist::create(db, &entry, 5000.0, &cones).is_err(),
        "radius over 1800\""
    );
    Watchlist::delete_with_cones(db, list.id).expect("deleted");
    assert_eq!(Watchlist::cone_count(db, list.id).expect("count"), 0);

    let figure = format!("test.{tag}");
    statistics::record(db, &[(figure.as_str(), 2.5)], "2026-12-05 10:00:00").expect("record");
    let all = statistics::all(db).expect("all");
    assert!(all.iter().any(|s| s.name == figure && s.value == 2.5));

    let id = format!("ZTF{tag}");
    let row = vec![Value::from(id.as_str()), 1.5.into(), (-2.25).into()];
    db.upsert("objects", &["objectId", "ramean", "decmean"], &[row])
        .expect("object");
    assert_eq!(objects::position(db, &id).expect("position"), (1.5, -2.25));
}

#[test]
fn service_objects_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", dir.path().join("lasair.db").display());
    life(&mut Db::open(&url).expect("sqlite"));
}

#[test]
fn service_objects_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    life(&mut Db::open(&url).expect("mariadb"));
}

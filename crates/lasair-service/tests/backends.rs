//! The service objects through their whole life on both backends: SQLite always, MariaDB when
//! scripts/test provides it (LASAIR_TEST_MYSQL). The MariaDB database is shared with other
//! tests, so every name here is unique to this run and nothing assumes an empty table.

use lasair_db::{Db, Value};
use lasair_service::annotations::{annotate, Annotation, Annotator};
use lasair_service::filter::{Delivery, Filter, NewFilter};
use lasair_service::users::ApiClass;
use lasair_service::users::{NewUser, User};
use lasair_service::watch::{NewEntry, Watchlist, Watchmap};
use lasair_service::{objects, query, statistics, Record};
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
    let found = objects::cone(db, 1.5, -2.25 + 1.0 / 3600.0, 2.0).expect("cone");
    let found: Vec<(Value, bool)> = found
        .into_iter()
        .map(|(k, s)| (k, (s - 1.0).abs() < 1e-6))
        .collect();
    assert!(
        found.contains(&(Value::from(id.as_str()), true)),
        "{found:?}"
    );

    // Passwords, API classes and annotations.
    User::set_password(db, user.id, "s3cret").expect("password");
    assert_eq!(
        User::login(db, &user.username, "s3cret")
            .expect("login")
            .map(|u| u.id),
        Some(user.id)
    );
    assert_eq!(
        User::login(db, &user.username, "S3cret").expect("login"),
        None
    );
    User::set_class(db, user.id, ApiClass::Power).expect("class");
    assert_eq!(
        User::get(db, user.id).expect("read").api_class,
        ApiClass::Power
    );
    let topic = format!("fast{tag}");
    Annotator::register(db, &topic, user.id, "fast risers", false).expect("annotator");
    let note = Annotation {
        object: id.clone(),
        topic: topic.clone(),
        classification: "SN Ia".into(),
        version: "0.1".into(),
        explanation: "rises fast".into(),
        classdict: r#"{"p": 0.8}"#.into(),
        url: String::new(),
        timestamp: String::new(),
    };
    annotate(db, &user, &note)
        .expect("checked")
        .expect("stored");
    let stored = Annotation::of_object(db, Value::from(id.as_str())).expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].classification.as_str(), stored[0].object.as_str()),
        ("SN Ia", id.as_str())
    );

    // A private watchlist is for its owner's queries only.
    let private = Watchlist::create(db, &entry, 3.0, &cones).expect("watchlist");
    let q = lasair_sql::UserQuery {
        select: "objects.objectId".into(),
        tables: format!("objects, watchlist:{}", private.id),
        ..Default::default()
    };
    let limits = query::QueryLimits::default();
    query::run_as(db, &q, &limits, user.id).expect("the owner's");
    let err = query::run_as(db, &q, &limits, user.id + 1).expect_err("not theirs");
    assert!(
        err.to_string().contains(&format!(
            "you do not have permission to access watchlist {}",
            private.id
        )),
        "{err}"
    );
    Watchlist::delete_with_cones(db, private.id).expect("deleted");
    // And a private watchmap.
    let (map, _) = Watchmap::create(db, &entry, br#"{"3":[1,2]}"#, "test.json").expect("watchmap");
    let q = lasair_sql::UserQuery {
        select: "objects.objectId".into(),
        tables: format!("objects, area:{}", map.id),
        ..Default::default()
    };
    query::run_as(db, &q, &limits, user.id).expect("the owner's");
    let err = query::run_as(db, &q, &limits, user.id + 1).expect_err("not theirs");
    assert!(
        err.to_string().contains(&format!(
            "you do not have permission to access watchmap {}",
            map.id
        )),
        "{err}"
    );
    Watchmap::delete(db, map.id).expect("deleted");
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

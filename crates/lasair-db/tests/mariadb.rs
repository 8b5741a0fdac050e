//! The database layer on MariaDB (the throw-away instance scripts/test starts): the same
//! checks as on SQLite, and the same filters giving the same rows on both backends. One test
//! function, because every check shares the one `lasair` database.

mod common;

use std::time::Duration;

use lasair_db::{Db, DbError, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Dialect, Limits, UserQuery};
use mysql::prelude::Queryable;

fn urls() -> Option<(String, String)> {
    let rw = std::env::var("LASAIR_TEST_MYSQL").ok();
    let ro = std::env::var("LASAIR_TEST_MYSQL_RO").ok();
    match (rw, ro) {
        (Some(rw), Some(ro)) => Some((rw, ro)),
        _ => {
            eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
            None
        }
    }
}

fn raw(url: &str) -> mysql::Conn {
    let url = format!("{url}?prefer_socket=false");
    mysql::Conn::new(mysql::Opts::from_url(&url).expect("url")).expect("connect")
}

/// Drops every table, so the run starts from an empty database.
fn reset(url: &str) {
    let mut conn = raw(url);
    let service = lasair_db::service::SERVICE_TABLES
        .iter()
        .map(|(t, _)| t.name);
    for t in ZTF
        .tables
        .iter()
        .map(|t| t.name)
        .chain(service)
        .chain(["schema_version"])
    {
        conn.query_drop(format!("DROP TABLE IF EXISTS `{t}`"))
            .expect("drop");
    }
}

fn set_version(db: &str, v: i64) {
    raw(db)
        .exec_drop("UPDATE schema_version SET version = ?", (v,))
        .expect("set version");
}

#[test]
fn mariadb_backend() {
    let Some((rw, ro)) = urls() else { return };
    reset(&rw);
    let db = Db::open(&rw).expect("open");
    assert_eq!(db.dialect(), Dialect::MariaDb);
    assert!(
        !db.url().contains(":lasair@"),
        "password shown: {}",
        db.url()
    );
    drop(db);
    let mut db = Db::open(&rw).expect("open again: a no-op");
    common::upsert_is_idempotent(&mut db);
    common::filters_give_the_expected_rows(&mut db);
    common::writes_fail_read_only(&mut db);
    common::slow_query_times_out(&mut db);

    let mut ro_db = Db::open_readonly(&ro).expect("open read-only");
    common::filters_give_the_expected_rows(&mut ro_db);
    common::writes_fail_read_only(&mut ro_db);
    common::slow_query_times_out(&mut ro_db);
    let err = ro_db.upsert(
        "area_hits",
        &["ar_id", "objectId"],
        &[vec![Value::Int(1), "x".into()]],
    );
    assert!(err.is_err(), "upsert through the SELECT-only account");
    // The account users' queries run as sees the user-visible tables only.
    let err = ro_db
        .query_readonly("SELECT password FROM users", Duration::from_secs(5))
        .expect_err("users is not granted");
    assert!(err.to_string().contains("denied"), "{err}");

    common::service_tables_work(&mut db);
    common::delete_where_takes_only_matching_rows(&mut db);
    same_rows_as_sqlite(&mut db);
    big_batches_are_chunked(&mut db);

    // A version-1 database (no service tables) is migrated on open, its rows kept.
    let mut conn = raw(&rw);
    for (t, _) in lasair_db::service::SERVICE_TABLES {
        conn.query_drop(format!("DROP TABLE `{}`", t.name))
            .expect("drop");
    }
    set_version(&rw, 1);
    let mut db = Db::open(&rw).expect("migrate 1 -> 2");
    common::service_tables_work(&mut db);
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM objects", Duration::from_secs(5))
        .expect("count");
    assert!(
        matches!(rows.rows[..], [ref r] if r[0] != Value::Int(0)),
        "{rows:?}"
    );

    // A version-6 database gains the gravitational-wave tables of version 7.
    for t in ["mma_area_hits", "mma_areas"] {
        conn.query_drop(format!("DROP TABLE `{t}`")).expect("drop");
    }
    set_version(&rw, 6);
    let mut db = Db::open(&rw).expect("migrate 6 -> 7");
    let id = db
        .insert("mma_areas", &["otherId"], &["S1".into()])
        .expect("a map");
    let two = [id, id + 1].map(|m| vec![m.into(), "ZTF1".into()]);
    db.upsert("mma_area_hits", &["mw_id", "objectId"], &two)
        .expect("an object in two maps");
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM mma_area_hits", Duration::from_secs(5))
        .expect("count");
    assert_eq!(rows.rows, [vec![Value::Int(2)]]);

    set_version(&rw, 99);
    let err = Db::open(&rw).expect_err("newer schema");
    assert!(
        matches!(err, DbError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    set_version(&rw, lasair_db::schema::VERSION);
    // Last: it adds an object the checks above do not expect.
    let mut db = Db::open(&rw).expect("open");
    common::older_rows_never_replace_newer(&mut db);
    common::added_columns_sum(&mut db);
    drop(db);

    // An LSST database of version 9 gains htm16 and the diaObject's own fields (version 10).
    reset(&rw);
    let lsst = &lasair_sql::catalog::LSST;
    drop(Db::open_with(&rw, lsst, false).expect("an LSST database"));
    let mut conn = raw(&rw);
    conn.query_drop("DROP INDEX `idx_objects_htm16` ON `objects`")
        .expect("drop index");
    for (table, column, v) in lasair_db::service::added_to(lsst) {
        if v == 10 {
            conn.query_drop(format!("ALTER TABLE `{table}` DROP COLUMN `{column}`"))
                .expect("drop column");
        }
    }
    set_version(&rw, 9);
    let mut db = Db::open_with(&rw, lsst, false).expect("migrate 9 -> 10");
    common::lsst_full_row(&mut db);
    drop(db);
    // The next run starts from a ZTF database again.
    reset(&rw);
}

/// The same filters over the same data give the same rows on MariaDB and SQLite.
fn same_rows_as_sqlite(maria: &mut Db) {
    let mut lite = Db::open("sqlite::memory:").expect("sqlite");
    common::load(&mut lite);
    let filters = [
        ("objectId, gmag, rmag", "objects", "gmag < 19 ORDER BY objectId"),
        ("objects.objectId, sherlock_classifications.classification", "objects, sherlock_classifications", "sherlock_classifications.classification IN ('SN', 'nt') ORDER BY objects.objectId DESC"),
        ("objectId, ncandgp / 2 AS half, LOG10(ncandgp) > 0.5 AS many", "objects", "ncandgp BETWEEN 2 AND 10 ORDER BY ncandgp"),
        ("objectId", "objects", "jdmax > jdnow() - 7 ORDER BY objectId"),
        ("objects.objectId, annotations.classification", "objects, annotator:fastfinder", ""),
    ];
    for (select, tables, conditions) in filters {
        let q = UserQuery {
            select: select.into(),
            tables: tables.into(),
            conditions: conditions.into(),
            ..UserQuery::default()
        };
        let run = |db: &mut Db| {
            let sql = compile(&q, &ZTF, db.dialect(), &Limits::default())
                .expect("compiles")
                .sql;
            db.query_readonly(&sql, Duration::from_secs(10))
                .expect("runs")
                .rows
        };
        let (m, l) = (run(maria), run(&mut lite));
        assert!(!m.is_empty(), "{select} | {conditions}: no rows");
        assert_eq!(m, l, "{select} | {conditions}");
    }
    // What the two would answer differently is refused before either runs it...
    for (select, conditions) in [
        ("objectId", "\"ncand\" > 0"),
        ("*, *", ""),
        ("ncand AS a, gmag AS A", "ORDER BY a"),
        ("objectId", "sqrt(objectId) > 1"),
        ("objectId, objectId + 1 AS n", ""),
    ] {
        let q = UserQuery {
            select: select.into(),
            conditions: conditions.into(),
            ..UserQuery::default()
        };
        assert!(
            compile(&q, &ZTF, lasair_sql::Dialect::MariaDb, &Limits::default()).is_err(),
            "{select} | {conditions}"
        );
    }
    // ...and an overflow is an error on both, not NULL on one.
    for big in ["exp(1000)", "pow(10, 400)"] {
        let q = UserQuery {
            select: format!("objectId, {big} AS big"),
            ..UserQuery::default()
        };
        for db in [&mut *maria, &mut lite] {
            let sql = compile(&q, &ZTF, db.dialect(), &Limits::default())
                .expect("compiles")
                .sql;
            let err = db
                .query_readonly(&sql, Duration::from_secs(10))
                .expect_err(big);
            assert!(err.to_string().contains("out of range"), "{big}: {err}");
        }
    }
}

/// More rows than one INSERT takes still land in one transaction.
fn big_batches_are_chunked(db: &mut Db) {
    let rows: Vec<Vec<Value>> = (0..2500)
        .map(|i| vec![Value::Int(7), format!("ZTFbig{i:05}").into()])
        .collect();
    db.upsert("area_hits", &["ar_id", "objectId"], &rows)
        .expect("2,500 rows");
    db.upsert("area_hits", &["ar_id", "objectId"], &rows)
        .expect("again");
    let count = db
        .query_readonly(
            "SELECT COUNT(*) FROM area_hits WHERE ar_id = 7",
            Duration::from_secs(5),
        )
        .expect("count");
    assert_eq!(count.rows, [vec![Value::Int(2500)]]);
}

//! The database layer on SQLite files: schema, migrations, upserts and read-only queries.

mod common;

use std::time::Duration;

use lasair_db::{Db, DbError, Value};

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("lasair.db").display());
    (dir, url)
}

#[test]
fn opening_twice_keeps_the_schema_and_the_rows() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("first open");
    common::load(&mut db);
    drop(db);
    let mut db = Db::open(&url).expect("second open");
    let rows = db
        .query_readonly("SELECT version FROM schema_version", Duration::from_secs(1))
        .expect("version");
    assert_eq!(rows.rows, [vec![Value::Int(lasair_db::schema::VERSION)]]);
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM objects", Duration::from_secs(1))
        .expect("count");
    assert_eq!(rows.rows, [vec![Value::Int(4)]]);
}

#[test]
fn a_version_3_database_gains_the_columns_and_tables_of_versions_4_and_6() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    db.upsert(
        "filters",
        &["mq_id", "name"],
        &[vec![5.into(), "old".into()]],
    )
    .expect("a filter");
    drop(db);
    let path = url.trim_start_matches("sqlite:");
    let conn = rusqlite::Connection::open(path).expect("raw open");
    for (table, column, _) in lasair_db::service::ADDED {
        conn.execute(&format!("ALTER TABLE {table} DROP COLUMN {column}"), [])
            .expect("drop");
    }
    for (table, _) in lasair_db::service::CREATED {
        conn.execute(&format!("DROP TABLE {table}"), [])
            .expect("drop");
    }
    conn.execute("UPDATE schema_version SET version = 3", [])
        .expect("back to 3");
    drop(conn);
    let mut db = Db::open(&url).expect("migrated");
    let rows = db
        .query_readonly("SELECT name, run FROM filters", Duration::from_secs(1))
        .expect("the new column");
    assert_eq!(rows.rows, [vec![Value::from("old"), Value::Null]]);
    db.upsert(
        "users",
        &["id", "username", "api_class"],
        &[vec![1.into(), "ada".into(), "power".into()]],
    )
    .expect("written");
    db.upsert(
        "tns",
        &["tns_name", "tns_prefix"],
        &[vec!["2026abc".into(), "AT".into()]],
    )
    .expect("the TNS copy of version 6");
    db.upsert(
        "crossmatch_tns",
        &["objectId", "tns_name", "reporters"],
        &[vec![
            "ZTF26a".into(),
            "2026abc".into(),
            "A. N. Other".into(),
        ]],
    )
    .expect("the TNS columns of version 6");
}

#[test]
fn a_version_6_database_gains_the_gravitational_wave_tables_of_version_7() {
    let (_dir, url) = temp_db();
    drop(Db::open(&url).expect("open"));
    let path = url.trim_start_matches("sqlite:");
    let conn = rusqlite::Connection::open(path).expect("raw open");
    for table in ["mma_areas", "mma_area_hits"] {
        conn.execute(&format!("DROP TABLE {table}"), [])
            .expect("drop");
    }
    // Columns of later versions, as a version 6 database lacks them.
    for (table, column, v) in lasair_db::service::ADDED {
        if *v > 6 {
            conn.execute(&format!("ALTER TABLE {table} DROP COLUMN {column}"), [])
                .expect("drop column");
        }
    }
    conn.execute("UPDATE schema_version SET version = 6", [])
        .expect("back to 6");
    drop(conn);
    let mut db = Db::open(&url).expect("migrated");
    let id = db
        .insert(
            "mma_areas",
            &["otherId", "event_tai"],
            &["S200129m".into(), 58877.3.into()],
        )
        .expect("a map");
    // Two maps of one object are two rows (Lasair's key allowed one).
    let hits = [id, id + 1].map(|m| vec![m.into(), "ZTF20aaa".into(), 0.5.into()]);
    db.upsert("mma_area_hits", &["mw_id", "objectId", "contour"], &hits)
        .expect("hits");
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM mma_area_hits", Duration::from_secs(1))
        .expect("count");
    assert_eq!(rows.rows, [vec![Value::Int(2)]]);
    let conn = rusqlite::Connection::open(path).expect("raw open");
    let indexes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('idx_mma_areas_otherId', 'idx_mma_areas_event_tai', 'idx_mma_area_hits_objectId')",
            [],
            |r| r.get(0),
        )
        .expect("indexes");
    assert_eq!(indexes, 3);
}

#[test]
fn a_newer_schema_is_refused() {
    let (_dir, url) = temp_db();
    drop(Db::open(&url).expect("open"));
    let path = url.trim_start_matches("sqlite:");
    let conn = rusqlite::Connection::open(path).expect("raw open");
    conn.execute("UPDATE schema_version SET version = 99", [])
        .expect("bump");
    drop(conn);
    let err = Db::open(&url).expect_err("newer schema");
    assert!(
        matches!(err, DbError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    let err = Db::open_readonly(&url).expect_err("newer schema, read-only");
    assert!(err.to_string().contains("99"), "{err}");
}

#[test]
fn upserting_the_same_batch_twice_leaves_the_same_rows() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::upsert_is_idempotent(&mut db);
    common::older_rows_never_replace_newer(&mut db);
    common::added_columns_sum(&mut db);
}

#[test]
fn compiled_filters_give_the_expected_rows() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::load(&mut db);
    common::filters_give_the_expected_rows(&mut db);
    // The same through a separately opened read-only database.
    let mut ro = Db::open_readonly(&url).expect("open read-only");
    common::filters_give_the_expected_rows(&mut ro);
}

#[test]
fn the_read_only_path_refuses_writes() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::load(&mut db);
    common::writes_fail_read_only(&mut db);
    let mut ro = Db::open_readonly(&url).expect("open read-only");
    common::writes_fail_read_only(&mut ro);
    let err = ro.upsert(
        "area_hits",
        &["ar_id", "objectId"],
        &[vec![Value::Int(1), "x".into()]],
    );
    assert!(err.is_err(), "upsert through a read-only Db");
}

#[test]
fn a_slow_query_times_out() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::load(&mut db);
    common::slow_query_times_out(&mut db);
}

#[test]
fn memory_databases_share_data_with_their_read_only_connection() {
    let mut db = Db::open("sqlite::memory:").expect("open");
    common::load(&mut db);
    common::filters_give_the_expected_rows(&mut db);
    common::writes_fail_read_only(&mut db);
    let mut other = Db::open("sqlite::memory:").expect("open another");
    let rows = other
        .query_readonly("SELECT COUNT(*) FROM objects", Duration::from_secs(1))
        .expect("count");
    assert_eq!(
        rows.rows,
        [vec![Value::Int(0)]],
        "memory databases are private"
    );
}

#[test]
fn math_functions_are_registered() {
    let mut db = Db::open("sqlite::memory:").expect("open");
    let rows = db
        .query_readonly("SELECT LOG10(1000), SQRT(-1)", Duration::from_secs(1))
        .expect("math");
    assert_eq!(rows.rows, [vec![Value::Real(3.0), Value::Null]]);
}

#[test]
fn service_tables_take_assigned_and_given_ids() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::service_tables_work(&mut db);
    common::delete_where_takes_only_matching_rows(&mut db);
}

#[test]
fn a_version_1_database_is_migrated_to_the_service_tables() {
    let (_dir, url) = temp_db();
    let mut db = Db::open(&url).expect("open");
    common::load(&mut db);
    drop(db);
    let conn = rusqlite::Connection::open(url.trim_start_matches("sqlite:")).expect("raw open");
    for (t, _) in lasair_db::service::SERVICE_TABLES {
        conn.execute(&format!("DROP TABLE {}", t.name), [])
            .expect("drop");
    }
    // The catalogue's tables as version 1 made them.
    for (t, c, _) in lasair_db::service::ADDED {
        if lasair_db::service::table(t).is_none() {
            conn.execute(&format!("ALTER TABLE {t} DROP COLUMN {c}"), [])
                .expect("drop column");
        }
    }
    conn.execute("UPDATE schema_version SET version = 1", [])
        .expect("back to 1");
    drop(conn);
    let mut db = Db::open(&url).expect("migrate");
    common::service_tables_work(&mut db);
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM objects", Duration::from_secs(1))
        .expect("count");
    assert_eq!(rows.rows, [vec![Value::Int(4)]], "version 1 data kept");
}

#[test]
fn a_database_of_one_survey_is_refused_as_the_other() {
    let (_dir, url) = temp_db();
    drop(Db::open(&url).expect("a ZTF database"));
    let err = Db::open_with(&url, &lasair_sql::catalog::LSST, false).expect_err("opened as LSST");
    let text = err.to_string();
    assert!(
        text.contains("LSST") && text.contains("diaObjectId"),
        "{text}"
    );
    assert!(Db::open_readonly(&url).is_ok(), "still a good ZTF database");

    let (_dir, url) = temp_db();
    drop(Db::open_with(&url, &lasair_sql::catalog::LSST, false).expect("an LSST database"));
    let err = Db::open_readonly(&url).expect_err("opened as ZTF");
    assert!(err.to_string().contains("objectId"), "{err}");
}

#[test]
fn a_version_9_lsst_database_gains_htm16_and_the_dia_object_fields() {
    let (_dir, url) = temp_db();
    let lsst = &lasair_sql::catalog::LSST;
    drop(Db::open_with(&url, lsst, false).expect("an LSST database"));
    let path = url.trim_start_matches("sqlite:");
    let conn = rusqlite::Connection::open(path).expect("raw open");
    conn.execute("DROP INDEX idx_objects_htm16", [])
        .expect("drop index");
    for (table, column, v) in lasair_db::service::added_to(lsst) {
        if v == 10 {
            conn.execute(&format!("ALTER TABLE {table} DROP COLUMN {column}"), [])
                .expect("drop column");
        }
    }
    conn.execute("UPDATE schema_version SET version = 9", [])
        .expect("back to 9");
    drop(conn);
    let mut db = Db::open_with(&url, lsst, false).expect("migrated");
    common::lsst_full_row(&mut db);
    drop(db);
    let conn = rusqlite::Connection::open(path).expect("raw open");
    let indexed: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'idx_objects_htm16'",
            [],
            |r| r.get(0),
        )
        .expect("index list");
    assert_eq!(indexed, 1, "htm16 is indexed, as Lasair's is");
}

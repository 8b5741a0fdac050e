//! Realistic Lasair filters compile for both dialects and, on SQLite, return the rows
//! worked out by hand from the fixture below. The database is lasair-db's own (its schema, its
//! math functions, its read-only query path), so these tests run what production runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lasair_db::{Db, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Dialect, Limits, UserQuery};
use rusqlite::Connection;

fn jd_now() -> f64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("test setup")
        .as_secs_f64();
    secs / 86400.0 + 2440587.5
}

/// The main database with the fixture rows; the temporary folder lives as long as the Db.
fn database() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("test setup");
    let path = dir.path().join("lasair.db");
    drop(Db::open(&format!("sqlite:{}", path.display())).expect("schema"));
    let db = Connection::open(&path).expect("test setup");
    let now = jd_now();
    let objects = "INSERT INTO objects (objectId, ncand, ncandgp, jdmax, gmag, rmag, dmdt_g) \
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    for (id, ncandgp, age, gmag, rmag, dmdt_g) in [
        ("ZTF1", 5, 1.0, 18.5, 18.0, -0.5),
        ("ZTF2", 2, 1.0, 19.5, 19.0, -0.1),
        ("ZTF3", 4, 30.0, 18.8, 18.9, -0.6),
        ("ZTF4", 10, 2.0, 17.0, 17.5, -1.2),
    ] {
        let params = rusqlite::params![id, ncandgp + 1, ncandgp, now - age, gmag, rmag, dmdt_g];
        db.execute(objects, params).expect("test setup");
    }
    for (id, class) in [
        ("ZTF1", "SN"),
        ("ZTF2", "SN"),
        ("ZTF3", "NT"),
        ("ZTF4", "VS"),
    ] {
        let sql = "INSERT INTO sherlock_classifications (objectId, classification) VALUES (?1, ?2)";
        db.execute(sql, [id, class]).expect("test setup");
    }
    for (wl, cone, id, arcsec, name) in [
        (12, 1, "ZTF1", 1.5, "M31 knot"),
        (13, 2, "ZTF2", 0.5, "other"),
        (12, 3, "ZTF3", 2.0, "far"),
    ] {
        let sql = "INSERT INTO watchlist_hits VALUES (?1, ?2, ?3, ?4, ?5)";
        db.execute(sql, rusqlite::params![wl, cone, id, arcsec, name])
            .expect("test setup");
    }
    for (id, topic, class) in [
        ("ZTF4", "fastfinder", "fast"),
        ("ZTF1", "other", "fast"),
        ("ZTF2", "fastfinder", "slow"),
    ] {
        let sql = "INSERT INTO annotations (objectId, topic, classification) VALUES (?1, ?2, ?3)";
        db.execute(sql, [id, topic, class]).expect("test setup");
    }
    drop(db);
    let reader = Db::open_readonly(&format!("sqlite:{}", path.display())).expect("read-only");
    (dir, reader)
}

fn query(select: &str, tables: &str, conditions: &str) -> UserQuery {
    UserQuery {
        select: select.into(),
        tables: tables.into(),
        conditions: conditions.into(),
        ..UserQuery::default()
    }
}

/// Compiles for both dialects (both must succeed) and runs the SQLite one.
fn run(q: &UserQuery) -> (Vec<String>, Vec<Vec<Value>>) {
    let limits = Limits::default();
    let maria = compile(q, &ZTF, Dialect::MariaDb, &limits).expect("test setup");
    assert!(maria.sql.is_ascii(), "{}", maria.sql);
    let compiled = compile(q, &ZTF, Dialect::Sqlite, &limits).expect("test setup");
    assert!(compiled.sql.is_ascii(), "{}", compiled.sql);
    let (_dir, mut db) = database();
    let rows = db
        .query_readonly(&compiled.sql, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{}: {e}", compiled.sql));
    assert_eq!(
        rows.columns.len(),
        compiled.columns.len(),
        "{}",
        compiled.sql
    );
    (compiled.columns, rows.rows)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn sn_like_candidates_near_galaxies() {
    let q = query(
        "objects.objectId, objects.gmag, sherlock_classifications.classification",
        "objects, sherlock_classifications",
        "objects.ncandgp >= 3 AND objects.jdmax > jdnow() - 7 \
         AND sherlock_classifications.classification IN ('SN', 'NT')",
    );
    let (columns, rows) = run(&q);
    assert_eq!(columns, ["objectId", "gmag", "classification"]);
    assert_eq!(rows, [vec![text("ZTF1"), Value::Real(18.5), text("SN")]]);
}

#[test]
fn fast_risers_ordered_as_lasair_users_write_it() {
    let q = query(
        "objectId, dmdt_g, gmag - rmag AS colour",
        "objects",
        "dmdt_g < -0.4 AND gmag < 19 AND jdmax > mjdnow() + 2400000.5 - 7 ORDER BY dmdt_g",
    );
    let (columns, rows) = run(&q);
    assert_eq!(columns, ["objectId", "dmdt_g", "colour"]);
    assert_eq!(
        rows,
        [
            vec![text("ZTF4"), Value::Real(-1.2), Value::Real(-0.5)],
            vec![text("ZTF1"), Value::Real(-0.5), Value::Real(0.5)]
        ]
    );
    let mut by_alias = query("objectId, gmag - rmag AS colour", "objects", "");
    by_alias.order_by = Some("colour DESC, objectId".into());
    let ids: Vec<Value> = run(&by_alias).1.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        ids,
        [text("ZTF1"), text("ZTF2"), text("ZTF3"), text("ZTF4")]
    );
}

#[test]
fn a_watchlist_entry_narrows_to_that_watchlist() {
    let q = query(
        "objects.objectId, watchlist_hits.name, watchlist_hits.arcsec",
        "objects, watchlist:12",
        "watchlist_hits.arcsec < 1.8",
    );
    // ZTF2 is 0.5" from a cone, but of watchlist 13.
    assert_eq!(
        run(&q).1,
        [vec![text("ZTF1"), text("M31 knot"), Value::Real(1.5)]]
    );
}

#[test]
fn an_annotator_entry_narrows_to_its_topic() {
    let q = query(
        "objectId, annotations.classification",
        "annotator:fastfinder",
        "",
    );
    let (_, mut rows) = run(&q);
    rows.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        rows,
        [
            vec![text("ZTF2"), text("slow")],
            vec![text("ZTF4"), text("fast")]
        ]
    );
    let q = query(
        "objectId",
        "objects, annotator:fastfinder",
        "annotations.classification = 'fast'",
    );
    assert_eq!(run(&q).1, [vec![text("ZTF4")]]);
}

#[test]
fn functions_render_to_what_sqlite_computes() {
    let q = query(
        "flux2mag(3631e9) AS zero, log(10) AS ln10, log(2, 8) AS three, least(3, 1, 2) AS one, \
         greatest(3, 1, 2) AS big, if(ncand > 1, 'many', 'one') AS word, pow(2, 10) AS p, \
         7 / 2 AS half, 7.5 % 2 AS rest, CAST(gmag AS INTEGER) AS g, abs(dmdt_g) AS a, \
         round(atan2(1, 1) * 4, 4) AS pi, mjdnow() - jdnow() AS offset",
        "objects",
        "objectId = 'ZTF1' AND gmag BETWEEN 18 AND 19 AND rmag IS NOT NULL AND objectId LIKE 'ZTF%'",
    );
    let (_, rows) = run(&q);
    let [row] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    let real = |v: &Value| match v {
        Value::Real(x) => *x,
        Value::Int(n) => *n as f64,
        other => panic!("{other:?}"),
    };
    let expect = [
        0.0,
        10f64.ln(),
        3.0,
        1.0,
        3.0,
        f64::NAN,
        1024.0,
        3.5,
        1.5,
        18.0,
        0.5,
        std::f64::consts::PI,
        -2400000.5,
    ];
    for (i, (got, want)) in row.iter().zip(expect).enumerate() {
        if i == 5 {
            assert_eq!(got, &text("many"));
        } else {
            assert!(
                (real(got) - want).abs() < 0.01,
                "column {i}: {got:?} != {want}"
            );
        }
    }
}

#[test]
fn limit_offset_and_stars() {
    let mut q = query("objectId", "objects", "ORDER BY objectId DESC");
    (q.limit, q.offset) = (Some(2), Some(1));
    assert_eq!(run(&q).1, [vec![text("ZTF3")], vec![text("ZTF2")]]);
    let (columns, rows) = run(&query(
        "*",
        "objects, sherlock_classifications",
        "ncandgp > 4",
    ));
    assert_eq!(
        columns.len(),
        ZTF.tables[0].columns.len() + ZTF.tables[1].columns.len()
    );
    assert_eq!(rows.len(), 2);
    let (columns, _) = run(&query(
        "sherlock_classifications.*",
        "sherlock_classifications",
        "",
    ));
    assert_eq!(columns[1], "classification");
}

#[test]
fn mariadb_rendering() {
    let q = query(
        "objects.objectId, objects.gmag AS g",
        "objects, sherlock_classifications, watchlist:12",
        "objects.jdmax > jdnow() - 7 AND classification = 'S''N' ORDER BY g DESC",
    );
    let sql = compile(&q, &ZTF, Dialect::MariaDb, &Limits::default())
        .expect("test setup")
        .sql;
    assert_eq!(
        sql,
        "SELECT `objects`.`objectId`, `objects`.`gmag` AS `g` FROM `objects` \
         JOIN `sherlock_classifications` ON `sherlock_classifications`.`objectId` = `objects`.`objectId` \
         JOIN `watchlist_hits` ON `watchlist_hits`.`objectId` = `objects`.`objectId` AND `watchlist_hits`.`wl_id` = 12 \
         WHERE ((`objects`.`jdmax` > ((UNIX_TIMESTAMP(NOW(6)) / 86400.0 + 2440587.5) - 7)) \
         AND (`sherlock_classifications`.`classification` = 'S''N')) ORDER BY `g` DESC LIMIT 10000"
    );
}

#[test]
fn quote_tricks_stay_inside_their_string() {
    for trick in [
        "objectId = 'ZTF1'' OR ''1''=''1'",
        "objectId = 'x'' UNION SELECT objectId FROM objects WHERE ''1''=''1'",
        "objectId LIKE '%'' OR 1=1 OR ''%'",
        "objectId = \"ZTF1\"\" OR \"\"1\"\"=\"\"1\"",
    ] {
        let (_, rows) = run(&query("objectId", "objects", trick));
        assert!(rows.is_empty(), "{trick}: {rows:?}");
    }
}

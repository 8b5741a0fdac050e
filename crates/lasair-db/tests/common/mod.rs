//! The fixture and the checks both backends' tests run: the same batch, the same compiled
//! filters, the same rows expected (worked out by hand below).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lasair_db::{Db, DbError, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Dialect, Limits, UserQuery};

/// The Julian date at the first call: the same in every load, so reloads are identical.
pub fn jd_now() -> f64 {
    static NOW: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *NOW.get_or_init(jd_now_uncached)
}

fn jd_now_uncached() -> f64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64();
    secs / 86400.0 + 2440587.5
}

/// Four objects: ZTF1 a young bright SN candidate, ZTF2 a faint SN, ZTF3 an old nuclear
/// transient, ZTF4 a fast-rising variable star on a watchlist and in TNS.
pub fn load(db: &mut Db) {
    let now = jd_now();
    let cols = [
        "objectId", "ncandgp", "jdmax", "gmag", "rmag", "dmdt_g", "ramean", "decmean",
    ];
    let objects: Vec<Vec<Value>> = [
        ("ZTF1", 5, 1.0, 18.5, 18.0, -0.5, 10.0, 20.0),
        ("ZTF2", 2, 1.0, 19.5, 19.0, -0.1, 11.0, 21.0),
        ("ZTF3", 4, 30.0, 18.75, 18.875, -0.625, 12.0, -5.0),
        ("ZTF4", 10, 2.0, 17.0, 17.5, -1.25, 13.0, 45.0),
    ]
    .into_iter()
    .map(|(id, n, age, g, r, dmdt, ra, dec)| {
        vec![
            id.into(),
            Value::Int(n),
            (now - age).into(),
            g.into(),
            r.into(),
            dmdt.into(),
            ra.into(),
            dec.into(),
        ]
    })
    .collect();
    db.upsert("objects", &cols, &objects).expect("objects");
    let sherlock: Vec<Vec<Value>> = [
        ("ZTF1", "SN"),
        ("ZTF2", "SN"),
        ("ZTF3", "NT"),
        ("ZTF4", "VS"),
    ]
    .into_iter()
    .map(|(id, c)| vec![id.into(), c.into()])
    .collect();
    db.upsert(
        "sherlock_classifications",
        &["objectId", "classification"],
        &sherlock,
    )
    .expect("sherlock");
    let hits = vec![vec![
        Value::Int(12),
        Value::Int(1),
        "ZTF4".into(),
        1.5.into(),
        "M31 knot".into(),
    ]];
    db.upsert(
        "watchlist_hits",
        &["wl_id", "cone_id", "objectId", "arcsec", "name"],
        &hits,
    )
    .expect("watchlist_hits");
    let tns = vec![vec!["ZTF4".into(), "2024abc".into(), "AT".into()]];
    db.upsert(
        "crossmatch_tns",
        &["objectId", "tns_name", "tns_prefix"],
        &tns,
    )
    .expect("crossmatch_tns");
    let ann = vec![vec!["ZTF1".into(), "fastfinder".into(), "fast".into()]];
    db.upsert(
        "annotations",
        &["objectId", "topic", "classification"],
        &ann,
    )
    .expect("annotations");
}

fn everything(db: &mut Db) -> Vec<Vec<Value>> {
    let mut all = Vec::new();
    for t in ZTF.tables {
        let sql = format!("SELECT * FROM {} ORDER BY 1, 2", t.name);
        let rows = db
            .query_readonly(&sql, Duration::from_secs(10))
            .expect("select *");
        all.push(vec![
            Value::Text(t.name.into()),
            Value::Int(rows.rows.len() as i64),
        ]);
        all.extend(rows.rows);
    }
    all
}

/// Loading the same batch twice (and a changed row once) leaves the rows one load gives.
pub fn upsert_is_idempotent(db: &mut Db) {
    load(db);
    let once = everything(db);
    load(db);
    assert_eq!(everything(db), once);
    assert_eq!(once[0][0], Value::Text("objects".into()));
    assert_eq!(once[0][1], Value::Int(4));
    let update = vec![vec![Value::from("ZTF2"), Value::Null]];
    db.upsert("objects", &["objectId", "gmag"], &update)
        .expect("update");
    let sql = "SELECT gmag, rmag FROM objects WHERE objectId = 'ZTF2'";
    let rows = db
        .query_readonly(sql, Duration::from_secs(5))
        .expect("select");
    assert_eq!(rows.rows, [vec![Value::Null, Value::Real(19.0)]]);
    load(db);
}

/// Realistic Lasair filters, compiled for `db`'s dialect, and the rows they must give.
pub fn filters_give_the_expected_rows(db: &mut Db) {
    let run = |db: &mut Db, select: &str, tables: &str, conditions: &str| {
        let q = UserQuery {
            select: select.into(),
            tables: tables.into(),
            conditions: conditions.into(),
            ..UserQuery::default()
        };
        let compiled = compile(&q, &ZTF, db.dialect(), &Limits::default()).expect("compiles");
        let rows = db
            .query_readonly(&compiled.sql, Duration::from_secs(10))
            .expect("runs");
        rows.rows
    };
    // SN-like candidates seen in the last week with at least 3 detections.
    let sn = run(
        db,
        "objects.objectId, objects.gmag, sherlock_classifications.classification",
        "objects, sherlock_classifications",
        "sherlock_classifications.classification = 'SN' AND objects.ncandgp >= 3 \
         AND objects.jdmax > jdnow() - 7 ORDER BY objects.objectId",
    );
    assert_eq!(sn, [vec!["ZTF1".into(), 18.5.into(), "SN".into()]]);
    // Fast risers, brightest first, with a colour.
    let fast = run(
        db,
        "objectId, dmdt_g, gmag - rmag AS colour, ncandgp",
        "objects",
        "dmdt_g < -0.4 ORDER BY gmag",
    );
    let expect: Vec<Vec<Value>> = vec![
        vec!["ZTF4".into(), (-1.25).into(), (-0.5).into(), Value::Int(10)],
        vec!["ZTF1".into(), (-0.5).into(), 0.5.into(), Value::Int(5)],
        vec![
            "ZTF3".into(),
            (-0.625).into(),
            (-0.125).into(),
            Value::Int(4),
        ],
    ];
    assert_eq!(fast, expect);
    // Watchlist hits that TNS knows.
    let wl = run(
        db,
        "objects.objectId, watchlist_hits.name, crossmatch_tns.tns_name",
        "objects, watchlist:12, crossmatch_tns",
        "objects.decmean > 0",
    );
    assert_eq!(
        wl,
        [vec!["ZTF4".into(), "M31 knot".into(), "2024abc".into()]]
    );
}

/// The read-only path refuses every write.
pub fn writes_fail_read_only(db: &mut Db) {
    for sql in [
        "DELETE FROM objects",
        "UPDATE objects SET gmag = 1",
        "INSERT INTO area_hits (ar_id, objectId) VALUES (1, 'x')",
        "DROP TABLE objects",
    ] {
        let err = db.query_readonly(sql, Duration::from_secs(5));
        assert!(err.is_err(), "{sql} ran: {err:?}");
    }
    let rows = db
        .query_readonly("SELECT COUNT(*) FROM objects", Duration::from_secs(5))
        .expect("count");
    assert_eq!(rows.rows, [vec![Value::Int(4)]]);
}

/// A heavy statement is stopped at the limit with `DbError::Timeout`.
pub fn slow_query_times_out(db: &mut Db) {
    // SQLite: a long recursive count. MariaDB caps recursion (max_recursive_iterations), and
    // the read-only account may not read the sequence engine's tables (it is granted the
    // user-visible tables only), so a ten-fold cross join of a ten-row derived table.
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10000000000) \
             SELECT COUNT(*) FROM r"
        }
        Dialect::MariaDb => {
            "WITH d AS (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
             UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 \
             UNION ALL SELECT 8 UNION ALL SELECT 9) SELECT COUNT(*) FROM d a, d b, d c, d e, \
             d f, d g, d h, d i, d j, d k WHERE a.n + b.n + c.n + e.n + f.n + g.n + h.n + i.n \
             + j.n + k.n = 1000"
        }
    };
    let limit = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = db.query_readonly(sql, limit).expect_err("must time out");
    assert!(matches!(err, DbError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("time limit"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // The connection is usable afterwards.
    let rows = db.query_readonly("SELECT 1", limit).expect("after timeout");
    assert_eq!(rows.rows, [vec![Value::Int(1)]]);
}

/// Service tables: ids given as NULL are assigned; rows with ids upsert idempotently.
pub fn service_tables_work(db: &mut Db) {
    let users = ["id", "username", "email"];
    for name in ["ada", "bob"] {
        let row = vec![
            Value::Null,
            name.into(),
            format!("{name}@example.org").into(),
        ];
        db.upsert("users", &users, &[row]).expect("new user");
    }
    let sql = "SELECT id, username FROM users ORDER BY username";
    let rows = db
        .query_readonly(sql, Duration::from_secs(5))
        .expect("users")
        .rows;
    assert_eq!(rows.len(), 2);
    let ids: Vec<&Value> = rows.iter().map(|r| &r[0]).collect();
    assert!(
        matches!(ids[..], [Value::Int(a), Value::Int(b)] if a != b),
        "{ids:?}"
    );
    let wl = vec![vec![
        Value::Int(12),
        ids[0].clone(),
        "my stars".into(),
        2.0.into(),
    ]];
    let cols = ["wl_id", "user_id", "name", "radius"];
    db.upsert("watchlists", &cols, &wl).expect("watchlist");
    db.upsert("watchlists", &cols, &wl)
        .expect("watchlist again");
    let sql = "SELECT wl_id, name, radius FROM watchlists";
    let rows = db
        .query_readonly(sql, Duration::from_secs(5))
        .expect("watchlists")
        .rows;
    assert_eq!(rows, [vec![Value::Int(12), "my stars".into(), 2.0.into()]]);
}

/// An object's row is replaced by a newer alert's, never by an older one's.
pub fn older_rows_never_replace_newer(db: &mut Db) {
    let cols = ["objectId", "jdmax", "gmag"];
    let put = |db: &mut Db, jd: Value, gmag: f64| {
        db.upsert_newer(
            "objects",
            &cols,
            &[vec!["ZTFnewer1".into(), jd, gmag.into()]],
            "jdmax",
        )
        .expect("upsert_newer");
    };
    let gmag = |db: &mut Db| {
        let rows = db
            .query_readonly(
                "SELECT gmag, jdmax FROM objects WHERE objectId = 'ZTFnewer1'",
                Duration::from_secs(5),
            )
            .expect("read back");
        rows.rows[0].clone()
    };
    put(db, Value::Null, 21.0);
    put(db, 10.0.into(), 18.0);
    assert_eq!(
        gmag(db),
        [Value::Real(18.0), Value::Real(10.0)],
        "NULL is older"
    );
    put(db, 9.0.into(), 20.0);
    assert_eq!(
        gmag(db),
        [Value::Real(18.0), Value::Real(10.0)],
        "older kept out"
    );
    put(db, 10.0.into(), 19.0);
    assert_eq!(
        gmag(db),
        [Value::Real(19.0), Value::Real(10.0)],
        "the same alert again"
    );
    put(db, 11.0.into(), 17.0);
    assert_eq!(
        gmag(db),
        [Value::Real(17.0), Value::Real(11.0)],
        "newer wins"
    );
    let err = db.upsert_newer("objects", &["objectId", "gmag"], &[], "jdmax");
    assert!(err.is_err(), "the ordering column must be given");
}

/// Counts kept as they grow: the added column sums, the others are replaced, a new row takes
/// its value as given; the added column must be a non-key column given.
pub fn added_columns_sum(db: &mut Db) {
    let cols = ["name", "value", "updated"];
    let add = |db: &mut Db, rows: &[(&str, f64, &str)]| {
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|(n, v, u)| vec![(*n).into(), (*v).into(), (*u).into()])
            .collect();
        db.upsert_adding("statistics", &cols, &rows, "value")
            .expect("upsert_adding");
    };
    add(
        db,
        &[("night.x.alerts", 3.0, "t1"), ("night.x.bad", 1.0, "t1")],
    );
    add(db, &[("night.x.alerts", 4.5, "t2")]);
    let rows = db
        .query_readonly(
            "SELECT name, value, updated FROM statistics WHERE name LIKE 'night.x.%' ORDER BY name",
            Duration::from_secs(5),
        )
        .expect("read back");
    assert_eq!(
        rows.rows,
        [
            vec!["night.x.alerts".into(), Value::Real(7.5), "t2".into()],
            vec!["night.x.bad".into(), Value::Real(1.0), "t1".into()],
        ]
    );
    assert!(
        db.upsert_adding("statistics", &cols, &[], "name").is_err(),
        "a key column is not added to"
    );
}

/// Deleting by a column takes exactly the matching rows, and names must be the catalogue's.
pub fn delete_where_takes_only_matching_rows(db: &mut Db) {
    let cols = ["cone_id", "wl_id", "name", "ra", "decl"];
    let cone = |id: i64, wl: i64| vec![id.into(), wl.into(), "c".into(), 1.0.into(), 2.0.into()];
    db.upsert(
        "watchlist_cones",
        &cols,
        &[cone(9901, 901), cone(9902, 901), cone(9903, 902)],
    )
    .expect("cones");
    let gone = db
        .delete_where("watchlist_cones", "wl_id", &Value::Int(901))
        .expect("delete");
    assert_eq!(gone, 2);
    let left = db
        .query_readonly(
            "SELECT cone_id FROM watchlist_cones WHERE wl_id IN (901, 902) ORDER BY cone_id",
            Duration::from_secs(5),
        )
        .expect("read back");
    assert_eq!(left.rows, [vec![Value::Int(9903)]]);
    assert!(db
        .delete_where("watchlist_cones; DROP", "wl_id", &Value::Int(1))
        .is_err());
    assert!(db
        .delete_where("watchlist_cones", "1=1 OR wl_id", &Value::Int(1))
        .is_err());
    db.delete_where("watchlist_cones", "wl_id", &Value::Int(902))
        .expect("tidy");
}

/// An LSST database of schema version 10 keeps Lasair-LSST's whole objects row: htm16 and the
/// diaObject's own fields are written and filtered on.
pub fn lsst_full_row(db: &mut Db) {
    let cols = [
        "diaObjectId",
        "ra",
        "decl",
        "lastDiaSourceMjdTai",
        "htm16",
        "decErr",
        "g_psfFluxErrMean",
        "g_psfFluxNdata",
    ];
    let rows: Vec<Vec<Value>> = [(1_i64, 30.0), (2, 80.0), (3, 55.0)]
        .iter()
        .map(|&(id, err)| {
            vec![
                Value::Int(id),
                Value::Real(10.0),
                Value::Real(-20.0),
                Value::Real(61_000.0),
                Value::Int(35_000_000_000 + id),
                Value::Real(1e-5),
                Value::Real(err),
                Value::Int(4),
            ]
        })
        .collect();
    db.upsert("objects", &cols, &rows).expect("LSST rows");
    let found = db
        .query_readonly(
            "SELECT diaObjectId, htm16 FROM objects WHERE g_psfFluxErrMean < 60 AND g_psfFluxNdata = 4 ORDER BY diaObjectId",
            Duration::from_secs(5),
        )
        .expect("a filter on the new columns");
    assert_eq!(
        found.rows,
        [
            vec![Value::Int(1), Value::Int(35_000_000_001)],
            vec![Value::Int(3), Value::Int(35_000_000_003)],
        ]
    );
}

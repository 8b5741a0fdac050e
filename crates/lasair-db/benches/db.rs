//! The main database benchmark: bulk load of synthetic objects with realistic distributions,
//! the upsert of one 10,000-row batch, and the latency of typical users' queries (compiled by
//! lasair-sql), on SQLite and, when LASAIR_BENCH_MYSQL names one, on MariaDB.
//!
//! `cargo bench -p lasair-db` (LASAIR_BENCH_OBJECTS=10000000 for the full size).
//! Prints figures; asserts nothing about time.

use std::time::{Duration, Instant};

use lasair_db::{Db, Value};
use lasair_sql::{catalog, compile, Limits, UserQuery};

const BATCH: usize = 10_000;
const CLASSES: [&str; 6] = ["SN", "NT", "VS", "AGN", "ORPHAN", "CV"];

use lasair_testdata::Rng;

fn object_rows(rng: &mut Rng, from: usize, n: usize, shift: f64) -> Vec<Vec<Value>> {
    (from..from + n)
        .map(|i| {
            let ra = rng.unit() * 360.0;
            // Uniform on the sphere between Dec -30 and +90, as ZTF sees it.
            let dec = (rng.unit() * 1.5 - 0.5).asin().to_degrees();
            let jdmax = 2_460_000.5 + rng.unit() * 730.0 + shift;
            let ncandgp = (-(rng.unit().max(1e-12)).ln() * 4.0) as i64 + 1;
            let gmag = 15.0 + rng.unit() * 6.5;
            vec![
                Value::Text(format!("ZTF{:09}", i)),
                ra.into(),
                dec.into(),
                (jdmax - rng.unit() * 60.0).into(),
                jdmax.into(),
                ncandgp.into(),
                gmag.into(),
                (gmag - 0.3 + rng.unit() * 0.6).into(),
            ]
        })
        .collect()
}

const OBJECT_COLUMNS: [&str; 8] = [
    "objectId", "ramean", "decmean", "jdmin", "jdmax", "ncandgp", "gmag", "rmag",
];

fn load(db: &mut Db, objects: usize) -> Duration {
    let mut rng = Rng(42);
    let start = Instant::now();
    for from in (0..objects).step_by(BATCH) {
        let n = BATCH.min(objects - from);
        let rows = object_rows(&mut rng, from, n, 0.0);
        db.upsert("objects", &OBJECT_COLUMNS, &rows)
            .expect("objects");
        // One object in ten has a Sherlock context, as only some have a catalogue match.
        let sherlock: Vec<Vec<Value>> = (from..from + n)
            .step_by(10)
            .map(|i| {
                vec![
                    Value::Text(format!("ZTF{i:09}")),
                    CLASSES[i % CLASSES.len()].into(),
                ]
            })
            .collect();
        db.upsert(
            "sherlock_classifications",
            &["objectId", "classification"],
            &sherlock,
        )
        .expect("sherlock");
    }
    start.elapsed()
}

const QUERIES: [(&str, &str, &str, &str); 4] = [
    ("recent (jdmax index)", "objects.objectId, objects.gmag", "objects", "objects.jdmax > 2460729"),
    ("many detections (ncandgp index)", "objects.objectId", "objects", "objects.ncandgp >= 40"),
    (
        "sky box (ramean index)",
        "objects.objectId, objects.ramean, objects.decmean",
        "objects",
        "objects.ramean BETWEEN 150 AND 150.5 AND objects.decmean BETWEEN 10 AND 10.5",
    ),
    (
        "recent SN in galaxies (join)",
        "objects.objectId, sherlock_classifications.classification",
        "objects, sherlock_classifications",
        "sherlock_classifications.classification = 'SN' AND objects.jdmax > 2460720 AND objects.ncandgp >= 3",
    ),
];

fn bench(label: &str, url: &str, objects: usize) {
    let mut db = Db::open(url).expect("open");
    let loaded = load(&mut db, objects);
    let per_s = objects as f64 / loaded.as_secs_f64();
    println!(
        "{label}: bulk load {objects} objects (+{} sherlock rows) in {:.1} s: {per_s:.0} objects/s",
        objects / 10,
        loaded.as_secs_f64()
    );
    let batch = object_rows(&mut Rng(7), objects / 2, BATCH.min(objects), 1.0);
    let start = Instant::now();
    db.upsert("objects", &OBJECT_COLUMNS, &batch)
        .expect("batch");
    println!(
        "{label}: upsert of a {}-row batch of existing objects: {:.0} ms",
        batch.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let mut reader = Db::open_readonly(url).expect("read-only");
    for (name, select, tables, conditions) in QUERIES {
        let q = UserQuery {
            select: select.into(),
            tables: tables.into(),
            conditions: conditions.into(),
            limit: Some(1000),
            ..UserQuery::default()
        };
        let sql = compile(&q, &catalog::ZTF, reader.dialect(), &Limits::default())
            .expect("compiles")
            .sql;
        let mut best = Duration::MAX;
        let mut rows = 0;
        for _ in 0..5 {
            let start = Instant::now();
            rows = reader
                .query_readonly(&sql, Duration::from_secs(60))
                .expect("query")
                .rows
                .len();
            best = best.min(start.elapsed());
        }
        println!(
            "{label}: {name:<34} {rows:>5} rows in {:>8.2} ms (best of 5)",
            best.as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let objects: usize = std::env::var("LASAIR_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tmp");
    // LASAIR_BENCH_BACKENDS=mariadb runs MariaDB alone (the SQLite load of 10^7 takes 10 min).
    let backends =
        std::env::var("LASAIR_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,mariadb".into());
    if backends.contains("sqlite") {
        bench(
            "sqlite ",
            &format!("sqlite:{}", dir.path().join("bench.db").display()),
            objects,
        );
    }
    if !backends.contains("mariadb") {
        return;
    }
    match std::env::var("LASAIR_BENCH_MYSQL") {
        Ok(url) => bench("mariadb", &url, objects),
        Err(_) => println!(
            "mariadb: skipped (set LASAIR_BENCH_MYSQL=mysql://... ; scripts/bench db does)"
        ),
    }
}

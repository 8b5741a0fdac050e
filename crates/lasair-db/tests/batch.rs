//! A filter node's batch database: in memory, emptied between batches, with the sync tool's
//! local copies of crossmatch_tns and annotations attached so users' filters can join them.

use std::time::Duration;

use lasair_db::{Db, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Dialect, Limits, UserQuery};

fn run(db: &mut Db, tables: &str, conditions: &str) -> Vec<Vec<Value>> {
    let q = UserQuery {
        select: "objects.objectId, crossmatch_tns.tns_name".into(),
        tables: tables.into(),
        conditions: conditions.into(),
        ..UserQuery::default()
    };
    let sql = compile(&q, &ZTF, Dialect::Sqlite, &Limits::default())
        .expect("compiles")
        .sql;
    db.query_readonly(&sql, Duration::from_secs(5))
        .expect("runs")
        .rows
}

#[test]
fn filters_join_the_local_copies_and_batches_start_empty() {
    let dir = tempfile::tempdir().expect("tmp");
    let copies = dir.path().join("copies.db");
    let mut main = Db::open(&format!("sqlite:{}", copies.display())).expect("copies");
    main.upsert(
        "crossmatch_tns",
        &["objectId", "tns_name", "type"],
        &[vec![
            "ZTF21abiuvdk".into(),
            "2021qvv".into(),
            "SN Ia".into(),
        ]],
    )
    .expect("tns row");
    drop(main);

    let mut batch = Db::open_batch(&ZTF, Some(&copies)).expect("batch");
    batch
        .upsert(
            "objects",
            &["objectId", "gmag"],
            &[
                vec!["ZTF21abiuvdk".into(), 18.2.into()],
                vec!["ZTF21zzzzzzz".into(), 19.0.into()],
            ],
        )
        .expect("objects");
    let rows = run(&mut batch, "objects, crossmatch_tns", "");
    assert_eq!(
        rows,
        [vec![Value::from("ZTF21abiuvdk"), Value::from("2021qvv")]]
    );

    // The copies are read-only from the batch.
    let err = batch.upsert(
        "crossmatch_tns",
        &["objectId", "tns_name"],
        &[vec!["x".into(), "y".into()]],
    );
    assert!(err.is_err(), "wrote into the local copies");

    batch.clear("objects").expect("clear");
    assert!(run(&mut batch, "objects, crossmatch_tns", "").is_empty());
    assert!(batch.clear("users; DROP TABLE objects").is_err());
}

#[test]
fn a_missing_copies_file_is_named() {
    let err = Db::open_batch(&ZTF, Some(std::path::Path::new("no/such/copies.db"))).unwrap_err();
    assert!(err.to_string().contains("no/such/copies.db"), "{err}");
}

#[test]
fn without_copies_the_batch_has_empty_tns_and_annotations() {
    let mut batch = Db::open_batch(&ZTF, None).expect("batch");
    batch
        .upsert("objects", &["objectId"], &[vec!["ZTF1".into()]])
        .expect("objects");
    assert!(run(&mut batch, "objects, crossmatch_tns", "").is_empty());
}

/// A main database whose `crossmatch_tns` has `n` rows, all of generation `generation`.
fn tns_generation(main: &mut Db, n: usize, generation: usize) {
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            vec![
                format!("ZTF{i}").into(),
                format!("2026a{i}").into(),
                format!("gen{generation}").into(),
            ]
        })
        .collect();
    main.upsert("crossmatch_tns", &["objectId", "tns_name", "type"], &rows)
        .expect("tns rows");
}

fn generations(batch: &mut Db) -> Vec<Vec<Value>> {
    batch
        .query_readonly(
            "SELECT type, COUNT(*) FROM crossmatch_tns GROUP BY type",
            Duration::from_secs(5),
        )
        .expect("read the copies")
        .rows
}

#[test]
fn written_copies_are_taken_whole_when_refreshed() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut main =
        Db::open(&format!("sqlite:{}", dir.path().join("main.db").display())).expect("main");
    let copies = dir.path().join("copies.db");
    tns_generation(&mut main, 50, 1);
    let counts = main.write_copies(&copies).expect("copies");
    assert_eq!(counts, [("crossmatch_tns", 50), ("annotations", 0)]);
    let mut batch = Db::open_batch(&ZTF, Some(&copies)).expect("batch");
    assert_eq!(
        generations(&mut batch),
        [vec!["gen1".into(), Value::Int(50)]]
    );

    tns_generation(&mut main, 50, 2);
    main.write_copies(&copies).expect("copies again");
    // Until refreshed the batch keeps the file it attached, whole.
    assert_eq!(
        generations(&mut batch),
        [vec!["gen1".into(), Value::Int(50)]]
    );
    assert!(batch.refresh_copies().expect("refresh"));
    assert_eq!(
        generations(&mut batch),
        [vec!["gen2".into(), Value::Int(50)]]
    );
    assert!(!batch.refresh_copies().expect("nothing new"));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_filter_reading_while_the_copies_are_replaced_sees_one_whole_copy() {
    let dir = tempfile::tempdir().expect("tmp");
    let main_url = format!("sqlite:{}", dir.path().join("main.db").display());
    let copies = dir.path().join("copies.db");
    let mut main = Db::open(&main_url).expect("main");
    tns_generation(&mut main, 2000, 0);
    main.write_copies(&copies).expect("first copies");
    let writer = {
        let copies = copies.clone();
        std::thread::spawn(move || {
            for g in 1..=15 {
                tns_generation(&mut main, 2000, g);
                main.write_copies(&copies).expect("copies");
            }
        })
    };
    let mut batch = Db::open_batch(&ZTF, Some(&copies)).expect("batch");
    let mut seen = std::collections::BTreeSet::new();
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        batch.refresh_copies().expect("refresh");
        let g = generations(&mut batch);
        assert_eq!(g.len(), 1, "a copy mixing generations: {g:?}");
        assert_eq!(g[0][1], Value::Int(2000), "a copy cut short: {g:?}");
        seen.insert(g[0][0].to_string());
        reads += 1;
    }
    writer.join().expect("writer");
    batch.refresh_copies().expect("refresh");
    assert_eq!(
        generations(&mut batch),
        [vec!["gen15".into(), Value::Int(2000)]]
    );
    assert!(reads > 1 && !seen.is_empty(), "{reads} reads, {seen:?}");
}

#[test]
fn filters_ordered_by_time_run_without_the_time_index_and_stay_ordered() {
    for catalog in [&ZTF, &lasair_sql::catalog::LSST] {
        let mut batch = Db::open_batch(catalog, None).expect("batch");
        let plan = |db: &mut Db, sql: &str| {
            db.query_readonly(&format!("EXPLAIN QUERY PLAN {sql}"), Duration::from_secs(5))
                .expect("plan")
        };
        let latest = catalog.latest;
        let sql = format!(
            "SELECT \"{}\" FROM objects ORDER BY \"{latest}\" DESC",
            catalog.key
        );
        let shown = format!("{:?}", plan(&mut batch, &sql));
        assert!(!shown.contains(&format!("idx_objects_{latest}")), "{shown}");
        // The main database keeps it.
        let mut main = Db::open_with("sqlite::memory:", catalog, false).expect("main");
        let shown = format!("{:?}", plan(&mut main, &sql));
        assert!(shown.contains(&format!("idx_objects_{latest}")), "{shown}");
        let key = |i: i64| match catalog.survey {
            "ZTF" => Value::from(format!("ZTF{i}")),
            _ => Value::Int(i),
        };
        let rows: Vec<Vec<Value>> = [3.0, 1.0, 2.0]
            .iter()
            .enumerate()
            .map(|(i, t)| vec![key(i as i64), Value::Real(*t)])
            .collect();
        batch
            .upsert("objects", &[catalog.key, latest], &rows)
            .expect("rows");
        let got = batch
            .query_readonly(&sql, Duration::from_secs(5))
            .expect("query");
        assert_eq!(got.rows, [vec![key(0)], vec![key(2)], vec![key(1)]]);
    }
}

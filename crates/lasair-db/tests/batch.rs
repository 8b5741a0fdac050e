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

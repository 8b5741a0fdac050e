//! The scylla 1.x driver against the server in process: connecting, Cassandra's write-time
//! rules, nulls, prepared literals and paging, which the lightcurve store relies on.

use futures::TryStreamExt;
use lasair_cql_server::{serve, Node};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use tokio::net::TcpListener;

/// A server on a free port and a driver session with a keyspace and table `ks.t`.
async fn session() -> Session {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(serve(listener, Node::new().expect("node")));
    let session = SessionBuilder::new()
        .known_node(addr.to_string())
        .build()
        .await
        .expect("the driver connects");
    for cql in [
        "CREATE KEYSPACE IF NOT EXISTS ks WITH REPLICATION = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TABLE IF NOT EXISTS ks.t (k text, c int, v text, x double, PRIMARY KEY ((k), c))",
    ] {
        session.query_unpaged(cql, &[]).await.expect(cql);
    }
    session
}

async fn read(session: &Session, k: &str) -> Vec<(i32, Option<String>, Option<f64>)> {
    let select = session
        .prepare("SELECT c, v, x FROM ks.t WHERE k = ?")
        .await
        .expect("prepare select");
    let pager = session.execute_iter(select, (k,)).await.expect("select");
    pager
        .rows_stream::<(i32, Option<String>, Option<f64>)>()
        .expect("row types")
        .try_collect()
        .await
        .expect("rows")
}

async fn write(session: &Session, timestamp: i64, row: (&str, i32, Option<&str>, Option<f64>)) {
    let cql =
        format!("INSERT INTO ks.t (k, c, v, x) VALUES (?, ?, ?, ?) USING TIMESTAMP {timestamp}");
    let insert = session.prepare(cql).await.expect("prepare insert");
    session.execute_unpaged(&insert, row).await.expect("insert");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_newest_write_wins_whatever_the_arrival_order() {
    let session = session().await;
    write(&session, 2, ("a", 1, Some("new"), Some(2.0))).await;
    write(&session, 1, ("a", 1, Some("old"), Some(1.0))).await;
    write(&session, 1, ("b", 1, Some("old"), Some(1.0))).await;
    write(&session, 2, ("b", 1, Some("new"), Some(2.0))).await;
    for k in ["a", "b"] {
        assert_eq!(
            read(&session, k).await,
            vec![(1, Some("new".into()), Some(2.0))],
            "{k}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_null_deletes_the_cell_and_an_older_one_does_not() {
    let session = session().await;
    write(&session, 1, ("a", 1, Some("v"), Some(1.0))).await;
    write(&session, 2, ("a", 1, Some("v"), None)).await;
    write(&session, 2, ("b", 1, Some("v"), None)).await;
    write(&session, 1, ("b", 1, Some("v"), Some(1.0))).await;
    write(&session, 2, ("c", 1, Some("v"), Some(2.0))).await;
    write(&session, 1, ("c", 1, Some("v"), None)).await;
    assert_eq!(read(&session, "a").await, vec![(1, Some("v".into()), None)]);
    assert_eq!(read(&session, "b").await, vec![(1, Some("v".into()), None)]);
    assert_eq!(
        read(&session, "c").await,
        vec![(1, Some("v".into()), Some(2.0))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn literals_in_a_prepared_where_clause_are_not_bind_markers() {
    let session = session().await;
    write(&session, 1, ("lit", 7, Some("x"), None)).await;
    let select = session
        .prepare("SELECT c FROM ks.t WHERE k = 'lit'")
        .await
        .expect("prepare");
    let rows = session.execute_unpaged(&select, ()).await.expect("execute");
    let rows = rows.into_rows_result().expect("rows");
    assert_eq!(rows.first_row::<(i32,)>().expect("a row"), (7,));
}

#[tokio::test(flavor = "multi_thread")]
async fn what_it_cannot_honour_is_refused_not_ignored() {
    let session = session().await;
    let ttl = "INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?) USING TTL ?";
    assert!(session.prepare(ttl).await.is_err(), "USING TTL ?");
    let marker = "INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?) USING TIMESTAMP ?";
    assert!(session.prepare(marker).await.is_err(), "USING TIMESTAMP ?");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_literal_ttl_is_accepted_and_the_row_kept() {
    let session = session().await;
    let ttl = "INSERT INTO ks.t (k, c, v) VALUES ('ttl', 1, 'v') USING TTL 10";
    session.query_unpaged(ttl, &[]).await.expect("USING TTL 10");
    let rows = session
        .query_unpaged("SELECT v FROM ks.t WHERE k = 'ttl'", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    assert_eq!(rows.first_row::<(String,)>().expect("a row"), ("v".into(),));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_pages_through_every_row() {
    let session = session().await;
    let insert = session
        .prepare("INSERT INTO ks.t (k, c, v) VALUES (?, ?, 'v') USING TIMESTAMP 1")
        .await
        .expect("prepare");
    for i in 0..1_200 {
        let k = format!("k{}", i % 7);
        session
            .execute_unpaged(&insert, (k, i))
            .await
            .expect("insert");
    }
    let mut scan = session
        .prepare("SELECT c FROM ks.t")
        .await
        .expect("prepare scan");
    scan.set_page_size(100);
    let pager = session.execute_iter(scan, ()).await.expect("scan");
    let rows: Vec<(i32,)> = pager
        .rows_stream::<(i32,)>()
        .expect("types")
        .try_collect()
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1_200);
}

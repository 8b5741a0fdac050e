//! TNS through the filter: a name lasair-sync kept before its object was ever seen tags the
//! object on its first alert (TNS's watchlist hit, its crossmatch_tns row in the main
//! database); once lasair-sync's local copies carry the row, a user's filter on crossmatch_tns
//! runs on the filter node and fires.

use lasair_alert::Survey;
use lasair_stream::StreamArgs;
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lasair_db::{Db, Value};
use lasair_filter::{run, Args};
use lasair_service::tns;

#[allow(dead_code)]
mod common;
use common::{alerts, dump, lines, records};

fn tns_file(entries: &[(&str, &str, f64, f64, &str)]) -> String {
    let mut s = String::from(
        "\"2026-02-10 00:00:00\"\n\"name\",\"name_prefix\",\"ra\",\"declination\",\"type\"\n",
    );
    for (name, prefix, ra, dec, ty) in entries {
        s.push_str(&format!(
            "\"{name}\",\"{prefix}\",\"{ra}\",\"{dec}\",\"{ty}\"\n"
        ));
    }
    s
}

#[test]
fn a_tns_name_tags_a_new_object_and_filters_join_it_from_the_copies() {
    let Some(alerts) = alerts(&[
        "ztf/alerts/ZTF21abiuvdk",
        "ztf/alerts/ztf_public_2021_mixed",
    ]) else {
        return;
    };
    let target = alerts
        .iter()
        .find(|a| a.object_id.0 == "ZTF21abiuvdk")
        .expect("ZTF21abiuvdk");
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let mut db = Db::open(&url).expect("db");
    // 1" north of the object, and a name far from every alert.
    let file = tns_file(&[
        (
            "2021qvv",
            "SN",
            target.ra,
            target.dec + 1.0 / 3600.0,
            "SN Ia",
        ),
        ("2021zzz", "AT", 10.0, -80.0, ""),
    ]);
    let entries = tns::read_csv(file.as_bytes(), "tns.csv").expect("tns");
    let synced = tns::sync(&mut db, &entries, 3.0).expect("sync");
    assert_eq!(
        (synced.new, synced.matched),
        (2, 0),
        "no object is known yet"
    );
    db.upsert(
        "filters",
        &common::FILTER_COLUMNS,
        &[vec![
            1.into(),
            7.into(),
            "classified by TNS".into(),
            "objects.objectId, crossmatch_tns.tns_name, crossmatch_tns.type".into(),
            "objects, crossmatch_tns".into(),
            "crossmatch_tns.tns_prefix = 'SN'".into(),
            2.into(),
        ]],
    )
    .expect("filter");
    drop(db);
    let input = tmp.path().join("alerts.jsonl");
    std::fs::write(&input, lines(&alerts, &BTreeSet::new())).expect("input");
    let streams = tmp.path().join("streams");
    let args = |copies: Option<std::path::PathBuf>| Args {
        stream: StreamArgs {
            inputs: vec![input.display().to_string()],
            batch: Some(25),
            quiet: true,
            ..StreamArgs::default()
        },
        survey: Some(Survey::Ztf),
        db: Some(url.clone()),
        topics: Some(streams.display().to_string()),
        digests: Some(tmp.path().join("digests")),
        copies,
        ..Args::default()
    };

    // First night: no local copies yet. The object is tagged in the main database.
    run(args(None), Arc::new(AtomicBool::new(false))).expect("first run");
    let tagged = dump(
        &url,
        "SELECT objectId, tns_name, type FROM crossmatch_tns ORDER BY objectId",
    );
    assert_eq!(
        tagged,
        [vec![
            "ZTF21abiuvdk".into(),
            "2021qvv".into(),
            "SN Ia".into()
        ]]
    );
    let hits = dump(&url, "SELECT h.objectId, h.name FROM watchlist_hits h JOIN watchlists w ON w.wl_id = h.wl_id WHERE w.name = '__TNS__'");
    assert_eq!(
        hits,
        [vec![Value::from("ZTF21abiuvdk"), Value::from("2021qvv")]]
    );
    assert!(
        records(&streams, "lasair_7classifiedbyTNS").is_empty(),
        "the batch had no copy to join"
    );

    // lasair-sync copies, then the next night on the node: the filter joins the copy.
    let copies = tmp.path().join("copies.db");
    Db::open(&url)
        .expect("db")
        .write_copies(&copies)
        .expect("copies");
    run(args(Some(copies)), Arc::new(AtomicBool::new(false))).expect("second run");
    let fired: BTreeSet<(String, String)> = records(&streams, "lasair_7classifiedbyTNS")
        .iter()
        .map(|r| {
            (
                r["objectId"].as_str().unwrap_or("").to_owned(),
                r["tns_name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fired,
        BTreeSet::from([("ZTF21abiuvdk".to_owned(), "2021qvv".to_owned())])
    );
}

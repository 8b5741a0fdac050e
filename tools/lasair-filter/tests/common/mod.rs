//! What the filter's tests share: real alerts as JSON lines, and reading the main database.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lasair_alert::{Alert, AlertJson, Decoder, Survey};
use lasair_db::{Db, Value};
use serde_json::json;

/// The columns the tests give a saved filter.
pub const FILTER_COLUMNS: [&str; 7] = [
    "mq_id",
    "user_id",
    "name",
    "selected",
    "tables",
    "conditions",
    "active",
];

/// Every alert in the given folders of ../shared/data, decoded (None, skipping, when absent).
pub fn alerts(dirs: &[&str]) -> Option<Vec<Alert>> {
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut all = Vec::new();
    for dir in dirs {
        let dir = lasair_testdata::shared_data(dir)?;
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).ok()?;
            all.extend(
                decoder
                    .decode(&bytes)
                    .into_iter()
                    .map(|a| a.expect("decodes")),
            );
        }
    }
    Some(all)
}

/// The alerts as lasair-ingest writes them, those of `sn` with a Sherlock SN context, and a
/// last line that is not an alert.
pub fn lines(alerts: &[Alert], sn: &BTreeSet<String>) -> Vec<u8> {
    let mut out = Vec::new();
    for a in alerts {
        let line = AlertJson::new(a, BTreeMap::new()).to_line();
        let mut v: serde_json::Value = serde_json::from_slice(&line).expect("json");
        if sn.contains(&a.object_id.0) {
            v["sherlock"] = json!({"classification": "SN", "separationArcsec": 2.5, "distance": 120.0, "catalogue_table_name": "glade"});
        }
        out.extend_from_slice(v.to_string().as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"this line is not an alert\n");
    out
}

/// The rows of a query on the main database.
pub fn dump(url: &str, sql: &str) -> Vec<Vec<Value>> {
    dump_in(url, &lasair_sql::catalog::ZTF, sql)
}

/// The rows of a query on a main database of `catalog`'s survey.
pub fn dump_in(url: &str, catalog: &'static lasair_sql::Catalog, sql: &str) -> Vec<Vec<Value>> {
    let mut db = Db::open_with(url, catalog, false).expect("open");
    db.query_readonly(sql, Duration::from_secs(10))
        .expect("dump")
        .rows
}

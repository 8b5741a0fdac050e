//! What the filter's tests share: real alerts as JSON lines, reading the main database and a
//! folder of topics, producing to Kafka, and a running lasair-filter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use lasair_alert::{Alert, AlertJson, Decoder, Survey};
use lasair_db::{Db, Value};
use lasair_stream::{open_sink, KafkaOptions};
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

/// Adds the user `id` named `name`, with an email address or none.
pub fn user(db: &mut Db, id: i64, name: &str, email: Option<&str>) {
    let email = email.map_or(Value::Null, Value::from);
    db.upsert(
        "users",
        &["id", "username", "email"],
        &[vec![id.into(), name.into(), email]],
    )
    .expect("user");
}

/// Adds the active watchlist `wl_id` of user 7, named "mine", of 10" cones by default.
pub fn watchlist(db: &mut Db, wl_id: i64) {
    db.upsert(
        "watchlists",
        &["wl_id", "user_id", "name", "radius", "active"],
        &[vec![
            wl_id.into(),
            7.into(),
            "mine".into(),
            10.0.into(),
            1.into(),
        ]],
    )
    .expect("watchlist");
}

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

/// The records of `topic` in a folder of topics (none when it was never sent to).
pub fn records(dir: &Path, topic: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join(format!("{topic}.jsonl"))).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect()
}

/// Sends `lines` to `topic`, one message per record batch: both test brokers resume a group
/// whose committed offset falls inside a record batch at the next batch (see lasair-ingest's
/// Kafka tests).
pub fn produce(boot: &str, topic: &str, lines: &[&[u8]]) {
    let opts = KafkaOptions {
        extra: vec![
            ("batch.num.messages".into(), "1".into()),
            ("enable.idempotence".into(), "false".into()),
        ],
        ..Default::default()
    };
    let mut sink = open_sink(&format!("kafka://{boot}/{topic}"), &opts).expect("sink");
    for l in lines {
        sink.send(None, l).expect("send");
    }
    sink.flush().expect("delivered");
}

/// A running lasair-filter, killed if a failed assertion leaves it behind.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Already reaped when the test went well: then both calls fail, harmlessly.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// SIGTERM: the batch in hand is finished and committed, and the tool exits; its exit
    /// code (1 when a record was bad; none when a signal killed it).
    pub fn drain(mut self) -> Option<i32> {
        let pid = self.0.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.expect("kill").success());
        self.0.wait().expect("exit").code()
    }
}

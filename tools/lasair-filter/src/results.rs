//! Running every active filter on the batch database and sending its rows on: one JSON record
//! per row with a `UTC` stamp, to the filter's topic (with the lightcurve or the whole alert,
//! as its mode asks) or into its owner's email digest.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lasair_db::{Db, Value};
use lasair_sql::catalog::Catalog;
use lasair_stream::{Message, StreamError, TopicSink};
use serde_json::{json, Map};

use crate::batch::Batch;
use crate::digest::Digests;
use crate::filters::{ActiveFilter, Mode};

/// Where results go: topics (Kafka or a folder) and email digests; either may be absent.
#[derive(Default)]
pub struct Outputs {
    pub topics: Option<Box<dyn TopicSink>>,
    pub digests: Option<Digests>,
    /// Filters whose failure has been reported already this run (reported once).
    pub reported: HashSet<i64>,
}

/// What the filters gave on one batch.
#[derive(Debug, Default, Clone, Copy)]
pub struct FilterCounts {
    /// Filters run.
    pub run: u64,
    /// Result rows sent (to topics or digests).
    pub results: u64,
    /// Filters that failed (a bad clause, the time limit).
    pub failed: u64,
}

/// The batch as the filters' results need it.
pub struct BatchView<'a> {
    pub batch: &'a Batch,
    pub messages: &'a [Message],
    pub catalog: &'a Catalog,
    /// When the results were made (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub utc: &'a str,
}

/// Runs `filters` on the batch database and disposes of their rows.
pub fn run_filters(
    db: &mut Db,
    filters: &[ActiveFilter],
    view: &BatchView<'_>,
    outputs: &mut Outputs,
    timeout: Duration,
) -> Result<FilterCounts, StreamError> {
    let BatchView {
        batch,
        messages,
        catalog,
        utc,
    } = *view;
    let by_key: HashMap<String, usize> = batch
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| (key_text(&o.key), i))
        .collect();
    let mut counts = FilterCounts::default();
    for f in filters {
        let rows = match &f.query {
            Ok(q) => db
                .query_readonly(&q.sql, timeout)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        counts.run += 1;
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                counts.failed += 1;
                if outputs.reported.insert(f.mq_id) {
                    eprintln!(
                        "lasair-filter: filter {} ({}) failed: {error}",
                        f.mq_id, f.topic
                    );
                    if let Some(d) = outputs.digests.as_mut() {
                        d.failed(f, &error, utc);
                    }
                }
                continue;
            }
        };
        let key_col = rows.columns.iter().position(|c| c == catalog.key);
        for row in &rows.rows {
            let mut record = Map::new();
            for (c, v) in rows.columns.iter().zip(row) {
                record.insert(c.clone(), serde_json::to_value(v).unwrap_or_default());
            }
            record.insert("UTC".into(), utc.into());
            let object = key_col
                .and_then(|k| row.get(k))
                .and_then(|k| by_key.get(&key_text(k)))
                .and_then(|&i| batch.objects.get(i));
            match (f.mode, object) {
                (Mode::KafkaLite, Some(o)) => {
                    record.insert("lightcurve".into(), lightcurve_lite(&o.line.alert));
                }
                (Mode::KafkaFull, Some(o)) => {
                    let full = serde_json::from_slice(&messages[o.message].payload);
                    record.insert("alert".into(), full.unwrap_or_default());
                }
                _ => {}
            }
            counts.results += 1;
            match f.mode {
                Mode::Email => {
                    if let Some(d) = outputs.digests.as_mut() {
                        d.add(f, record);
                    }
                }
                _ => {
                    if let Some(t) = outputs.topics.as_mut() {
                        let key = object.map(|o| key_text(&o.key));
                        let payload = serde_json::Value::Object(record).to_string();
                        t.send_to(
                            &f.topic,
                            key.as_deref().map(str::as_bytes),
                            payload.as_bytes(),
                        )?;
                    }
                }
            }
        }
    }
    Ok(counts)
}

fn key_text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Null => String::new(),
    }
}

/// The lightcurve a `lite` record carries: each point's kind, time, band and photometry.
fn lightcurve_lite(alert: &lasair_alert::Alert) -> serde_json::Value {
    alert
        .lightcurve
        .iter()
        .map(|p| {
            json!({
                "kind": p.kind.as_str(), "mjd": p.mjd, "band": p.band,
                "mag": p.mag, "magErr": p.mag_err, "flux": p.flux, "fluxErr": p.flux_err,
            })
        })
        .collect()
}

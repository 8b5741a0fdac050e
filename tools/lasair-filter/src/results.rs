//! Running filters on a database and sending their rows on: one JSON record per row with a
//! `UTC` stamp, to the filter's topic (with the lightcurve or the whole alert, as its mode asks,
//! when the alert is in hand) or into its owner's email digest.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lasair_db::{Db, Value};
use lasair_sql::catalog::Catalog;
use lasair_stream::{Message, StreamError, TopicSink};
use serde_json::{json, Map};

use lasair_mail::Digests;
use lasair_service::filter::Delivery;

use crate::batch::{Batch, Kept};
use crate::filters::RunFilter;

/// Where results go: topics (Kafka or a folder) and email digests; either may be absent.
#[derive(Default)]
pub struct Outputs {
    pub topics: Option<Box<dyn TopicSink>>,
    pub digests: Option<Digests>,
    /// Filters whose failure has been reported already this run (reported once).
    pub reported: HashSet<i64>,
}

impl Outputs {
    /// Makes what was sent durable: the topics flushed, the digests written.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(t) = self.topics.as_mut() {
            t.flush()?;
        }
        if let Some(d) = self.digests.as_mut() {
            d.flush()?;
        }
        Ok(())
    }
}

/// What the filters gave on one batch.
#[derive(Debug, Default, Clone)]
pub struct FilterCounts {
    /// Filters run.
    pub run: u64,
    /// Result rows sent (to topics or digests).
    pub results: u64,
    /// Filters that failed (a bad clause, the time limit).
    pub failed: u64,
    /// Filters SQLite did not run, their screens keeping no object of the batch.
    pub screened_out: u64,
    /// Each filter that gave results: its topic and how many rows.
    pub by_topic: Vec<(String, u64)>,
}

/// What the filters' results are made with.
pub struct BatchView<'a> {
    /// The alerts in hand, whose records in modes kafka-lite and kafka-full carry the
    /// object's lightcurve or whole alert. `None` when filters run on annotations: no alert is
    /// in hand then, and every mode's record is the plain row with its `UTC`.
    pub alerts: Option<(&'a Batch, &'a [Message])>,
    pub catalog: &'a Catalog,
    /// When the results were made (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub utc: &'a str,
}

/// Runs `filters` on `db` (the batch database, or the main database for filters run on
/// annotations) and disposes of their rows.
pub fn run_filters(
    db: &mut Db,
    filters: &[RunFilter],
    view: &BatchView<'_>,
    outputs: &mut Outputs,
    timeout: Duration,
) -> Result<FilterCounts, StreamError> {
    let BatchView {
        alerts,
        catalog,
        utc,
    } = *view;
    let (objects, messages) = alerts.map_or((&[][..], &[][..]), |(batch, messages)| {
        (&batch.objects[..], messages)
    });
    let by_key: HashMap<String, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o.key.to_string(), i))
        .collect();
    let mut counts = FilterCounts::default();
    // Each object's lite lightcurve, rendered once for every filter that sends it; one
    // buffer for every record.
    let mut lites: Vec<Option<String>> = vec![None; objects.len()];
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    // The batch's columns the filters' screens read, gathered once.
    let screens = alerts.map(|(batch, _)| {
        let screens = filters
            .iter()
            .filter_map(|f| Some(&f.query.as_ref().ok()?.screened.as_ref()?.screen));
        (batch, batch.screen_batch(screens))
    });
    for f in filters {
        let screened = match (&f.query, &screens) {
            (Ok(q), Some((batch, columns))) => q
                .screened
                .as_ref()
                .map(|s| (s, batch.screened(&s.screen, columns))),
            _ => None,
        };
        let rows = match (&f.query, screened) {
            // No object of the batch can match: SQLite has nothing to read.
            (Ok(q), Some((_, Kept::Nothing))) => {
                counts.screened_out += 1;
                Ok(lasair_db::Rows {
                    columns: q.columns.clone(),
                    rows: Vec::new(),
                })
            }
            (Ok(_), Some((s, Kept::Rows(rowids)))) => db
                .query_readonly_with(&s.sql, &[Value::Text(rowids)], timeout)
                .map_err(|e| e.to_string()),
            (Ok(q), None | Some((_, Kept::All))) => db
                .query_readonly(&q.sql, timeout)
                .map_err(|e| e.to_string()),
            (Err(e), _) => Err(e.to_string()),
        };
        counts.run += 1;
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                counts.failed += 1;
                lasair_metrics::filter_failed(&f.topic);
                if outputs.reported.insert(f.id) {
                    eprintln!(
                        "lasair-filter: filter {} ({}) failed: {error}",
                        f.id, f.topic
                    );
                    if let Some(d) = outputs.digests.as_mut() {
                        d.failed(&f.recipient, &error);
                    }
                }
                continue;
            }
        };
        lasair_metrics::filter_result(&f.topic, rows.rows.len() as u64);
        if !rows.rows.is_empty() {
            counts
                .by_topic
                .push((f.topic.clone(), rows.rows.len() as u64));
        }
        let key_col = rows.columns.iter().position(|c| c == catalog.key);
        // The column names as JSON keys, rendered once per filter.
        let keys: Vec<String> = rows.columns.iter().map(|c| json_key(c)).collect();
        for row in &rows.rows {
            let key = key_col
                .and_then(|k| row.get(k))
                .filter(|k| **k != Value::Null)
                .map(ToString::to_string);
            let object = key
                .as_ref()
                .and_then(|k| by_key.get(k))
                .and_then(|&i| Some((i, objects.get(i)?)));
            counts.results += 1;
            if f.delivery == Delivery::Email {
                if let Some(d) = outputs.digests.as_mut() {
                    let mut record = Map::new();
                    for (c, v) in rows.columns.iter().zip(row) {
                        record.insert(c.clone(), serde_json::to_value(v).unwrap_or_default());
                    }
                    record.insert("UTC".into(), utc.into());
                    d.add(&f.recipient, record);
                }
                continue;
            }
            let Some(t) = outputs.topics.as_mut() else {
                continue;
            };
            out.clear();
            out.push(b'{');
            for (k, v) in keys.iter().zip(row) {
                out.extend_from_slice(k.as_bytes());
                serde_json::to_writer(&mut out, v).map_err(|e| encode(&f.topic, e))?;
                out.push(b',');
            }
            out.extend_from_slice(b"\"UTC\":");
            serde_json::to_writer(&mut out, utc).map_err(|e| encode(&f.topic, e))?;
            match (f.delivery, object) {
                (Delivery::KafkaLite, Some((i, o))) => {
                    out.extend_from_slice(b",\"lightcurve\":");
                    let lite =
                        lites[i].get_or_insert_with(|| lightcurve_lite(&o.line.alert).to_string());
                    out.extend_from_slice(lite.as_bytes());
                }
                // The alert line as it came (already valid JSON), not parsed again.
                (Delivery::KafkaFull, Some((_, o))) => {
                    out.extend_from_slice(b",\"alert\":");
                    out.extend_from_slice(&messages[o.message].payload);
                }
                _ => {}
            }
            out.push(b'}');
            t.send_to(&f.topic, key.as_deref().map(str::as_bytes), &out)?;
        }
    }
    Ok(counts)
}

fn encode(topic: &str, e: serde_json::Error) -> StreamError {
    StreamError::Write {
        target: topic.to_owned(),
        source: std::io::Error::other(e),
    }
}

/// `"name":`, escaped as JSON.
fn json_key(name: &str) -> String {
    let mut k = serde_json::to_string(name).unwrap_or_default();
    k.push(':');
    k
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

//! One batch of alert lines through Sherlock: each line's position classified (or answered
//! from the cache) in parallel, the line written back with a `sherlock` object, the sink
//! flushed. The caller commits the source's offsets only after that.

use std::sync::Arc;

use lasair_alert::Survey;
use lasair_cli::Counts;
use lasair_stream::{Message, Sink, StreamError};
use rayon::prelude::*;
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::cache::{Cache, CacheError};
use crate::classify::{sky_position, Classifier, ClassifyError};

/// A failure that stops the run: the batch is not committed, so it will be read again.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Search(ClassifyError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Output(#[from] StreamError),
}

impl lasair_stream::BatchError for StageError {
    /// The reader of our output went away (`| head`): end quietly, as Unix tools do.
    fn is_broken_pipe(&self) -> bool {
        matches!(self, StageError::Output(e) if e.is_broken_pipe())
    }
}

/// Why one alert line was skipped.
#[derive(Debug, thiserror::Error)]
pub enum BadAlert {
    #[error("not a JSON object: {0}")]
    NotJson(String),
    #[error("no position (numeric \"ra\" and \"dec\" are needed)")]
    NoPosition,
    #[error("{0}")]
    BadPosition(ClassifyError),
    /// What no stage accepts (lasair-alert's `check_line`: identity, position, time).
    #[error("{0}")]
    Invalid(String),
}

/// What the stage reads of an alert line; everything else is passed through untouched.
#[derive(Deserialize)]
struct AlertPosition {
    #[serde(rename = "objectId")]
    object_id: Option<serde_json::Value>,
    survey: Option<String>,
    ra: Option<f64>,
    dec: Option<f64>,
    mjd: Option<f64>,
    sherlock: Option<IgnoredAny>,
}

/// The classifier and its cache, shared by the worker threads.
#[derive(Debug, Clone)]
pub struct Stage {
    pub classifier: Arc<Classifier>,
    pub cache: Arc<Cache>,
}

/// One line's result: its Kafka key (the objectId) and the annotated line.
type Annotated = (Option<Vec<u8>>, Vec<u8>);

impl Stage {
    pub fn new(classifier: Arc<Classifier>, cache: Arc<Cache>) -> Stage {
        Stage { classifier, cache }
    }

    /// The `sherlock` JSON object for a position, from the cache or freshly classified.
    pub fn context_json(&self, ra: f64, dec: f64) -> Result<Arc<str>, ClassifyError> {
        let (ra, dec) = sky_position(ra, dec)?;
        if let Some(hit) = self.cache.get(ra, dec) {
            return Ok(hit);
        }
        let context = self.classifier.classify(ra, dec)?;
        // Serialising plain structs of strings and numbers cannot fail.
        let json: Arc<str> = Arc::from(serde_json::to_string(&context).unwrap_or_default());
        self.cache.put(ra, dec, json.clone());
        Ok(json)
    }

    /// One alert line with its `sherlock` object added (replaced, if it had one).
    pub fn annotate(&self, line: &[u8]) -> Result<Result<Annotated, BadAlert>, StageError> {
        let trimmed = line.trim_ascii();
        if trimmed.first() != Some(&b'{') {
            return Ok(Err(BadAlert::NotJson("does not start with '{'".into())));
        }
        let alert: AlertPosition = match serde_json::from_slice(trimmed) {
            Ok(a) => a,
            Err(e) => return Ok(Err(BadAlert::NotJson(e.to_string()))),
        };
        let (Some(ra), Some(dec)) = (alert.ra, alert.dec) else {
            return Ok(Err(BadAlert::NoPosition));
        };
        let survey = match alert.survey.as_deref().map(str::parse::<Survey>) {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => return Ok(Err(BadAlert::Invalid(e.to_string()))),
            None => None,
        };
        let id = match &alert.object_id {
            // Every stage after ingest keys on it: a line without one is no alert.
            None => return Ok(Err(BadAlert::Invalid("no objectId".into()))),
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                return Ok(Err(BadAlert::Invalid(format!(
                    "objectId {other} is not a string or an integer"
                ))))
            }
        };
        if let Err(e) = lasair_alert::check_line(survey, id.as_deref(), ra, dec, alert.mjd) {
            return Ok(Err(BadAlert::Invalid(e.to_string())));
        }
        let context = match self.context_json(ra, dec) {
            Ok(c) => c,
            Err(e @ ClassifyError::BadPosition { .. }) => return Ok(Err(BadAlert::BadPosition(e))),
            Err(e) => return Err(StageError::Search(e)),
        };
        let key = id.map(String::into_bytes);
        let out = if alert.sherlock.is_some() {
            replace(trimmed, &context)
        } else {
            splice(trimmed, &context)
        };
        Ok(Ok((key, out)))
    }

    /// Processes one batch: annotates in parallel, writes the good lines in order, reports
    /// the bad ones (`tool: bad alert at PLACE: why`), flushes the sink and the cache.
    /// Returns the number of lines written.
    pub fn process(
        &self,
        pool: &rayon::ThreadPool,
        messages: &[Message],
        sink: &mut dyn Sink,
        counts: &Counts,
    ) -> Result<u64, StageError> {
        let mut steps = lasair_metrics::Steps::new("lasair-sherlock");
        let results: Vec<_> = pool.install(|| {
            messages
                .par_iter()
                .map(|m| self.annotate(&m.payload))
                .collect::<Result<Vec<_>, _>>()
        })?;
        steps.lap("classify");
        let mut written = 0;
        for (message, result) in messages.iter().zip(results) {
            match result {
                Ok((key, line)) => {
                    sink.send(key.as_deref(), &line)?;
                    written += 1;
                }
                Err(why) => {
                    counts.add_bad(1);
                    eprintln!("lasair-sherlock: bad alert at {}: {why}", message.origin);
                }
            }
        }
        sink.flush()?;
        steps.lap("produce");
        self.cache.flush()?;
        steps.lap("cache");
        counts.add_written(written);
        Ok(written)
    }
}

/// The line with `,"sherlock":CONTEXT` before its closing brace.
fn splice(object: &[u8], context: &str) -> Vec<u8> {
    let body = object[..object.len() - 1].trim_ascii_end();
    let mut out = Vec::with_capacity(object.len() + context.len() + 16);
    out.extend_from_slice(body);
    if body != b"{" {
        out.push(b',');
    }
    out.extend_from_slice(b"\"sherlock\":");
    out.extend_from_slice(context.as_bytes());
    out.push(b'}');
    out
}

/// The line re-serialised with its old `sherlock` replaced (a line processed twice).
fn replace(object: &[u8], context: &str) -> Vec<u8> {
    let parsed: Result<serde_json::Map<String, serde_json::Value>, _> =
        serde_json::from_slice(object);
    let new: Result<serde_json::Value, _> = serde_json::from_str(context);
    match (parsed, new) {
        (Ok(mut map), Ok(new)) => {
            map.insert("sherlock".into(), new);
            serde_json::to_vec(&map).unwrap_or_default()
        }
        _ => splice(object, context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splicing_keeps_the_line_and_adds_one_key() {
        let out = splice(
            br#"{"objectId":"ZTF1","ra":1.5 }"#,
            r#"{"classification":"ORPHAN"}"#,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v["ra"], 1.5);
        assert_eq!(v["sherlock"]["classification"], "ORPHAN");
        let empty = splice(b"{ }", "{}");
        assert_eq!(empty, br#"{"sherlock":{}}"#);
    }

    #[test]
    fn lines_no_stage_accepts_are_refused_with_the_reason() {
        let classifier = Classifier::new(
            crate::SearchConfig::default_config(),
            Arc::new(crate::memory::MemoryCatalogues::new()),
        );
        let stage = Stage::new(Arc::new(classifier), Arc::new(Cache::with_capacity(10)));
        let refused = |line: &str| match stage.annotate(line.as_bytes()).expect("no stage error") {
            Err(bad) => bad.to_string(),
            Ok(_) => panic!("accepted: {line}"),
        };
        let z = r#""survey":"ztf","ra":10,"dec":10"#;
        assert!(refused(&format!(r#"{{{z},"objectId":"../x"}}"#)).contains("objectId"));
        assert!(
            refused(&format!(r#"{{{z},"objectId":"{}"}}"#, "Z".repeat(65))).contains("objectId")
        );
        assert!(refused(&format!(r#"{{{z},"objectId":"ZTF1","mjd":1e308}}"#)).contains("mjd"));
        assert!(
            refused(r#"{"survey":"lsst","objectId":"ZTF1","ra":10,"dec":10}"#).contains("LSST")
        );
        assert!(refused(r#"{"survey":"hst","objectId":"ZTF1","ra":10,"dec":10}"#).contains("hst"));
        assert!(refused(r#"{"objectId":{"a":1},"ra":10,"dec":10}"#).contains("objectId"));
        assert!(refused(r#"{"objectId":"ZTF1","ra":1000,"dec":10}"#).contains("ra"));
        assert!(refused(r#"{"ra":10,"dec":10}"#).contains("objectId"));
        let ok =
            stage.annotate(format!(r#"{{{z},"objectId":"ZTF18abc","mjd":59000.5}}"#).as_bytes());
        assert!(matches!(ok, Ok(Ok(_))));
    }

    #[test]
    fn a_second_pass_replaces_the_old_context() {
        let out = replace(br#"{"ra":1,"sherlock":{"old":true}}"#, r#"{"new":true}"#);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v["sherlock"], serde_json::json!({"new": true}));
    }
}

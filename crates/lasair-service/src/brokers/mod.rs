//! Other brokers' classifications, read from their own streams in their own formats, each
//! message made into one annotation of one object (as Lasair's broker consumers make them, with
//! their bugs left out): Fink's Avro alerts with its classifiers' scores (`fink`), ALeRCE's
//! stamp and lightcurve classifiers (`alerce`), AMPEL's reports on SCiMMA's Hopskotch
//! (`ampel`). Each module records which public schema and commit its format was learnt from.
//!
//! The message's object key is taken as text, either survey's form (an LSST diaObjectId, a
//! ZTF objectId); [`crate::annotations::annotate_all`] then checks it against the survey of
//! the database, as the annotate API does.

mod alerce;
mod ampel;
mod fink;
mod payload;

use std::fmt;
use std::str::FromStr;

use lasair_alert::avro::{AvroError, Limits, SchemaCache};
use serde_json::{Map, Value as Json};

use crate::annotations::Annotation;

/// A broker whose classifications are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    Fink,
    Alerce,
    Ampel,
}

impl Broker {
    pub const ALL: [Broker; 3] = [Broker::Fink, Broker::Alerce, Broker::Ampel];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Broker::Fink => "fink",
            Broker::Alerce => "alerce",
            Broker::Ampel => "ampel",
        }
    }
}

impl fmt::Display for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Broker {
    type Err = String;

    fn from_str(s: &str) -> Result<Broker, String> {
        Broker::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown broker {s:?}: fink, alerce or ampel"))
    }
}

/// One classification of one object, read from a broker's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The object's key as text: an LSST diaObjectId or a ZTF objectId.
    pub object: String,
    pub classification: String,
    /// The scores behind it, stored as the annotation's classdict.
    pub classdict: Map<String, Json>,
    /// The classifier's version where the message gives one.
    pub version: String,
    /// Where it came from (the broker, the classifier, the topic).
    pub explanation: String,
    /// The annotator it goes to unless another is named: `fink`, `alerce_stamp`,
    /// `alerce_lc`, `ampel` or `ampel_infant`.
    pub annotator: &'static str,
}

impl Classified {
    /// The annotation it makes under annotator `topic`.
    pub fn annotation(&self, topic: &str) -> Annotation {
        Annotation {
            object: self.object.clone(),
            topic: topic.to_owned(),
            classification: self.classification.clone(),
            version: self.version.clone(),
            explanation: self.explanation.clone(),
            classdict: Json::Object(self.classdict.clone()).to_string(),
            url: String::new(),
            timestamp: String::new(),
        }
    }
}

/// What a message held.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Classified(Classified),
    /// Well formed, but nothing to annotate (a solar-system source with no object, a class
    /// Lasair does not annotate, no class above the threshold): why.
    Skipped(String),
}

/// Why a message could not be read: what was wrong, naming the field.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("{what}: {source}")]
    Avro {
        what: &'static str,
        source: AvroError,
    },
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no {0}")]
    Missing(String),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl BrokerError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> BrokerError {
        BrokerError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Reads brokers' messages: keeps the writer schemas seen (Fink sends its schema with every
/// message) and ALeRCE's schemas for its schemaless topics, compiled once.
#[derive(Debug)]
pub struct Reader {
    seen: SchemaCache,
    alerce: alerce::Schemas,
    limits: Limits,
}

impl Reader {
    pub fn new() -> Result<Reader, BrokerError> {
        Ok(Reader {
            seen: SchemaCache::default(),
            alerce: alerce::Schemas::compile()?,
            limits: Limits::default(),
        })
    }

    /// The classification in one message of `broker`'s topic `topic`, with its Kafka key.
    pub fn read(
        &self,
        broker: Broker,
        topic: &str,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<Reading, BrokerError> {
        match broker {
            Broker::Fink => {
                let body = fink::body(key, payload, &self.seen, &self.limits)?;
                fink::read(&body, topic)
            }
            Broker::Alerce => {
                let body = alerce::body(payload, topic, &self.alerce, &self.seen, &self.limits)?;
                alerce::read(&body, topic)
            }
            Broker::Ampel => {
                let body = ampel::body(payload, &self.seen, &self.limits)?;
                ampel::read(&body, topic)
            }
        }
    }
}

/// The value at `path` in `v`, `None` when absent or null.
fn at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a Json> {
    let found = path.iter().try_fold(v, |v, name| v.get(name))?;
    (!found.is_null()).then_some(found)
}

/// An object key given as an integer or a string, as text; `None` when absent, null, empty
/// or 0 (Rubin's "no object").
fn id_text(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::Number(n) if n.as_i64() == Some(0) => None,
        Json::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Json::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A probability rounded to 3 decimals, as Lasair keeps ALeRCE's.
fn round3(p: f64) -> Json {
    Json::from((p * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests;

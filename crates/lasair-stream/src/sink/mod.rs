//! Where records go: lines to stdout or a file, records by topic into a folder, and Kafka
//! (`crate::kafka`), chosen by spec strings.

mod stdio;
mod topics;

use crate::spec::Spec;
use crate::{kafka, KafkaOptions, Sink, StreamError, TopicSink};

/// Opens the output named by `spec`: `-` (stdout), a Kafka topic, or a file (created or truncated).
pub fn open_sink(spec: &str, kafka: &KafkaOptions) -> Result<Box<dyn Sink>, StreamError> {
    Ok(match Spec::parse(spec)? {
        Spec::Stdio => Box::new(stdio::LineSink::stdout()),
        Spec::Kafka(spec) => Box::new(kafka::KafkaSink::open(&spec, kafka)?),
        Spec::Path(path) => Box::new(stdio::LineSink::file(&path)?),
    })
}

/// Opens a stream that several writers add to, run after run: a Kafka topic, or a file
/// appended to (never truncated); `-` is stdout. The annotation stream is one: lasair-serve
/// and lasair-sync both write to it, and lasair-filter --annotations reads it.
pub fn open_appending(spec: &str, kafka: &KafkaOptions) -> Result<Box<dyn Sink>, StreamError> {
    Ok(match Spec::parse(spec)? {
        Spec::Path(path) => Box::new(stdio::LineSink::appending(&path)?),
        _ => open_sink(spec, kafka)?,
    })
}

/// Opens a destination for records by topic: `kafka://HOST:PORT[,HOST:PORT]` (the brokers;
/// any topic part is ignored), or a folder where each topic is a file `TOPIC.jsonl` of JSON
/// lines, appended to (the embedded default, for a laptop or the demo).
pub fn open_topics(spec: &str, kafka: &KafkaOptions) -> Result<Box<dyn TopicSink>, StreamError> {
    if let Some(rest) = spec.strip_prefix("kafka://") {
        let brokers = rest.split('/').next().unwrap_or_default();
        let spec = match Spec::parse(&format!("kafka://{brokers}/lasair"))? {
            Spec::Kafka(k) => k,
            _ => return Err(StreamError::spec(spec, "expected kafka://HOST:PORT")),
        };
        return Ok(Box::new(kafka::KafkaSink::open_any(&spec, kafka)?));
    }
    Ok(Box::new(topics::FolderTopics::open(spec)?))
}

//! Helpers shared by the Kafka tests: producing through the sink and reading with time limits.

#![allow(dead_code)] // each test file uses its own part of these helpers

use std::time::{Duration, Instant};

use lasair_stream::{open_sink, open_source, KafkaOptions, Message, Source, SourceKind};

/// Group joins and rebalances take a few seconds on the mock broker; this bounds every wait.
pub const LIMIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(250);

/// Options for tests: short session timeouts so departed members do not stall a rebalance.
pub fn options() -> KafkaOptions {
    KafkaOptions {
        extra: vec![("session.timeout.ms".into(), "6000".into())],
        client_id: "lasair-stream-test".into(),
        ..KafkaOptions::default()
    }
}

/// Sends each payload, keyed by its index so messages spread over partitions, then flushes.
pub fn produce(brokers: &str, topic: &str, payloads: &[Vec<u8>]) {
    let spec = format!("kafka://{brokers}/{topic}");
    let mut sink = open_sink(&spec, &options()).expect("open kafka sink");
    for (i, payload) in payloads.iter().enumerate() {
        sink.send(Some(i.to_string().as_bytes()), payload)
            .expect("send");
    }
    sink.flush().expect("every message delivered");
}

pub fn source(spec: &str) -> Box<dyn Source> {
    open_source(&[spec.to_owned()], SourceKind::Lines, &options()).expect("open kafka source")
}

/// Reads until `n` messages satisfying `wanted` have arrived (others are kept too), failing
/// after [`LIMIT`] instead of hanging.
pub fn read_until(
    source: &mut dyn Source,
    n: usize,
    wanted: impl Fn(&Message) -> bool,
) -> Vec<Message> {
    let start = Instant::now();
    let mut all: Vec<Message> = Vec::new();
    while all.iter().filter(|m| wanted(m)).count() < n {
        assert!(
            start.elapsed() < LIMIT,
            "only {} of {n} wanted messages within {LIMIT:?}",
            all.iter().filter(|m| wanted(m)).count()
        );
        all.extend(source.next_batch(100, POLL).expect("poll"));
        assert!(!source.finished(), "a Kafka source never finishes");
    }
    all
}

/// Everything that arrives within `window`.
pub fn read_for(source: &mut dyn Source, window: Duration) -> Vec<Message> {
    let start = Instant::now();
    let mut all = Vec::new();
    while start.elapsed() < window {
        all.extend(source.next_batch(100, POLL).expect("poll"));
    }
    all
}

pub fn payloads(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}-{i}").into_bytes())
        .collect()
}

/// The payloads as strings, sorted, to compare sets regardless of partition interleaving.
pub fn texts(messages: &[Message]) -> Vec<String> {
    let mut texts: Vec<String> = messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    texts.sort();
    texts
}

/// The same for the payloads that were sent.
pub fn sorted(payloads: &[Vec<u8>]) -> Vec<String> {
    let mut texts: Vec<String> = payloads
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    texts.sort();
    texts
}

/// The partitions the messages came from, sorted and without repeats.
pub fn partitions(messages: &[Message]) -> Vec<i32> {
    let mut partitions: Vec<i32> = messages
        .iter()
        .filter_map(|m| match m.origin {
            lasair_stream::Origin::Kafka { partition, .. } => Some(partition),
            _ => None,
        })
        .collect();
    partitions.sort();
    partitions.dedup();
    partitions
}

/// Reads a source opened to stop at the end of its partitions until it says it is finished,
/// failing after [`LIMIT`] instead of hanging.
pub fn read_to_end(source: &mut dyn Source) -> Vec<Message> {
    let start = Instant::now();
    let mut all = Vec::new();
    while !source.finished() {
        assert!(
            start.elapsed() < LIMIT,
            "not at the end within {LIMIT:?} ({} read)",
            all.len()
        );
        all.extend(source.next_batch(100, POLL).expect("poll"));
    }
    all
}

/// A source of `spec` that stops at the end of its partitions.
pub fn source_to_end(spec: &str) -> Box<dyn Source> {
    let options = KafkaOptions {
        until_end: true,
        ..options()
    };
    open_source(&[spec.to_owned()], SourceKind::Lines, &options).expect("open kafka source")
}

/// A run of a batch job: reads `spec` to the end of its partitions and commits; what it read.
pub fn run_to_end(spec: &str) -> Vec<Message> {
    let mut source = source_to_end(spec);
    let got = read_to_end(source.as_mut());
    source.commit().expect("commit");
    got
}

//! Record streams shared by every tool: JSON lines on stdin/stdout and files, Avro alert files,
//! and Kafka, each chosen by a spec string so the same tool runs in a shell pipe or as a unit.
//!
//! Specs: `-` is stdin or stdout; `kafka://host:9092[,host:9092]/TOPIC[?group=NAME]` is Kafka
//! (a source takes a comma-separated list of topics or a `^regex`); anything else is a file,
//! a directory (read recursively in sorted order) or a glob pattern.
//!
//! A tool's loop: effects are made durable before offsets are committed, so a crash at any
//! point re-delivers (at-least-once) and never loses a record; a broken pipe ends quietly.
//!
//! ```no_run
//! use std::sync::atomic::Ordering;
//! use std::time::Duration;
//!
//! use lasair_stream::{open_sink, open_source, shutdown, KafkaOptions, SourceKind, StreamError};
//!
//! fn copy(input: &str, output: &str) -> Result<(), StreamError> {
//!     let stop = shutdown::install().expect("signal handlers");
//!     let kafka = KafkaOptions::default();
//!     let mut source = open_source(&[input.to_owned()], SourceKind::Lines, &kafka)?;
//!     let mut sink = open_sink(output, &kafka)?;
//!     while !source.finished() && !stop.load(Ordering::SeqCst) {
//!         for message in source.next_batch(1000, Duration::from_secs(1))? {
//!             match sink.send(message.key.as_deref(), &message.payload) {
//!                 Err(e) if e.is_broken_pipe() => return Ok(()),
//!                 sent => sent?,
//!             }
//!         }
//!         sink.flush()?;
//!         source.commit()?;
//!     }
//!     Ok(())
//! }
//! ```

mod error;
mod kafka;
mod origin;
pub mod shutdown;
mod sink;
mod source;
mod spec;
mod stage;

use std::time::Duration;

pub use error::StreamError;
pub use origin::Origin;
pub use sink::{open_appending, open_sink, open_topics};
pub use source::{at_most, open_source};
pub use stage::{
    parse_args, run_stage, BatchError, Failed, MonitorArgs, StageDefaults, StageRun, StreamArgs,
};

/// One record read from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Shared, so what is decoded from it can be a view into it (an alert's cutouts).
    pub payload: bytes::Bytes,
    pub key: Option<Vec<u8>>,
    pub origin: Origin,
}

/// Where records come from.
pub trait Source: Send {
    /// Up to `max` messages; waits at most `wait` for the first one (Kafka); returns an empty Vec
    /// when nothing arrived in time. Files and stdin return empty only when exhausted, then
    /// `finished()` is true. `wait` bounds the whole call: once it expires, a Kafka batch takes
    /// only what is already fetched. After an error, calling again goes on with the next input
    /// (files) or polls again (Kafka); see [`StreamError::is_transient`].
    fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, StreamError>;
    /// True once a finite input (files, stdin) is exhausted; for Kafka, never, unless it was
    /// opened to stop at the end of its partitions ([`KafkaOptions::until_end`]).
    fn finished(&self) -> bool;
    /// Marks every message returned so far as done: for Kafka, commits their offsets
    /// (synchronously, the next offset per partition); called by the tool only after the batch's
    /// effects are durable.
    fn commit(&mut self) -> Result<(), StreamError>;
}

/// Where records go.
pub trait Sink: Send {
    /// Queues one record; a line sink writes the payload and a newline (and ignores the key).
    fn send(&mut self, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError>;
    /// Makes everything sent so far durable: flushes the file (and syncs it to disk) or stdout;
    /// for Kafka, waits for every delivery report and fails if any message was not delivered.
    /// (A Kafka sink dropped unflushed waits up to 10 s; librdkafka then discards the rest.)
    fn flush(&mut self) -> Result<(), StreamError>;
}

/// Where records go by topic: a filter's results, one topic per user filter.
pub trait TopicSink: Send {
    /// Queues one record for `topic` (letters, digits, `.`, `_`, `-`).
    fn send_to(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), StreamError>;
    /// Makes everything sent so far durable, as [`Sink::flush`] does.
    fn flush(&mut self) -> Result<(), StreamError>;
}

/// What a non-Kafka input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// One message per whole file; directories contribute their `*.avro` files.
    AvroFiles,
    /// One message per non-blank line; directories contribute every file.
    Lines,
}

/// Settings for Kafka specs that the spec string itself does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaOptions {
    /// Consumer group of a source, unless the spec has `?group=NAME`.
    pub group: Option<String>,
    /// librdkafka settings applied last, e.g. from `--kafka-option key=value`.
    pub extra: Vec<(String, String)>,
    pub client_id: String,
    /// A source stops at the end of its partitions: once every partition assigned to it has
    /// been read up to its last message, [`Source::finished`] is true (a batch job run by cron,
    /// not a service that waits for more).
    pub until_end: bool,
}

impl KafkaOptions {
    /// Options from a tool's settings: its consumer group, `KEY=VALUE` librdkafka settings
    /// (`--kafka-option`), and its name as the client id.
    pub fn from_settings(
        group: Option<String>,
        pairs: &[String],
        client_id: &str,
    ) -> Result<KafkaOptions, StreamError> {
        let extra = pairs
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| StreamError::spec(kv, "a Kafka option is KEY=VALUE"))
            })
            .collect::<Result<_, _>>()?;
        Ok(KafkaOptions {
            group,
            extra,
            client_id: client_id.to_owned(),
            until_end: false,
        })
    }
}

/// What one batch's work asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The batch's effects are durable: commit its offsets and read on.
    Commit,
    /// Stop now without committing (the reader of our output went away).
    Stop,
}

/// What a run of [`run_batches`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Drained {
    /// Messages handed to the batches.
    pub messages: u64,
    /// Inputs that could not be read (bad files), reported on stderr.
    pub bad_inputs: u64,
    pub batches: u64,
}

/// The batch loop every stage runs: up to `size` messages (waiting at most `wait` for them),
/// handed to `process`, whose effects must be durable when it returns [`Step::Commit`]; only
/// then are the offsets committed (at-least-once delivery). It ends when a finite input is
/// exhausted, when `shutdown` is set (after finishing the batch in hand), or on an error.
/// An unreadable input is reported and counted; a broker away is waited for (1 s).
pub(crate) fn run_batches<E: From<StreamError>>(
    source: &mut dyn Source,
    size: usize,
    wait: Duration,
    shutdown: &std::sync::atomic::AtomicBool,
    tool: &str,
    mut process: impl FnMut(&[Message]) -> Result<Step, E>,
) -> Result<Drained, E> {
    let mut drained = Drained::default();
    while !shutdown.load(std::sync::atomic::Ordering::Relaxed) {
        let messages = match source.next_batch(size.max(1), wait) {
            Ok(messages) => messages,
            Err(e @ (StreamError::Read { .. } | StreamError::NoInput { .. })) => {
                eprintln!("{tool}: {e}");
                drained.bad_inputs += 1;
                continue;
            }
            Err(e @ StreamError::Kafka { .. }) => {
                eprintln!("{tool}: {e} (polling again)");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if messages.is_empty() {
            if source.finished() {
                break;
            }
            continue;
        }
        drained.messages += messages.len() as u64;
        if process(&messages)? == Step::Stop {
            break;
        }
        source.commit()?;
        drained.batches += 1;
    }
    Ok(drained)
}

impl Default for KafkaOptions {
    fn default() -> Self {
        KafkaOptions {
            group: None,
            extra: Vec::new(),
            client_id: "lasair".into(),
            until_end: false,
        }
    }
}

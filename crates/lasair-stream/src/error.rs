//! The one error type of record streams: every variant names the input or target and the cause.

use std::io;

use rdkafka::error::KafkaError;

/// Why opening, reading or writing a stream failed.
///
/// An error from [`Source::next_batch`](crate::Source::next_batch) for one input does not end the
/// source: calling it again goes on with the next input (files) or polls again (Kafka).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// A spec string that cannot be parsed (bad Kafka URL, topic name, parameter).
    #[error("bad stream spec {spec:?}: {reason}")]
    Spec { spec: String, reason: String },

    /// A file, directory or glob spec that names no input.
    #[error("{spec}: {reason}")]
    NoInput { spec: String, reason: String },

    /// Reading an input (file, directory, stdin) failed.
    #[error("reading {input}: {source}")]
    Read { input: String, source: io::Error },

    /// Writing to a file or stdout failed, for a reason other than a closed pipe.
    #[error("writing {target}: {source}")]
    Write { target: String, source: io::Error },

    /// The reader of our output went away (`| head`); tools end quietly with success.
    #[error("writing {target}: broken pipe")]
    BrokenPipe { target: String },

    /// A Kafka source was given no consumer group.
    #[error("kafka source {spec}: a consumer group is needed (add ?group=NAME to the spec or set the group option)")]
    NoGroup { spec: String },

    /// A Kafka client operation failed; `what` says which (creating the consumer, polling, ...).
    #[error("kafka {topics}: {what}: {source}")]
    Kafka {
        topics: String,
        what: &'static str,
        source: KafkaError,
    },

    /// The operators' side could not be set up: the metrics' address, the alarms' webhook.
    #[error("{what}: {reason}")]
    Monitoring { what: &'static str, reason: String },

    /// Some produced messages were not delivered; `first` is the first failure's cause.
    #[error("kafka {topic}: {failed} message(s) not delivered, first failure: {first}")]
    Delivery {
        topic: String,
        failed: u64,
        first: String,
    },
}

impl StreamError {
    /// True when the output was closed by its reader, so the tool should stop quietly and exit 0.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, StreamError::BrokenPipe { .. })
    }

    /// True for Kafka errors librdkafka recovers from by itself (a broker down for a while, a
    /// subscribed topic not created yet): log them and call `next_batch` again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StreamError::Kafka {
                source: KafkaError::MessageConsumption(_),
                ..
            }
        )
    }

    /// Sorts a write error: a closed pipe becomes [`StreamError::BrokenPipe`].
    pub(crate) fn write(target: &str, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::BrokenPipe {
            StreamError::BrokenPipe {
                target: target.to_owned(),
            }
        } else {
            StreamError::Write {
                target: target.to_owned(),
                source,
            }
        }
    }

    pub(crate) fn read(input: impl std::fmt::Display, source: io::Error) -> Self {
        StreamError::Read {
            input: input.to_string(),
            source,
        }
    }

    pub(crate) fn spec(spec: &str, reason: impl Into<String>) -> Self {
        StreamError::Spec {
            spec: spec.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_recognised_and_other_write_errors_are_not() {
        let e = StreamError::write("stdout", io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert_eq!(e.to_string(), "writing stdout: broken pipe");
        let e = StreamError::write("out.jsonl", io::Error::from(io::ErrorKind::StorageFull));
        assert!(!e.is_broken_pipe());
        assert!(e.to_string().starts_with("writing out.jsonl: "));
    }
}

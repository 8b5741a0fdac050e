//! Where a message came from, so a bad record can be reported with its place.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The place a [`Message`](crate::Message) was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The whole of standard input (an Avro file piped in).
    Stdin,
    /// A whole file (one Avro alert file).
    File { path: PathBuf },
    /// One line of a JSON lines input; `source` is the file name or `stdin`, `line` is 1-based.
    Line { source: Arc<str>, line: u64 },
    /// One Kafka message.
    Kafka {
        topic: Arc<str>,
        partition: i32,
        offset: i64,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Stdin => f.write_str("stdin"),
            Origin::File { path } => write!(f, "{}", path.display()),
            Origin::Line { source, line } => write!(f, "{source}:{line}"),
            Origin::Kafka {
                topic,
                partition,
                offset,
            } => write!(f, "kafka {topic}[{partition}]@{offset}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_display_as_documented() {
        assert_eq!(Origin::Stdin.to_string(), "stdin");
        let file = Origin::File {
            path: PathBuf::from("path/to/x.avro"),
        };
        assert_eq!(file.to_string(), "path/to/x.avro");
        let line = Origin::Line {
            source: Arc::from("alerts.jsonl"),
            line: 42,
        };
        assert_eq!(line.to_string(), "alerts.jsonl:42");
        let kafka = Origin::Kafka {
            topic: Arc::from("ztf_x"),
            partition: 3,
            offset: 1234,
        };
        assert_eq!(kafka.to_string(), "kafka ztf_x[3]@1234");
    }
}

//! A source that ends after a given number of messages: a batch job's share of a stream (a
//! cron job taking at most so many messages a run, as Lasair's broker consumers do).

use std::time::Duration;

use crate::{Message, Source, StreamError};

/// `source`, finished once it has returned `max` messages (or when it finishes first). No
/// batch goes past `max`, so only the messages returned are committed and the rest wait, in
/// the stream, for the next run.
pub fn at_most(source: Box<dyn Source>, max: u64) -> Box<dyn Source> {
    Box::new(AtMost { source, left: max })
}

struct AtMost {
    source: Box<dyn Source>,
    left: u64,
}

impl Source for AtMost {
    fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, StreamError> {
        if self.left == 0 {
            return Ok(Vec::new());
        }
        let want = usize::try_from(self.left).unwrap_or(usize::MAX).min(max);
        let batch = self.source.next_batch(want, wait)?;
        self.left = self.left.saturating_sub(batch.len() as u64);
        Ok(batch)
    }

    fn finished(&self) -> bool {
        self.left == 0 || self.source.finished()
    }

    fn commit(&mut self) -> Result<(), StreamError> {
        self.source.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{open_source, KafkaOptions, SourceKind};

    #[test]
    fn no_more_than_the_share_is_read() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, "1\n2\n3\n4\n5\n").expect("write");
        let spec = [path.display().to_string()];
        let all = open_source(&spec, SourceKind::Lines, &KafkaOptions::default()).expect("open");
        let mut three = at_most(all, 3);
        let wait = Duration::from_millis(1);
        assert_eq!(three.next_batch(2, wait).expect("batch").len(), 2);
        assert!(!three.finished());
        assert_eq!(three.next_batch(2, wait).expect("batch").len(), 1);
        assert!(three.finished());
        assert!(three.next_batch(2, wait).expect("batch").is_empty());

        let all = open_source(&spec, SourceKind::Lines, &KafkaOptions::default()).expect("open");
        let mut more = at_most(all, 9);
        assert_eq!(more.next_batch(9, wait).expect("batch").len(), 5);
        assert!(more.next_batch(9, wait).expect("batch").is_empty());
        assert!(more.finished(), "the input ended first");
    }
}

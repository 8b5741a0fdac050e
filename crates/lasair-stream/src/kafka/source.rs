//! Kafka source: a consumer-group member that commits only what the tool has finished.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::{Message as _, Offset, TopicPartitionList};

use crate::spec::KafkaSpec;
use crate::{KafkaOptions, Message, Origin, Source, StreamError};

pub(crate) struct KafkaSource {
    consumer: BaseConsumer<super::Watched>,
    /// The subscription as written, for error messages.
    topics: String,
    /// Per partition, the offset after the last message returned: what `commit` commits.
    returned: HashMap<(Arc<str>, i32), i64>,
    /// Topic names shared by every message's origin.
    names: HashSet<Arc<str>>,
    /// A poll error met after part of a batch was read, returned by the next call.
    pending: Option<StreamError>,
    /// Finished once every assigned partition is read to its end ([`KafkaOptions::until_end`]).
    until_end: bool,
}

/// How long a question to the brokers about offsets may take.
const OFFSETS_TIMEOUT: Duration = Duration::from_secs(10);

impl KafkaSource {
    pub(crate) fn open(spec: &KafkaSpec, options: &KafkaOptions) -> Result<Self, StreamError> {
        let topics = spec.topics.describe();
        let group = spec.group.as_ref().or(options.group.as_ref());
        let group = group.ok_or_else(|| StreamError::NoGroup {
            spec: spec.spec.clone(),
        })?;
        let config = super::consumer_config(spec, group, options);
        let watched = super::Watched::new(&options.client_id);
        let consumer: BaseConsumer<super::Watched> = config
            .create_with_context(watched)
            .map_err(|e| failed(&topics, "creating consumer", e))?;
        consumer
            .subscribe(&spec.topics.subscription())
            .map_err(|e| failed(&topics, "subscribing", e))?;
        Ok(KafkaSource {
            consumer,
            topics,
            returned: HashMap::new(),
            names: HashSet::new(),
            pending: None,
            until_end: options.until_end,
        })
    }

    /// True when partitions are assigned and each has been read to its high watermark: where
    /// the consumer stands (the next offset it returns), or, before it has returned anything
    /// from a partition, the group's committed offset, or the partition's first offset (the
    /// consumer starts from the earliest).
    fn at_end(&self) -> Result<bool, KafkaError> {
        let positions = self.consumer.position()?;
        if positions.count() == 0 {
            return Ok(false);
        }
        let mut unread = TopicPartitionList::new();
        for p in positions.elements() {
            if !matches!(p.offset(), Offset::Offset(_)) {
                unread.add_partition(p.topic(), p.partition());
            }
        }
        let committed = match unread.count() {
            0 => unread,
            _ => self.consumer.committed_offsets(unread, OFFSETS_TIMEOUT)?,
        };
        for p in positions.elements() {
            let (topic, partition) = (p.topic(), p.partition());
            let (low, high) = self
                .consumer
                .fetch_watermarks(topic, partition, OFFSETS_TIMEOUT)?;
            let from_commit = committed
                .find_partition(topic, partition)
                .map(|c| c.offset());
            let next = match (p.offset(), from_commit) {
                (Offset::Offset(o), _) | (_, Some(Offset::Offset(o))) => o,
                _ => low,
            };
            if next < high {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn error(&self, what: &'static str, source: KafkaError) -> StreamError {
        failed(&self.topics, what, source)
    }
}

fn failed(topics: &str, what: &'static str, source: KafkaError) -> StreamError {
    StreamError::Kafka {
        topics: topics.to_owned(),
        what,
        source,
    }
}

/// Drops from `batch`, and from what `commit` commits, the messages of partitions a
/// rebalance revoked since they were read: the partition's new owner reads them again
/// from the committed offset. Were they kept, two members would work on the same messages
/// at once and an older message's effects could land after a newer one's (a stage's
/// output out of order, an older alert's row last). A partition handed back to this member
/// is read again from the committed offset too (an eager rebalance revokes every partition
/// and then assigns), so what its later polls return is kept and nothing is lost or
/// doubled: the dropped messages were neither processed nor committed here.
///
/// It takes the source's parts, not the source, so it can run while a polled message still
/// borrows the consumer.
fn drop_revoked(
    context: &super::Watched,
    returned: &mut HashMap<(Arc<str>, i32), i64>,
    batch: &mut Vec<Message>,
) {
    let revoked = context.take_revoked();
    if revoked.is_empty() {
        return;
    }
    let gone = |topic: &str, partition: i32| {
        revoked
            .iter()
            .any(|(t, p)| t.as_str() == topic && *p == partition)
    };
    batch.retain(|m| match &m.origin {
        Origin::Kafka {
            topic, partition, ..
        } => !gone(topic, *partition),
        _ => true,
    });
    returned.retain(|(topic, partition), _| !gone(topic, *partition));
}

/// The shared name of a topic, so messages do not each allocate one.
fn intern(names: &mut HashSet<Arc<str>>, name: &str) -> Arc<str> {
    if let Some(topic) = names.get(name) {
        return topic.clone();
    }
    let topic: Arc<str> = Arc::from(name);
    names.insert(topic.clone());
    topic
}

/// Copies a message out of librdkafka's buffer so the consumer can be polled again.
fn owned(message: &BorrowedMessage<'_>, topic: Arc<str>) -> Message {
    Message {
        payload: message.payload().unwrap_or_default().to_vec().into(),
        key: message.key().map(<[u8]>::to_vec),
        origin: Origin::Kafka {
            topic,
            partition: message.partition(),
            offset: message.offset(),
        },
    }
}

impl Source for KafkaSource {
    fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, StreamError> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        let deadline = Instant::now() + wait;
        let mut batch = Vec::new();
        // Revoked between batches: the last batch's offsets are not this member's to commit.
        drop_revoked(self.consumer.context(), &mut self.returned, &mut batch);
        while batch.len() < max.max(1) {
            let left = deadline.saturating_duration_since(Instant::now());
            // A poll also ends early, with nothing, when it handled a rebalance.
            let polled = self.consumer.poll(left);
            drop_revoked(self.consumer.context(), &mut self.returned, &mut batch);
            let polled = match polled {
                None if left.is_zero() => break,
                None => continue,
                Some(Err(KafkaError::PartitionEOF(_))) => continue,
                Some(polled) => polled,
            };
            match polled {
                Ok(message) => {
                    let topic = intern(&mut self.names, message.topic());
                    let next = message.offset() + 1;
                    self.returned
                        .insert((topic.clone(), message.partition()), next);
                    batch.push(owned(&message, topic));
                }
                Err(source) if batch.is_empty() => return Err(self.error("polling", source)),
                Err(source) => {
                    self.pending = Some(self.error("polling", source));
                    break;
                }
            }
        }
        Ok(batch)
    }

    fn finished(&self) -> bool {
        // A broker that cannot answer now is asked again after the next poll.
        self.until_end && self.pending.is_none() && self.at_end().unwrap_or(false)
    }

    fn commit(&mut self) -> Result<(), StreamError> {
        if self.returned.is_empty() {
            return Ok(());
        }
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), next) in &self.returned {
            offsets
                .add_partition_offset(topic, *partition, Offset::Offset(*next))
                .map_err(|e| self.error("committing offsets", e))?;
        }
        self.consumer
            .commit(&offsets, CommitMode::Sync)
            .map_err(|e| self.error("committing offsets", e))?;
        self.returned.clear();
        Ok(())
    }
}

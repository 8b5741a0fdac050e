//! Kafka sink: a producer whose delivery reports are counted, so `flush` can say if any failed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::util::Timeout;
use rdkafka::ClientContext;

use crate::spec::{KafkaSpec, Topics};
use crate::{KafkaOptions, Sink, StreamError, TopicSink};

/// How long a dropped, unflushed sink waits for its messages; `flush` is the real way.
const DROP_FLUSH: Duration = Duration::from_secs(10);
/// Pause before retrying when librdkafka's local queue is full.
const QUEUE_FULL_PAUSE: Duration = Duration::from_millis(5);

/// Failures reported by librdkafka's delivery callbacks since the last `flush`.
#[derive(Default)]
struct Deliveries {
    failed: AtomicU64,
    first: Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, _)) = result {
            self.failed.fetch_add(1, Ordering::SeqCst);
            let mut first = self.first.lock().unwrap_or_else(PoisonError::into_inner);
            first.get_or_insert_with(|| error.to_string());
        }
    }
}

pub(crate) struct KafkaSink {
    producer: ThreadedProducer<Deliveries>,
    /// The one topic of a [`Sink`]; a [`TopicSink`] names one per message and shows this
    /// in messages instead.
    topic: String,
}

impl KafkaSink {
    pub(crate) fn open(spec: &KafkaSpec, options: &KafkaOptions) -> Result<Self, StreamError> {
        let topic = match &spec.topics {
            Topics::Names(names) if names.len() == 1 && spec.group.is_none() => names[0].clone(),
            _ => {
                let reason = "a Kafka sink takes one topic name, no pattern or group";
                return Err(StreamError::spec(&spec.spec, reason));
            }
        };
        KafkaSink::create(spec, options, topic)
    }

    /// A producer to the brokers of `spec` for messages to any topic (its topic part unused).
    pub(crate) fn open_any(spec: &KafkaSpec, options: &KafkaOptions) -> Result<Self, StreamError> {
        KafkaSink::create(spec, options, format!("topics at {}", spec.brokers))
    }

    fn create(
        spec: &KafkaSpec,
        options: &KafkaOptions,
        topic: String,
    ) -> Result<Self, StreamError> {
        let config = super::producer_config(spec, options);
        let producer = config
            .create_with_context(Deliveries::default())
            .map_err(|source| StreamError::Kafka {
                topics: topic.clone(),
                what: "creating producer",
                source,
            })?;
        Ok(KafkaSink { producer, topic })
    }

    fn produce(&self, topic: &str, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        let mut record = BaseRecord::to(topic).payload(payload);
        if let Some(key) = key {
            record = record.key(key);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                // Deliveries drain the queue (or time out), so waiting always ends.
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), again)) => {
                    record = again;
                    std::thread::sleep(QUEUE_FULL_PAUSE);
                }
                Err((source, _)) => {
                    return Err(StreamError::Kafka {
                        topics: topic.to_owned(),
                        what: "producing",
                        source,
                    })
                }
            }
        }
    }

    fn flush_all(&self) -> Result<(), StreamError> {
        // Every message ends delivered or failed within message.timeout.ms, so this returns.
        let flushed = self.producer.flush(Timeout::Never);
        let deliveries = self.producer.context();
        let failed = deliveries.failed.swap(0, Ordering::SeqCst);
        let first = deliveries
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if failed > 0 {
            return Err(StreamError::Delivery {
                topic: self.topic.clone(),
                failed,
                first: first.unwrap_or_default(),
            });
        }
        flushed.map_err(|source| StreamError::Kafka {
            topics: self.topic.clone(),
            what: "flushing",
            source,
        })
    }
}

impl Sink for KafkaSink {
    fn send(&mut self, key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        self.produce(&self.topic, key, payload)
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        self.flush_all()
    }
}

impl TopicSink for KafkaSink {
    fn send_to(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), StreamError> {
        self.produce(topic, key, payload)
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        self.flush_all()
    }
}

impl Drop for KafkaSink {
    /// librdkafka discards undelivered messages when the producer is dropped.
    fn drop(&mut self) {
        let _ = self.producer.flush(DROP_FLUSH);
    }
}

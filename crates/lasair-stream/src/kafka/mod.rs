//! Kafka sources and sinks (librdkafka through rdkafka), configured from a spec and options.

mod sink;
mod source;

pub(crate) use sink::KafkaSink;
pub(crate) use source::KafkaSource;

use std::sync::Mutex;

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientConfig, ClientContext};

use crate::spec::KafkaSpec;
use crate::KafkaOptions;

/// Big enough for LSST alerts with cutouts, which pass Kafka's 1 MB default.
const MAX_MESSAGE_BYTES: &str = "10485760";

/// How often librdkafka reports a consumer's statistics (its partitions' lag) to [`Watched`].
const STATS_INTERVAL_MS: &str = "15000";

/// What a consumer tells the operators: each assigned partition's lag behind its high
/// watermark (from librdkafka's statistics) in the metrics, and an alarm when no broker can
/// be reached.
pub(crate) struct Watched {
    client: String,
    /// Partitions taken from this member by rebalances since [`KafkaSource`] last looked,
    /// recorded as librdkafka revokes them (inside a poll, on the polling thread).
    revoked: Mutex<Vec<(String, i32)>>,
}

impl Watched {
    pub(crate) fn new(client: &str) -> Self {
        Watched {
            client: client.to_owned(),
            revoked: Mutex::new(Vec::new()),
        }
    }

    /// The partitions revoked since the last call.
    pub(crate) fn take_revoked(&self) -> Vec<(String, i32)> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl ClientContext for Watched {
    fn stats(&self, statistics: Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 {
                    // librdkafka says -1 of a partition this consumer does not read (any
                    // more, after a rebalance): its figure is dropped, not left stale.
                    let lag = (p.consumer_lag >= 0).then_some(p.consumer_lag);
                    lasair_metrics::consumer_lag(&self.client, topic, *partition, lag);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            eprintln!("{}: cannot reach any Kafka broker: {reason}", self.client);
            lasair_metrics::alarm::raise(&format!("cannot reach any Kafka broker: {reason}"));
        }
    }
}

impl ConsumerContext for Watched {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance {
            let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
            for p in partitions.elements() {
                revoked.push((p.topic().to_owned(), p.partition()));
            }
        }
    }
}

/// Consumer settings: offsets are stored and committed only by [`Source::commit`](crate::Source::commit),
/// after the tool has made a batch's effects durable (at-least-once delivery).
fn consumer_config(spec: &KafkaSpec, group: &str, options: &KafkaOptions) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &spec.brokers)
        .set("client.id", &options.client_id)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("statistics.interval.ms", STATS_INTERVAL_MS);
    with_extra(config, options)
}

/// Producer settings: idempotence so librdkafka's retries neither duplicate nor reorder.
fn producer_config(spec: &KafkaSpec, options: &KafkaOptions) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &spec.brokers)
        .set("client.id", &options.client_id)
        .set("enable.idempotence", "true")
        .set("message.max.bytes", MAX_MESSAGE_BYTES);
    with_extra(config, options)
}

/// The operator's overrides come last so they win.
fn with_extra(mut config: ClientConfig, options: &KafkaOptions) -> ClientConfig {
    for (key, value) in &options.extra {
        config.set(key, value);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    fn spec(text: &str) -> KafkaSpec {
        match Spec::parse(text).expect("parses") {
            Spec::Kafka(k) => k,
            other => panic!("not kafka: {other:?}"),
        }
    }

    #[test]
    fn consumer_never_commits_by_itself_and_extra_options_win() {
        let options = KafkaOptions {
            extra: vec![("auto.offset.reset".into(), "latest".into())],
            ..KafkaOptions::default()
        };
        let config = consumer_config(&spec("kafka://b1:9092,b2:9092/t"), "g", &options);
        assert_eq!(config.get("bootstrap.servers"), Some("b1:9092,b2:9092"));
        assert_eq!(config.get("group.id"), Some("g"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        assert_eq!(config.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(config.get("auto.offset.reset"), Some("latest"));
    }

    #[test]
    fn producer_is_idempotent_and_takes_large_messages() {
        let config = producer_config(&spec("kafka://b:9092/t"), &KafkaOptions::default());
        assert_eq!(config.get("enable.idempotence"), Some("true"));
        assert_eq!(config.get("message.max.bytes"), Some(MAX_MESSAGE_BYTES));
        assert_eq!(config.get("client.id"), Some("lasair"));
    }
}

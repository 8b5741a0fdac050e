//! Kafka sources and sinks (librdkafka through rdkafka), configured from a spec and options.

mod sink;
mod source;

pub(crate) use sink::KafkaSink;
pub(crate) use source::KafkaSource;

use rdkafka::ClientConfig;

use crate::spec::KafkaSpec;
use crate::KafkaOptions;

/// Big enough for LSST alerts with cutouts, which pass Kafka's 1 MB default.
const MAX_MESSAGE_BYTES: &str = "10485760";

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
        .set("auto.offset.reset", "earliest");
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

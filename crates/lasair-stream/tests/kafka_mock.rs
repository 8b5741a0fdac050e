//! Kafka sources and sinks against librdkafka's in-process mock broker: delivery, commits,
//! at-least-once redelivery, topic patterns.

mod common;

use std::time::Duration;

use common::{payloads, produce, read_for, read_until, sorted, source, texts};
use lasair_stream::{open_sink, open_source, KafkaOptions, Origin, SourceKind, StreamError};
use rdkafka::mocking::MockCluster;

fn cluster(
    topics: &[&str],
) -> (
    MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    String,
) {
    let cluster = MockCluster::new(1).expect("mock cluster");
    for topic in topics {
        cluster.create_topic(topic, 3, 1).expect("create topic");
    }
    let brokers = cluster.bootstrap_servers();
    (cluster, brokers)
}

fn topic_of(origin: &Origin) -> &str {
    match origin {
        Origin::Kafka { topic, .. } => topic,
        other => panic!("not a Kafka origin: {other}"),
    }
}

#[test]
fn committed_messages_are_not_delivered_again_to_the_group() {
    let (_cluster, brokers) = cluster(&["t"]);
    let mut sent = payloads("first", 50);
    // A large message, as LSST alerts with cutouts are.
    sent.push(vec![b'x'; 3 * 1024 * 1024]);
    produce(&brokers, "t", &sent);

    let mut first = source(&format!("kafka://{brokers}/t?group=g"));
    let got = read_until(first.as_mut(), sent.len(), |_| true);
    assert_eq!(got.len(), sent.len(), "no duplicates within one consumer");
    assert_eq!(texts(&got), sorted(&sent));
    assert!(got.iter().all(|m| topic_of(&m.origin) == "t"));
    assert_eq!(
        common::partitions(&got),
        [0, 1, 2],
        "keys spread over every partition"
    );
    first.commit().expect("commit");
    drop(first);

    // Only what was produced after the commit reaches the next member of the group.
    let later = payloads("later", 5);
    produce(&brokers, "t", &later);
    let mut second = source(&format!("kafka://{brokers}/t?group=g"));
    let mut got = read_until(second.as_mut(), later.len(), |_| true);
    got.extend(read_for(second.as_mut(), Duration::from_secs(1)));
    assert_eq!(texts(&got), sorted(&later));
}

#[test]
fn uncommitted_messages_are_delivered_again() {
    let (_cluster, brokers) = cluster(&["t"]);
    let sent = payloads("m", 20);
    produce(&brokers, "t", &sent);
    let options = KafkaOptions {
        group: Some("g".into()),
        ..common::options()
    };
    let spec = [format!("kafka://{brokers}/t")];
    for attempt in 0..2 {
        let mut source = open_source(&spec, SourceKind::Lines, &options).expect("open");
        let got = read_until(source.as_mut(), sent.len(), |_| true);
        assert_eq!(texts(&got), sorted(&sent), "attempt {attempt}");
        // No commit: the tool "crashed" before its batch was durable.
    }
}

#[test]
fn a_batch_job_stops_at_the_end_of_its_partitions() {
    let (_cluster, brokers) = cluster(&["e"]);
    let spec = format!("kafka://{brokers}/e?group=cron");
    assert!(
        common::run_to_end(&spec).is_empty(),
        "an empty topic ends at once"
    );
    let first = payloads("first", 20);
    produce(&brokers, "e", &first);
    assert_eq!(texts(&common::run_to_end(&spec)), sorted(&first));
    assert!(
        common::run_to_end(&spec).is_empty(),
        "committed: nothing new"
    );
    let later = payloads("later", 5);
    produce(&brokers, "e", &later);
    assert_eq!(texts(&common::run_to_end(&spec)), sorted(&later));
    // Without a commit, the next run reads the same again.
    let mut source = common::source_to_end(&format!("kafka://{brokers}/e?group=fresh"));
    let all = common::read_to_end(source.as_mut());
    assert_eq!(all.len(), first.len() + later.len());
}

#[test]
fn topic_pattern_receives_from_every_matching_topic() {
    let (_cluster, brokers) = cluster(&["pat_a", "pat_b", "other"]);
    produce(&brokers, "pat_a", &payloads("a", 3));
    produce(&brokers, "pat_b", &payloads("b", 4));
    produce(&brokers, "other", &payloads("o", 5));
    let mut source = source(&format!("kafka://{brokers}/^pat_.*?group=g"));
    let mut got = read_until(source.as_mut(), 7, |_| true);
    got.extend(read_for(source.as_mut(), Duration::from_secs(1)));
    let mut from: Vec<&str> = got.iter().map(|m| topic_of(&m.origin)).collect();
    from.dedup();
    from.sort();
    from.dedup();
    assert_eq!(from, ["pat_a", "pat_b"]);
    assert_eq!(got.len(), 7);
}

#[test]
fn flush_reports_undelivered_messages_naming_the_topic() {
    let (cluster, brokers) = cluster(&["t"]);
    cluster.broker_down(1).expect("broker down");
    let options = KafkaOptions {
        extra: vec![("message.timeout.ms".into(), "1000".into())],
        ..KafkaOptions::default()
    };
    let mut sink = open_sink(&format!("kafka://{brokers}/t"), &options).expect("open sink");
    sink.send(None, b"lost").expect("queued");
    let err = sink.flush().expect_err("the broker is down");
    assert!(
        matches!(err, StreamError::Delivery { failed: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("kafka t:"), "{err}");
}

#[test]
fn kafka_source_without_group_is_a_clear_error() {
    let spec = ["kafka://127.0.0.1:9/t".to_owned()];
    let err = open_source(&spec, SourceKind::Lines, &KafkaOptions::default())
        .err()
        .expect("no group");
    assert!(matches!(err, StreamError::NoGroup { .. }), "{err:?}");
    assert!(err.to_string().contains("?group=NAME"), "{err}");
}

#[test]
fn kafka_sink_takes_exactly_one_topic() {
    for spec in [
        "kafka://b:9092/a,b",
        "kafka://b:9092/^a.*",
        "kafka://b:9092/a?group=g",
    ] {
        let err = open_sink(spec, &KafkaOptions::default()).err().expect(spec);
        assert!(err.to_string().contains("one topic"), "{err}");
    }
}

/// A batch being gathered while a second replica joins the group: the rebalance inside the
/// batch's polls hands some partitions to the newcomer, which reads them from the committed
/// offset. The batch must not keep those partitions' messages, or both replicas process them
/// at once and the older member's effects can land after the newer's (an older alert's row
/// written over a newer one's), and it commits offsets of partitions it no longer owns.
#[test]
fn a_batch_keeps_no_message_of_a_partition_given_away_while_it_filled() {
    let (_cluster, brokers) = cluster(&["r"]);
    let sent = payloads("m", 60);
    produce(&brokers, "r", &sent);
    let spec = format!("kafka://{brokers}/r?group=g");
    let mut first = source(&spec);
    // Joined and assigned every partition; what it read so far is done and committed, as the
    // stage loop commits each batch before it reads the next.
    read_until(first.as_mut(), sent.len(), |_| true);
    first.commit().expect("commit");
    produce(&brokers, "r", &payloads("later", 60));

    let newcomer = std::thread::spawn({
        let spec = spec.clone();
        move || {
            let mut second = source(&spec);
            // Fails after common::LIMIT if the rebalance never hands it a partition.
            let mut theirs = read_until(second.as_mut(), 1, |_| true);
            theirs.extend(read_for(second.as_mut(), Duration::from_secs(2)));
            // Done with, as the stage loop would be, before it leaves and its partitions go
            // back to the first member, which must read on from here.
            second.commit().expect("commit");
            theirs
        }
    });
    // The batch stays open for as long as the newcomer may take to be given partitions, so
    // the rebalance falls within it however slow the machine: a join takes a heartbeat or
    // two, and a loaded machine (the tests of this file run at once) stretches that.
    let in_hand = first.next_batch(10_000, common::LIMIT).expect("poll");
    let theirs = newcomer.join().expect("the newcomer was given partitions");
    let mine: std::collections::BTreeSet<String> = texts(&in_hand).into_iter().collect();
    let both: Vec<String> = texts(&theirs)
        .into_iter()
        .filter(|t| mine.contains(t))
        .collect();
    assert!(
        both.is_empty(),
        "{} uncommitted messages handed to both members at once, e.g. {:?} (partitions {:?} vs {:?})",
        both.len(),
        both.first(),
        common::partitions(&in_hand),
        common::partitions(&theirs)
    );
}

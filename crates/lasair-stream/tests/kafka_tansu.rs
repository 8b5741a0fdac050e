//! The Kafka source and sink against a real, separate broker (tansu, started by scripts/test):
//! delivery, commit, and at-least-once redelivery over the network.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{partitions, payloads, produce, read_until, sorted, source, texts};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::ClientConfig;

/// Created here through the admin API (tansu supports CreateTopics); scripts/test may also
/// create it beforehand with the same shape.
const TOPIC: &str = "lasair_stream_test";
const PARTITIONS: i32 = 2;

#[test]
fn commit_and_redelivery_on_a_real_broker() {
    let Ok(brokers) = std::env::var("LASAIR_TEST_KAFKA") else {
        println!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    ensure_topic(&brokers);
    // Earlier runs leave messages in the topic: this run only counts its own.
    let run = run_id();
    let ours = |m: &lasair_stream::Message| m.payload.starts_with(run.as_bytes());
    let spec = format!("kafka://{brokers}/{TOPIC}?group={run}");

    let first = payloads(&format!("{run}-first"), 20);
    produce(&brokers, TOPIC, &first);
    let mut source1 = source(&spec);
    let got = read_until(source1.as_mut(), first.len(), ours);
    assert_eq!(texts(&only(&got, &run)), sorted(&first));
    // Keys spread the messages, so the commit covers both partitions.
    assert_eq!(partitions(&only(&got, &run)), [0, 1]);
    source1.commit().expect("commit");
    drop(source1);

    let later = payloads(&format!("{run}-later"), 5);
    produce(&brokers, TOPIC, &later);
    for attempt in ["after the commit", "again, as nothing was committed"] {
        let mut source = source(&spec);
        let got = read_until(source.as_mut(), later.len(), ours);
        assert_eq!(texts(&only(&got, &run)), sorted(&later), "{attempt}");
    }
}

#[test]
fn a_batch_job_stops_at_the_end_of_its_partitions_on_a_real_broker() {
    let Ok(brokers) = std::env::var("LASAIR_TEST_KAFKA") else {
        println!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    ensure_topic(&brokers);
    let run = run_id();
    let spec = format!("kafka://{brokers}/{TOPIC}?group={run}-cron");
    // Earlier runs' messages come first; then only what is new (the other test may be
    // producing to the topic meanwhile: only this one's messages are counted).
    common::run_to_end(&spec);
    let tag = format!("{run}-cron");
    let sent = payloads(&tag, 12);
    produce(&brokers, TOPIC, &sent);
    let got = only(&common::run_to_end(&spec), &tag);
    assert_eq!(texts(&got), sorted(&sent));
    let again = only(&common::run_to_end(&spec), &tag);
    assert!(again.is_empty(), "committed: nothing new");
}

fn ensure_topic(brokers: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let topic = NewTopic::new(TOPIC, PARTITIONS, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = block_on(admin.create_topics([&topic], &options)).expect("CreateTopics request");
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => panic!("creating topic {name}: {code}"),
        }
    }
}

fn run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("run{}x{nanos}", std::process::id())
}

fn only(messages: &[lasair_stream::Message], run: &str) -> Vec<lasair_stream::Message> {
    let ours = messages
        .iter()
        .filter(|m| m.payload.starts_with(run.as_bytes()));
    ours.cloned().collect()
}

/// Waits for the admin client's future on this thread; its result comes from librdkafka's
/// own thread, so no async runtime is needed.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

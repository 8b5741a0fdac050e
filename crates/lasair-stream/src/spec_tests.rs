//! Tests of spec string parsing.

use super::*;

fn kafka(spec: &str) -> KafkaSpec {
    match Spec::parse(spec).expect("spec parses") {
        Spec::Kafka(k) => k,
        other => panic!("{spec} parsed as {other:?}"),
    }
}

fn names(list: &[&str]) -> Topics {
    Topics::Names(list.iter().map(|s| s.to_string()).collect())
}

#[test]
fn dash_is_stdio_and_other_strings_are_paths() {
    assert_eq!(Spec::parse("-").expect("parses"), Spec::Stdio);
    assert_eq!(
        Spec::parse("alerts/*.avro").expect("parses"),
        Spec::Path("alerts/*.avro".into())
    );
    assert!(Spec::parse("").is_err());
}

#[test]
fn kafka_spec_with_brokers_topics_and_group() {
    let k = kafka("kafka://h1:9092,h2:9092/ztf_a,ztf_b?group=ingest");
    assert_eq!(k.brokers, "h1:9092,h2:9092");
    assert_eq!(k.topics, names(&["ztf_a", "ztf_b"]));
    assert_eq!(k.group.as_deref(), Some("ingest"));
    let k = kafka("kafka://localhost:9092/t");
    assert_eq!(k.topics, names(&["t"]));
    assert_eq!(k.group, None);
}

#[test]
fn kafka_pattern_keeps_commas_and_question_marks() {
    let k = kafka("kafka://b:9092/^ztf_.*_programid1$");
    assert_eq!(k.topics, Topics::Pattern("^ztf_.*_programid1$".into()));
    let k = kafka("kafka://b:9092/^ztf_a{1,3}b?$?group=g");
    assert_eq!(k.topics, Topics::Pattern("^ztf_a{1,3}b?$".into()));
    assert_eq!(k.group.as_deref(), Some("g"));
}

#[test]
fn bad_kafka_specs_are_rejected_with_the_spec_named() {
    for bad in [
        "kafka://",
        "kafka://host:9092",
        "kafka:///topic",
        "kafka://a,,b/topic",
        "kafka://b/",
        "kafka://b/a,,b",
        "kafka://b/top ic",
        "kafka://b/t?grop=x",
        "kafka://b/t?group=",
    ] {
        let err = Spec::parse(bad).expect_err(bad);
        assert!(err.to_string().contains(bad), "{err}");
    }
}

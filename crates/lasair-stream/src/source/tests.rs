//! Tests of the file and line sources through the public `open_source`.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::{open_source, KafkaOptions, Message, Origin, Source, SourceKind};

const NO_WAIT: Duration = Duration::ZERO;

fn open(specs: &[PathBuf], kind: SourceKind) -> Box<dyn Source> {
    let specs: Vec<String> = specs.iter().map(|p| p.display().to_string()).collect();
    open_source(&specs, kind, &KafkaOptions::default()).expect("open source")
}

/// Reads everything in batches of `max`, checking `finished` only turns true at the end.
fn drain(source: &mut dyn Source, max: usize) -> Vec<Message> {
    let mut all = Vec::new();
    loop {
        let batch = source.next_batch(max, NO_WAIT).expect("batch");
        assert!(batch.len() <= max);
        if batch.is_empty() {
            assert!(source.finished(), "empty batch before the end");
            return all;
        }
        all.extend(batch);
    }
}

#[test]
fn lines_skip_blank_lines_number_from_one_and_keep_a_last_line_without_newline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    fs::write(&a, "{\"n\":1}\n\n  \n{\"n\":2}\r\n").expect("write");
    fs::write(&b, "{\"n\":3}\n{\"n\":4}").expect("write");
    let mut source = open(&[a.clone(), b.clone()], SourceKind::Lines);
    assert!(!source.finished());
    let messages = drain(source.as_mut(), 3);
    let payloads: Vec<&[u8]> = messages.iter().map(|m| &m.payload[..]).collect();
    let expected: [&[u8]; 4] = [b"{\"n\":1}", b"{\"n\":2}", b"{\"n\":3}", b"{\"n\":4}"];
    assert_eq!(payloads, expected);
    let places: Vec<String> = messages.iter().map(|m| m.origin.to_string()).collect();
    let (a, b) = (a.display(), b.display());
    assert_eq!(
        places,
        [
            format!("{a}:1"),
            format!("{a}:4"),
            format!("{b}:1"),
            format!("{b}:2")
        ]
    );
    assert!(source.commit().is_ok());
}

#[test]
fn avro_files_are_one_message_each_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [("2.avro", "two"), ("1.avro", "one"), ("skip.txt", "x")] {
        fs::write(dir.path().join(name), body).expect("write");
    }
    let mut source = open(&[dir.path().to_owned()], SourceKind::AvroFiles);
    let messages = drain(source.as_mut(), 1);
    assert_eq!(messages.len(), 2);
    assert_eq!(&messages[0].payload[..], b"one");
    let first = Origin::File {
        path: dir.path().join("1.avro"),
    };
    assert_eq!(messages[0].origin, first);
    assert_eq!(&messages[1].payload[..], b"two");
}

#[test]
fn files_are_read_when_returned_not_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (one, two) = (dir.path().join("1.avro"), dir.path().join("2.avro"));
    fs::write(&one, "one").expect("write");
    fs::write(&two, "before").expect("write");
    let mut source = open(&[dir.path().to_owned()], SourceKind::AvroFiles);
    assert_eq!(
        &source.next_batch(1, NO_WAIT).expect("batch")[0].payload[..],
        b"one"
    );
    fs::write(&two, "after").expect("rewrite");
    assert_eq!(
        &source.next_batch(1, NO_WAIT).expect("batch")[0].payload[..],
        b"after"
    );
}

#[test]
fn unreadable_file_is_reported_after_the_batch_read_so_far_and_the_source_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["1.avro", "2.avro", "3.avro"] {
        fs::write(dir.path().join(name), name).expect("write");
    }
    let mut source = open(&[dir.path().to_owned()], SourceKind::AvroFiles);
    fs::remove_file(dir.path().join("2.avro")).expect("remove");
    let batch = source.next_batch(10, NO_WAIT).expect("first batch");
    assert_eq!(batch.len(), 1);
    let err = source.next_batch(10, NO_WAIT).expect_err("missing file");
    assert!(err.to_string().contains("2.avro"), "{err}");
    assert!(!source.finished());
    let batch = source.next_batch(10, NO_WAIT).expect("last batch");
    assert_eq!(&batch[0].payload[..], b"3.avro");
    assert!(source.finished());
}

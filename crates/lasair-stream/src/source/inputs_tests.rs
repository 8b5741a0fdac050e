//! Tests of expanding file, directory and glob specs.

use std::fs;
use std::path::Path;

use super::*;

/// A tree: a.avro, b.txt, sub/c.avro, sub/deeper/d.AVRO, z.avro.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
    for name in [
        "z.avro",
        "a.avro",
        "b.txt",
        "sub/c.avro",
        "sub/deeper/d.AVRO",
    ] {
        fs::write(root.join(name), name).expect("write");
    }
    dir
}

fn spec(path: &Path) -> String {
    path.to_str().expect("utf-8 temp path").to_owned()
}

fn names(inputs: &[Input], root: &Path) -> Vec<String> {
    inputs
        .iter()
        .map(|input| match input {
            Input::File(path) => {
                let relative = path.strip_prefix(root).expect("under root");
                relative.to_string_lossy().into_owned()
            }
            Input::Stdin => "-".into(),
        })
        .collect()
}

#[test]
fn directory_gives_avro_files_recursively_in_sorted_order() {
    let dir = tree();
    let inputs = expand(&[spec(dir.path())], SourceKind::AvroFiles).expect("expand");
    let expected = ["a.avro", "sub/c.avro", "sub/deeper/d.AVRO", "z.avro"];
    assert_eq!(names(&inputs, dir.path()), expected);
}

#[test]
fn directory_gives_every_file_for_lines() {
    let dir = tree();
    let inputs = expand(&[spec(dir.path())], SourceKind::Lines).expect("expand");
    assert_eq!(inputs.len(), 5);
    assert!(names(&inputs, dir.path()).contains(&"b.txt".to_string()));
}

#[test]
fn named_file_is_taken_whatever_its_extension_and_order_is_kept() {
    let dir = tree();
    let specs = [
        spec(&dir.path().join("z.avro")),
        spec(&dir.path().join("b.txt")),
        "-".into(),
    ];
    let inputs = expand(&specs, SourceKind::AvroFiles).expect("expand");
    assert_eq!(names(&inputs, dir.path()), ["z.avro", "b.txt", "-"]);
}

#[test]
fn glob_matches_files_and_walks_matched_directories() {
    let dir = tree();
    let pattern = spec(&dir.path().join("[as]*"));
    let inputs = expand(&[pattern], SourceKind::AvroFiles).expect("expand");
    let expected = ["a.avro", "sub/c.avro", "sub/deeper/d.AVRO"];
    assert_eq!(names(&inputs, dir.path()), expected);
}

#[test]
fn spec_matching_nothing_is_an_error_naming_it() {
    let dir = tree();
    let missing = spec(&dir.path().join("missing.avro"));
    let nothing = spec(&dir.path().join("*.json"));
    let empty_dir = dir.path().join("empty");
    fs::create_dir(&empty_dir).expect("mkdir");
    let empty = spec(&empty_dir);
    for bad in [missing, nothing, empty] {
        let err = expand(std::slice::from_ref(&bad), SourceKind::AvroFiles).expect_err(&bad);
        assert!(matches!(err, StreamError::NoInput { .. }), "{err:?}");
        assert!(err.to_string().contains(&bad), "{err}");
    }
}

#[test]
fn directory_without_avro_files_is_an_error_for_avro_sources() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("notes.txt"), "x").expect("write");
    let err = expand(&[spec(dir.path())], SourceKind::AvroFiles).expect_err("no avro");
    assert!(err.to_string().contains("no .avro files"), "{err}");
}

#[test]
fn stdin_twice_and_kafka_among_files_are_rejected() {
    let err = expand(&["-".into(), "-".into()], SourceKind::Lines).expect_err("stdin twice");
    assert!(err.to_string().contains("stdin given twice"), "{err}");
    let dir = tree();
    let specs = [spec(dir.path()), "kafka://b:9092/t".into()];
    let err = expand(&specs, SourceKind::Lines).expect_err("kafka mixed");
    assert!(err.to_string().contains("must be the only input"), "{err}");
}

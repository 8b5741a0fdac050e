//! Stdin sources and the stdout sink through real pipes: this test binary runs itself as a
//! child process (the `child` test, which does nothing unless `LASAIR_STREAM_CHILD` is set).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use lasair_stream::{open_sink, open_source, KafkaOptions, SourceKind};

const ROLE: &str = "LASAIR_STREAM_CHILD";
/// The child's exit status when its stdout reader went away.
const BROKEN_PIPE_STATUS: i32 = 42;

/// In the child: copies stdin to stdout as `{"at":ORIGIN,"len":N,"text":PAYLOAD}` lines;
/// with the role `flood`, writes until the pipe breaks.
#[test]
fn child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let kind = match role.as_str() {
        "avro" => SourceKind::AvroFiles,
        _ => SourceKind::Lines,
    };
    let options = KafkaOptions::default();
    let mut sink = open_sink("-", &options).expect("stdout sink");
    if role == "flood" {
        for _ in 0..1_000_000 {
            let sent = sink
                .send(None, b"{\"flood\":true}")
                .and_then(|()| sink.flush());
            match sent {
                Err(e) if e.is_broken_pipe() => std::process::exit(BROKEN_PIPE_STATUS),
                other => other.expect("write"),
            }
        }
        return;
    }
    let mut source = open_source(&["-".to_owned()], kind, &options).expect("stdin source");
    while !source.finished() {
        for m in source.next_batch(2, Duration::ZERO).expect("read stdin") {
            let text = String::from_utf8_lossy(&m.payload).replace('"', "'");
            let line = format!(
                "{{\"at\":\"{}\",\"len\":{},\"text\":\"{text}\"}}",
                m.origin,
                m.payload.len()
            );
            sink.send(None, line.as_bytes()).expect("write");
        }
    }
    sink.flush().expect("flush");
}

/// Runs the `child` test in a new process with `role`, feeding it `input`; returns its lines
/// that are ours (the test harness prints its own lines too).
fn run_child(role: &str, input: &[u8]) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut stdin = child.stdin.take().expect("child stdin");
    stdin.write_all(input).expect("feed child");
    drop(stdin);
    let output = child.wait_with_output().expect("child output");
    assert!(output.status.success(), "child failed: {:?}", output.status);
    let text = String::from_utf8(output.stdout).expect("utf-8 output");
    text.lines().filter_map(ours).map(str::to_owned).collect()
}

/// Our part of a line of the child's stdout: the harness may print `test child ... ` first.
fn ours(line: &str) -> Option<&str> {
    line.find("{\"").map(|at| &line[at..])
}

#[test]
fn stdin_lines_are_numbered_and_stdout_gets_one_line_each() {
    let lines = run_child("lines", b"{'a':1}\n\n{'b':2}\r\n{'c':3}");
    let expected = [
        r#"{"at":"stdin:1","len":7,"text":"{'a':1}"}"#,
        r#"{"at":"stdin:3","len":7,"text":"{'b':2}"}"#,
        r#"{"at":"stdin:4","len":7,"text":"{'c':3}"}"#,
    ];
    assert_eq!(lines, expected);
}

#[test]
fn stdin_is_one_message_for_avro_files() {
    let lines = run_child("avro", b"Obj\x01\nwhole\nfile");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(r#"{"at":"stdin","len":15,"#),
        "{lines:?}"
    );
}

#[test]
fn closed_stdout_is_a_broken_pipe_for_the_writer() {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(ROLE, "flood")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    // Like `| head -1`: read one of our lines, then go away.
    let mut reader = BufReader::new(child.stdout.take().expect("child stdout"));
    let mut line = String::new();
    while ours(&line).is_none() {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("read child") > 0,
            "child wrote nothing"
        );
    }
    drop(reader);
    let status = child.wait().expect("child status");
    assert_eq!(status.code(), Some(BROKEN_PIPE_STATUS), "{status:?}");
}

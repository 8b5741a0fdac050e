//! Sinks writing one payload per line to stdout or to a file.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};

use crate::{Sink, StreamError};

const BUFFER: usize = 256 * 1024;

enum Output {
    /// Unbuffered beyond std's own line buffering when a person watches; buffered in a pipe.
    Stdout(Box<dyn Write + Send>),
    File(BufWriter<File>),
}

pub(crate) struct LineSink {
    output: Output,
    /// `stdout` or the file's path, for error messages.
    target: String,
}

impl LineSink {
    pub(crate) fn stdout() -> Self {
        let stdout = std::io::stdout();
        let writer: Box<dyn Write + Send> = if stdout.is_terminal() {
            Box::new(stdout)
        } else {
            Box::new(BufWriter::with_capacity(BUFFER, stdout))
        };
        LineSink {
            output: Output::Stdout(writer),
            target: "stdout".into(),
        }
    }

    /// Creates or truncates the file.
    pub(crate) fn file(path: &str) -> Result<Self, StreamError> {
        let file = File::create(path).map_err(|e| StreamError::write(path, e))?;
        Ok(Self::to_file(file, path))
    }

    /// Creates the file or appends to it.
    pub(crate) fn appending(path: &str) -> Result<Self, StreamError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| StreamError::write(path, e))?;
        Ok(Self::to_file(file, path))
    }

    fn to_file(file: File, path: &str) -> Self {
        LineSink {
            output: Output::File(BufWriter::with_capacity(BUFFER, file)),
            target: path.to_owned(),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.output {
            Output::Stdout(out) => out,
            Output::File(out) => out,
        }
    }
}

impl Sink for LineSink {
    /// Keys have no place in a line stream and are dropped.
    fn send(&mut self, _key: Option<&[u8]>, payload: &[u8]) -> Result<(), StreamError> {
        let out = self.writer();
        let written = out.write_all(payload).and_then(|()| out.write_all(b"\n"));
        written.map_err(|e| StreamError::write(&self.target, e))
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        let flushed = match &mut self.output {
            Output::Stdout(out) => out.flush(),
            // Durable means on disk, not in the page cache: offsets are committed after this.
            Output::File(out) => out.flush().and_then(|()| sync_if_possible(out.get_ref())),
        };
        flushed.map_err(|e| StreamError::write(&self.target, e))
    }
}

/// Syncs a file to disk; a device or pipe named as the output (`/dev/null`, a FIFO) cannot be
/// synced (EINVAL) and has nothing to lose, so that is not an error.
fn sync_if_possible(file: &File) -> std::io::Result<()> {
    match file.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sink_writes_one_payload_per_line_and_truncates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.jsonl");
        let path = path.to_str().expect("utf-8 temp path");
        std::fs::write(path, "old content that must go\n").expect("seed file");
        let mut sink = LineSink::file(path).expect("open sink");
        sink.send(None, b"{\"a\":1}").expect("send");
        sink.send(Some(b"k"), b"{\"b\":2}").expect("send");
        sink.flush().expect("flush");
        let text = std::fs::read_to_string(path).expect("read back");
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn an_appending_sink_keeps_what_was_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.jsonl");
        let path = path.to_str().expect("utf-8 temp path");
        for line in [b"{\"run\":1}", b"{\"run\":2}"] {
            let mut sink = LineSink::appending(path).expect("open sink");
            sink.send(None, line).expect("send");
            sink.flush().expect("flush");
        }
        let text = std::fs::read_to_string(path).expect("read back");
        assert_eq!(text, "{\"run\":1}\n{\"run\":2}\n");
    }

    #[test]
    fn dev_null_is_a_valid_output() {
        let mut sink = LineSink::file("/dev/null").expect("open /dev/null");
        sink.send(None, b"x").expect("send");
        sink.flush()
            .expect("a device that cannot sync is not an error");
    }

    #[test]
    fn file_sink_in_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no/such/dir/out.jsonl");
        let path = path.to_str().expect("utf-8 temp path");
        let err = LineSink::file(path).err().expect("must fail");
        assert!(err.to_string().contains("out.jsonl"), "{err}");
    }

    /// A real closed pipe: the reader (`true`) exits without reading; Rust ignores SIGPIPE, so
    /// the write fails with EPIPE, which must come back as `BrokenPipe`.
    #[cfg(unix)]
    #[test]
    fn closed_pipe_is_reported_as_broken_pipe() {
        use std::process::{Command, Stdio};
        let mut reader = Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn true");
        let pipe = reader.stdin.take().expect("piped stdin");
        reader.wait().expect("wait for true");
        let mut sink = LineSink {
            output: Output::Stdout(Box::new(BufWriter::new(pipe))),
            target: "stdout".into(),
        };
        let sent = sink.send(None, b"{}");
        let err = sent
            .and_then(|()| sink.flush())
            .expect_err("pipe is closed");
        assert!(err.is_broken_pipe(), "{err:?}");
    }
}

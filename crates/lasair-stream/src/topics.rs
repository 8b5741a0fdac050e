//! Records by topic into a folder: each topic is a file `TOPIC.jsonl` of JSON lines, kept
//! open and appended to, synced to disk on flush (the embedded stand-in for Kafka topics).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::spec::is_topic_name;
use crate::{StreamError, TopicSink};

pub(crate) struct FolderTopics {
    dir: PathBuf,
    files: HashMap<String, BufWriter<File>>,
}

impl FolderTopics {
    pub(crate) fn open(dir: &str) -> Result<Self, StreamError> {
        std::fs::create_dir_all(dir).map_err(|e| StreamError::write(dir, e))?;
        Ok(FolderTopics {
            dir: PathBuf::from(dir),
            files: HashMap::new(),
        })
    }

    fn path(&self, topic: &str) -> PathBuf {
        self.dir.join(format!("{topic}.jsonl"))
    }
}

impl TopicSink for FolderTopics {
    fn send_to(
        &mut self,
        topic: &str,
        _key: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<(), StreamError> {
        if !is_topic_name(topic) {
            let path = self.path(topic);
            let reason = format!("bad topic name {topic:?} (letters, digits, '.', '_', '-')");
            return Err(StreamError::spec(&path.display().to_string(), reason));
        }
        if !self.files.contains_key(topic) {
            let path = self.path(topic);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| StreamError::write(&path.display().to_string(), e))?;
            self.files.insert(topic.to_owned(), BufWriter::new(file));
        }
        let path = self.path(topic);
        let out = self.files.get_mut(topic).ok_or_else(|| {
            StreamError::write(
                &path.display().to_string(),
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        let written = out.write_all(payload).and_then(|()| out.write_all(b"\n"));
        written.map_err(|e| StreamError::write(&path.display().to_string(), e))
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        for (topic, out) in &mut self.files {
            let synced = out.flush().and_then(|()| out.get_ref().sync_data());
            let path = self.dir.join(format!("{topic}.jsonl"));
            synced.map_err(|e| StreamError::write(&path.display().to_string(), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_topic_is_a_file_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("streams");
        let spec = spec.to_str().unwrap();
        let mut sink = FolderTopics::open(spec).unwrap();
        sink.send_to("lasair_1bright", None, b"{\"a\":1}").unwrap();
        sink.send_to("lasair_2faint", None, b"{\"b\":2}").unwrap();
        sink.send_to("lasair_1bright", None, b"{\"a\":3}").unwrap();
        sink.flush().unwrap();
        drop(sink);
        let mut again = FolderTopics::open(spec).unwrap();
        again.send_to("lasair_1bright", None, b"{\"a\":4}").unwrap();
        again.flush().unwrap();
        let read = |t: &str| std::fs::read_to_string(dir.path().join("streams").join(t)).unwrap();
        assert_eq!(
            read("lasair_1bright.jsonl"),
            "{\"a\":1}\n{\"a\":3}\n{\"a\":4}\n"
        );
        assert_eq!(read("lasair_2faint.jsonl"), "{\"b\":2}\n");
        let err = again.send_to("../etc/passwd", None, b"x").unwrap_err();
        assert!(err.to_string().contains("bad topic name"), "{err}");
    }
}

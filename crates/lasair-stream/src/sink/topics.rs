//! Records by topic into a folder: each topic is a file `TOPIC.jsonl` of JSON lines, appended
//! to, synced to disk on flush (the embedded stand-in for Kafka topics). A batch's records
//! wait in memory and each file gets one write on flush: a thousand filters sending
//! alert-sized records through 8 kB buffers made a write call per record.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use crate::spec::is_topic_name;
use crate::{StreamError, TopicSink};

pub(crate) struct FolderTopics {
    dir: PathBuf,
    /// What each topic was sent since the last flush.
    pending: HashMap<String, Vec<u8>>,
}

impl FolderTopics {
    pub(crate) fn open(dir: &str) -> Result<Self, StreamError> {
        std::fs::create_dir_all(dir).map_err(|e| StreamError::write(dir, e))?;
        Ok(FolderTopics {
            dir: PathBuf::from(dir),
            pending: HashMap::new(),
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
        let out = match self.pending.get_mut(topic) {
            Some(out) => out,
            None => self.pending.entry(topic.to_owned()).or_default(),
        };
        out.extend_from_slice(payload);
        out.push(b'\n');
        Ok(())
    }

    /// Writes out every topic's buffer, then one syncfs(2) for the folder's filesystem: a
    /// thousand filters' files would otherwise cost a journal commit each (2 s a batch).
    fn flush(&mut self) -> Result<(), StreamError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        for (topic, out) in self.pending.drain() {
            let path = self.dir.join(format!("{topic}.jsonl"));
            let shown = || path.display().to_string();
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| StreamError::write(&shown(), e))?;
            file.write_all(&out)
                .map_err(|e| StreamError::write(&shown(), e))?;
        }
        let shown = self.dir.display().to_string();
        let dir = File::open(&self.dir).map_err(|e| StreamError::write(&shown, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| StreamError::write(&shown, e.into()))
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

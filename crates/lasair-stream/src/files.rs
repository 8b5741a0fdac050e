//! Source of whole files, one message per file (Avro alert files), read as each is returned.

use std::collections::VecDeque;
use std::io::Read;
use std::time::Duration;

use crate::inputs::Input;
use crate::{Message, Origin, Source, StreamError};

pub(crate) struct FileSource {
    inputs: VecDeque<Input>,
    /// An error met after part of a batch was read, returned by the next call so that the
    /// messages already read are not lost.
    pending: Option<StreamError>,
}

impl FileSource {
    pub(crate) fn new(inputs: Vec<Input>) -> Self {
        FileSource {
            inputs: inputs.into(),
            pending: None,
        }
    }
}

fn read(input: Input) -> Result<Message, StreamError> {
    let (payload, origin) = match input {
        Input::Stdin => {
            let mut payload = Vec::new();
            std::io::stdin()
                .read_to_end(&mut payload)
                .map_err(|e| StreamError::read("stdin", e))?;
            (payload, Origin::Stdin)
        }
        Input::File(path) => {
            let payload = std::fs::read(&path).map_err(|e| StreamError::read(path.display(), e))?;
            (payload, Origin::File { path })
        }
    };
    Ok(Message {
        payload,
        key: None,
        origin,
    })
}

impl Source for FileSource {
    fn next_batch(&mut self, max: usize, _wait: Duration) -> Result<Vec<Message>, StreamError> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            let Some(input) = self.inputs.pop_front() else {
                break;
            };
            match read(input) {
                Ok(message) => batch.push(message),
                Err(error) if batch.is_empty() => return Err(error),
                Err(error) => {
                    self.pending = Some(error);
                    break;
                }
            }
        }
        Ok(batch)
    }

    fn finished(&self) -> bool {
        self.inputs.is_empty() && self.pending.is_none()
    }

    fn commit(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

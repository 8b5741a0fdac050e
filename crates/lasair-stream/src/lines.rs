//! Source of JSON lines from files and stdin, one message per non-blank line.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

use crate::inputs::Input;
use crate::{Message, Origin, Source, StreamError};

/// Large reads: alert lines are often tens of kilobytes.
const BUFFER: usize = 256 * 1024;

/// The input being read.
struct Current {
    reader: Box<dyn BufRead + Send>,
    name: Arc<str>,
    line: u64,
}

pub(crate) struct LineSource {
    inputs: VecDeque<Input>,
    current: Option<Current>,
    /// An error met after part of a batch was read, returned by the next call.
    pending: Option<StreamError>,
}

impl LineSource {
    pub(crate) fn new(inputs: Vec<Input>) -> Self {
        LineSource {
            inputs: inputs.into(),
            current: None,
            pending: None,
        }
    }

    /// The next message, `Ok(None)` once every input is exhausted.
    fn next_message(&mut self) -> Result<Option<Message>, StreamError> {
        loop {
            let current = match &mut self.current {
                Some(current) => current,
                None => match self.inputs.pop_front() {
                    Some(input) => self.current.insert(open(input)?),
                    None => return Ok(None),
                },
            };
            let mut payload = Vec::new();
            let read = current.reader.read_until(b'\n', &mut payload);
            match read {
                Ok(0) => self.current = None,
                Ok(_) => {
                    current.line += 1;
                    trim_end(&mut payload);
                    if !payload.iter().all(u8::is_ascii_whitespace) {
                        let origin = Origin::Line {
                            source: current.name.clone(),
                            line: current.line,
                        };
                        let key = None;
                        return Ok(Some(Message {
                            payload,
                            key,
                            origin,
                        }));
                    }
                }
                // The rest of this input cannot be trusted; go on with the next one.
                Err(e) => {
                    let place = format!("{}:{}", current.name, current.line + 1);
                    self.current = None;
                    return Err(StreamError::read(place, e));
                }
            }
        }
    }
}

fn open(input: Input) -> Result<Current, StreamError> {
    let (reader, name): (Box<dyn BufRead + Send>, Arc<str>) = match input {
        Input::Stdin => {
            let stdin = BufReader::with_capacity(BUFFER, std::io::stdin());
            (Box::new(stdin), Arc::from("stdin"))
        }
        Input::File(path) => {
            let name = path.display().to_string();
            let file = File::open(&path).map_err(|e| StreamError::read(&name, e))?;
            (
                Box::new(BufReader::with_capacity(BUFFER, file)),
                Arc::from(name),
            )
        }
    };
    Ok(Current {
        reader,
        name,
        line: 0,
    })
}

/// Drops the line terminator, `\n` or `\r\n`.
fn trim_end(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

impl Source for LineSource {
    fn next_batch(&mut self, max: usize, _wait: Duration) -> Result<Vec<Message>, StreamError> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            match self.next_message() {
                Ok(Some(message)) => batch.push(message),
                Ok(None) => break,
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
        self.inputs.is_empty() && self.current.is_none() && self.pending.is_none()
    }

    fn commit(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

//! Source of JSON lines from files and stdin, one message per non-blank line.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use super::finite::{Finite, Messages};
use super::inputs::Input;
use crate::{Message, Origin, StreamError};

/// Large reads: alert lines are often tens of kilobytes.
const BUFFER: usize = 256 * 1024;

/// The input being read.
struct Current {
    reader: Box<dyn BufRead + Send>,
    name: Arc<str>,
    line: u64,
}

/// The lines of each input in turn.
pub(crate) struct Lines {
    inputs: VecDeque<Input>,
    current: Option<Current>,
}

/// The source reading `inputs` in order.
pub(crate) fn source(inputs: Vec<Input>) -> Finite<Lines> {
    Finite::new(Lines {
        inputs: inputs.into(),
        current: None,
    })
}

impl Messages for Lines {
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
                            payload: payload.into(),
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

    fn exhausted(&self) -> bool {
        self.inputs.is_empty() && self.current.is_none()
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

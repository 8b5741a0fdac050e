//! Source of whole files, one message per file (Avro alert files), read as each is returned.

use std::collections::VecDeque;
use std::io::Read;

use super::finite::{Finite, Messages};
use super::inputs::Input;
use crate::{Message, Origin, StreamError};

/// Whole files (or all of stdin), one message each, read in turn.
pub(crate) struct Files {
    inputs: VecDeque<Input>,
}

/// The source reading `inputs` in order.
pub(crate) fn source(inputs: Vec<Input>) -> Finite<Files> {
    Finite::new(Files {
        inputs: inputs.into(),
    })
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
        payload: payload.into(),
        key: None,
        origin,
    })
}

impl Messages for Files {
    fn next_message(&mut self) -> Result<Option<Message>, StreamError> {
        self.inputs.pop_front().map(read).transpose()
    }

    fn exhausted(&self) -> bool {
        self.inputs.is_empty()
    }
}

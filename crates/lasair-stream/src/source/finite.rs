//! Batching shared by the finite sources (files, stdin): read one message at a time until the
//! batch is full or the inputs are exhausted, and keep an error met mid-batch for the next call.

use std::time::Duration;

use crate::{Message, Source, StreamError};

/// Messages read one at a time from finite inputs.
pub(crate) trait Messages: Send {
    /// The next message, `Ok(None)` once every input is exhausted.
    fn next_message(&mut self) -> Result<Option<Message>, StreamError>;
    /// True once every input is exhausted.
    fn exhausted(&self) -> bool;
}

/// A [`Source`] over finite inputs.
pub(crate) struct Finite<M> {
    messages: M,
    /// An error met after part of a batch was read, returned by the next call so that the
    /// messages already read are not lost.
    pending: Option<StreamError>,
}

impl<M: Messages> Finite<M> {
    pub(crate) fn new(messages: M) -> Self {
        Finite {
            messages,
            pending: None,
        }
    }
}

impl<M: Messages> Source for Finite<M> {
    fn next_batch(&mut self, max: usize, _wait: Duration) -> Result<Vec<Message>, StreamError> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            match self.messages.next_message() {
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
        self.messages.exhausted() && self.pending.is_none()
    }

    fn commit(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

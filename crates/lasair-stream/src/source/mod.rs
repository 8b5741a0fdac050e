//! Where records come from: files of whole messages (Avro alerts), JSON lines from files and
//! stdin, and Kafka (`crate::kafka`), chosen by spec strings.

mod at_most;
mod files;
mod finite;
mod inputs;
mod lines;

pub use at_most::at_most;

use crate::spec::Spec;
use crate::{kafka, KafkaOptions, Source, SourceKind, StreamError};

/// Opens the inputs named by `specs`: one Kafka spec, or any number of `-`, files, directories
/// and globs, read in the order given. Every spec must name at least one input.
pub fn open_source(
    specs: &[String],
    kind: SourceKind,
    kafka: &KafkaOptions,
) -> Result<Box<dyn Source>, StreamError> {
    let Some(first) = specs.first() else {
        return Err(StreamError::spec("", "no input given"));
    };
    if specs.len() == 1 {
        if let Spec::Kafka(spec) = Spec::parse(first)? {
            return Ok(Box::new(kafka::KafkaSource::open(&spec, kafka)?));
        }
    }
    let inputs = inputs::expand(specs, kind)?;
    Ok(match kind {
        SourceKind::AvroFiles => Box::new(files::source(inputs)),
        SourceKind::Lines => Box::new(lines::source(inputs)),
    })
}

#[cfg(test)]
mod tests;

//! Avro decoding straight from bytes into [`Datum`] trees, driven by a schema compiled once.
//!
//! `apache-avro` parses and validates schemas (namespaces, named references, multi-file
//! schemas such as Rubin's); decoding itself is ours, because alerts are decoded millions of
//! times a night and a generic `Value` with an owned name per field is several times slower.

mod container;
mod datum;
pub(crate) mod datum_json {
    //! The JSON writer's scalar helper, shared with the alert line writer.
    pub(crate) use super::datum::write_scalar;
}
mod decode;
mod schema;

pub use container::{read_container, Container, SchemaCache};
pub use datum::{Datum, Record};
pub use decode::decode_datum;
pub use schema::{CompiledSchema, Node, RecordNode};

use thiserror::Error;

/// Why some Avro bytes could not be decoded; `at` is the byte offset where it went wrong.
#[derive(Debug, Error)]
pub enum AvroError {
    #[error("unexpected end of data at byte {at} (wanted {wanted} more bytes)")]
    Truncated { at: usize, wanted: usize },
    #[error("bad varint at byte {at}")]
    BadVarint { at: usize },
    #[error("union branch {branch} out of range at byte {at}")]
    BadUnion { at: usize, branch: i64 },
    #[error("enum symbol {index} out of range at byte {at}")]
    BadEnum { at: usize, index: i64 },
    #[error("negative length {len} at byte {at}")]
    NegativeLength { at: usize, len: i64 },
    #[error("invalid UTF-8 string at byte {at}")]
    BadUtf8 { at: usize },
    #[error("not an Avro object container file (bad magic)")]
    BadMagic,
    #[error("container header: {0}")]
    BadHeader(String),
    #[error("sync marker mismatch after block {block} (corrupt or truncated file)")]
    BadSync { block: usize },
    #[error("unsupported codec {0:?}")]
    Codec(String),
    #[error("deflate block {block}: {source}")]
    Deflate {
        block: usize,
        source: std::io::Error,
    },
    #[error("schema: {0}")]
    Schema(String),
    #[error("{extra} bytes left over after the datum")]
    Trailing { extra: usize },
}

impl AvroError {
    /// The byte offset where decoding went wrong, for the errors that know it.
    pub fn at(&self) -> Option<usize> {
        match self {
            AvroError::Truncated { at, .. }
            | AvroError::BadVarint { at }
            | AvroError::BadUnion { at, .. }
            | AvroError::BadEnum { at, .. }
            | AvroError::NegativeLength { at, .. }
            | AvroError::BadUtf8 { at } => Some(*at),
            _ => None,
        }
    }
}

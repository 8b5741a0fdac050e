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

pub(crate) use container::read_container_in;
pub use container::{read_container, Container, SchemaCache};
pub use datum::{Datum, Record};
pub use decode::decode_datum;
pub(crate) use decode::decode_datum_in;
pub use schema::{CompiledSchema, Node, RecordNode};

use thiserror::Error;

/// The largest alert decoded by default, in bytes of its Avro encoding: 4 MiB.
///
/// Real alerts are far smaller. ZTF's are 40-65 KB with their three gzipped cutouts (the
/// largest of the 707 in ../shared/data is 90 KB with its 25 KB schema) and hold at most 30
/// days of history; LSST's v10.0 alerts are 60-117 KB with their plain FITS cutouts, and one
/// carrying a full year of diaSources and forced sources comes to a few hundred KB. 4 MiB is
/// ten times that, yet it keeps what one hostile alert can cost to tens of MB however it is
/// made (see [`Limits`]), with a batch of them decoded at once.
pub const DEFAULT_MAX_ALERT_BYTES: usize = 4 << 20;

/// What one decode may take. The input's own length bounds every count whose items take
/// bytes; an inflated block, a wire body, and items that take no bytes at all (null, an empty
/// record: each still costs a [`Datum`] of memory) are bounded by the maximum alert size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one alert's encoding may hold; also the most one container block may
    /// inflate to (writers cut blocks at their sync interval, 16-64 KB, plus one datum).
    pub max_alert_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_alert_bytes: DEFAULT_MAX_ALERT_BYTES,
        }
    }
}

impl Limits {
    /// How many items of zero encoded size one payload may decode: as many as the maximum
    /// alert size holds at their cost in memory.
    pub fn free_items(&self) -> usize {
        self.max_alert_bytes / std::mem::size_of::<Datum>()
    }
}

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
    /// A block count more than the rest of the input can hold (each item takes at least a
    /// byte), or, for items that take no bytes, more than are left of [`Limits::free_items`].
    #[error("block count {count} at byte {at} is more than {what} ({room})")]
    Count {
        at: usize,
        count: u64,
        what: &'static str,
        room: usize,
    },
    #[error("{size} bytes is more than the maximum alert size ({limit} bytes)")]
    TooBig { size: usize, limit: usize },
    /// A container block larger than one alert may be, once inflated if it is compressed.
    #[error("block {block} holds more than the maximum alert size ({limit} bytes)")]
    BlockTooBig { block: usize, limit: usize },
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
            | AvroError::Count { at, .. }
            | AvroError::BadUtf8 { at } => Some(*at),
            _ => None,
        }
    }
}

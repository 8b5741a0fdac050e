//! Why an alert could not be read.

use thiserror::Error;

use crate::avro::AvroError;
use crate::model::Survey;

#[derive(Debug, Error)]
pub enum AlertError {
    #[error("Avro: {0}")]
    Avro(#[from] AvroError),
    /// A Confluent wire-format message that is malformed or whose body does not decode:
    /// `offset` is the byte of the message where it went wrong.
    #[error(
        "decoding {} wire-format alert at offset {offset}{}: {source}",
        .survey.as_str().to_ascii_uppercase(),
        SchemaIdNote(*.schema_id)
    )]
    Wire {
        survey: Survey,
        offset: usize,
        /// Known once the 5-byte header has been read.
        schema_id: Option<u32>,
        source: WireError,
    },
    #[error("schema id {id}: {reason}")]
    SchemaId { id: u32, reason: String },
    #[error("alert has no usable {field}")]
    Missing { field: &'static str },
    /// A value outside what the survey allows: `field` is its place in the alert
    /// (`prv_candidates[3].jd`), `value` as shown in messages (long strings cut).
    #[error("{field} is {value}, expected {expected}")]
    Invalid {
        field: String,
        value: String,
        expected: &'static str,
    },
    #[error("the Avro container holds no alerts (truncated after its header?)")]
    EmptyContainer,
    #[error("not an alert record (the schema's root is not a record)")]
    NotARecord,
}

/// What is wrong with a Confluent wire-format message (magic byte 0, a 4-byte big-endian
/// schema id, the Avro body).
#[derive(Debug, Error)]
pub enum WireError {
    #[error("empty payload")]
    Empty,
    #[error("{len} bytes, too short (first byte {first})")]
    TooShort { len: usize, first: u8 },
    #[error("neither an Avro container nor the wire format (first byte {first:#04x})")]
    NotWire { first: u8 },
    #[error("no --schema or --schema-registry was given")]
    NoSchemas,
    /// The body's own error counts bytes from the body's start, 5 bytes into the message.
    #[error("its Avro body (from offset 5) does not decode: {0}")]
    Body(AvroError),
}

impl WireError {
    /// Where in a message of `len` bytes this went wrong.
    pub fn offset(&self, len: usize) -> usize {
        match self {
            WireError::Empty | WireError::NotWire { .. } => 0,
            WireError::TooShort { len, .. } => *len,
            WireError::NoSchemas => 5,
            WireError::Body(AvroError::Trailing { extra }) => len.saturating_sub(*extra),
            WireError::Body(e) => 5 + e.at().unwrap_or(0),
        }
    }
}

/// ` (schema id N)` when the id is known.
struct SchemaIdNote(Option<u32>);

impl std::fmt::Display for SchemaIdNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (schema id {id})"),
            None => Ok(()),
        }
    }
}

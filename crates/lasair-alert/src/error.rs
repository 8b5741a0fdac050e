//! Why an alert could not be read.

use thiserror::Error;

use crate::avro::AvroError;

#[derive(Debug, Error)]
pub enum AlertError {
    #[error("Avro: {0}")]
    Avro(#[from] AvroError),
    #[error("Confluent wire format: {0}")]
    Wire(String),
    #[error("schema id {id}: {reason}")]
    SchemaId { id: u32, reason: String },
    #[error("alert has no usable {field}")]
    Missing { field: &'static str },
    #[error("the Avro container holds no alerts (truncated after its header?)")]
    EmptyContainer,
    #[error("not an alert record (the schema's root is not a record)")]
    NotARecord,
}

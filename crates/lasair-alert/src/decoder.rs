//! From message bytes to alerts: finds the framing (Avro container or Confluent wire format),
//! decodes, and hands each record to the survey's model.

use std::sync::Arc;

use crate::avro::{decode_datum, read_container, CompiledSchema, Datum, SchemaCache};
use crate::error::AlertError;
use crate::model::{Alert, Survey};
use crate::registry::WireSchemas;

/// Decodes alert payloads of one survey. Shared between threads.
#[derive(Debug)]
pub struct Decoder {
    survey: Survey,
    containers: SchemaCache,
    wire: Option<WireSchemas>,
}

impl Decoder {
    /// `wire` is needed only for Confluent wire-format payloads (LSST from Kafka).
    pub fn new(survey: Survey, wire: Option<WireSchemas>) -> Self {
        Self {
            survey,
            containers: SchemaCache::default(),
            wire,
        }
    }

    pub fn survey(&self) -> Survey {
        self.survey
    }

    /// Every alert in one payload. A container that breaks part-way yields the alerts before
    /// the break, then the error; nothing decoded is dropped.
    pub fn decode(&self, payload: &[u8]) -> Vec<Result<Alert, AlertError>> {
        if payload.starts_with(b"Obj\x01") {
            let container = match read_container(payload, &self.containers) {
                Ok(c) if c.datums.is_empty() && c.error.is_none() => {
                    return vec![Err(AlertError::EmptyContainer)]
                }
                Ok(c) => c,
                Err(e) => return vec![Err(e.into())],
            };
            let mut out: Vec<_> = container
                .datums
                .into_iter()
                .map(|d| self.alert(d))
                .collect();
            out.extend(container.error.map(|e| Err(e.into())));
            out
        } else {
            vec![self.decode_wire(payload)]
        }
    }

    fn decode_wire(&self, payload: &[u8]) -> Result<Alert, AlertError> {
        let (id, body) = split_wire(payload)?;
        let wire = self.wire.as_ref().ok_or_else(|| {
            AlertError::Wire(format!(
                "payload with schema id {id} but no --schema or --schema-registry was given"
            ))
        })?;
        let schema: Arc<CompiledSchema> = wire.get(id)?;
        let datum = decode_datum(&schema.root, body).map_err(|e| AlertError::SchemaId {
            id,
            reason: format!("does not decode: {e}"),
        })?;
        self.alert(datum)
    }

    fn alert(&self, datum: Datum) -> Result<Alert, AlertError> {
        match datum {
            Datum::Record(r) => self.survey.model().alert(r),
            _ => Err(AlertError::NotARecord),
        }
    }
}

/// Splits a Confluent wire-format message: magic byte 0, a 4-byte big-endian schema id, Avro.
pub fn split_wire(payload: &[u8]) -> Result<(u32, &[u8]), AlertError> {
    match payload {
        [0, a, b, c, d, body @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), body)),
        [] => Err(AlertError::Wire("empty payload".into())),
        [first, ..] if payload.len() < 5 => Err(AlertError::Wire(format!(
            "{} bytes, too short (first byte {first})",
            payload.len()
        ))),
        [first, ..] => Err(AlertError::Wire(format!(
            "neither an Avro container nor the wire format (first byte {first:#04x})"
        ))),
    }
}

/// Frames an Avro body in the Confluent wire format.
pub fn frame_wire(schema_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(0);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out.extend_from_slice(body);
    out
}

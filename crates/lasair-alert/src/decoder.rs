//! From message bytes to alerts: finds the framing (Avro container or Confluent wire format),
//! decodes, and hands each record to the survey's model.

use std::sync::Arc;

use bytes::Bytes;

use crate::avro::{decode_datum_in, read_container_in, CompiledSchema, Datum, Limits, SchemaCache};
use crate::error::{AlertError, WireError};
use crate::model::{Alert, Survey};
use crate::registry::WireSchemas;

/// Decodes alert payloads of one survey. Shared between threads.
#[derive(Debug)]
pub struct Decoder {
    survey: Survey,
    containers: SchemaCache,
    wire: Option<WireSchemas>,
    limits: Limits,
}

impl Decoder {
    /// `wire` is needed only for Confluent wire-format payloads (LSST from Kafka).
    pub fn new(survey: Survey, wire: Option<WireSchemas>) -> Self {
        Self {
            survey,
            containers: SchemaCache::default(),
            wire,
            limits: Limits::default(),
        }
    }

    /// Refuses alerts larger than `bytes` (and bounds what a hostile one costs by it);
    /// [`DEFAULT_MAX_ALERT_BYTES`](crate::avro::DEFAULT_MAX_ALERT_BYTES) otherwise.
    pub fn with_max_alert_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_alert_bytes = bytes;
        self
    }

    pub fn survey(&self) -> Survey {
        self.survey
    }

    /// Every alert in one payload. A container that breaks part-way yields the alerts before
    /// the break, then the error; nothing decoded is dropped. The alerts' cutouts are copies
    /// of their own.
    pub fn decode(&self, payload: &[u8]) -> Vec<Result<Alert, AlertError>> {
        self.decode_in(payload, None)
    }

    /// [`Decoder::decode`], the alerts' cutouts views into `payload` rather than copies: what
    /// the ingest does with every message it reads.
    pub fn decode_shared(&self, payload: &Bytes) -> Vec<Result<Alert, AlertError>> {
        self.decode_in(payload, Some(payload))
    }

    fn decode_in(&self, payload: &[u8], owner: Option<&Bytes>) -> Vec<Result<Alert, AlertError>> {
        if payload.starts_with(b"Obj\x01") {
            let container = match read_container_in(payload, owner, &self.containers, &self.limits)
            {
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
            vec![self.decode_wire(payload, owner)]
        }
    }

    fn decode_wire(&self, payload: &[u8], owner: Option<&Bytes>) -> Result<Alert, AlertError> {
        let wire_error = |schema_id: Option<u32>, source: WireError| AlertError::Wire {
            survey: self.survey,
            offset: source.offset(payload.len()),
            schema_id,
            source,
        };
        let (id, body) = split_wire(payload).map_err(|e| wire_error(None, e))?;
        let wire = self
            .wire
            .as_ref()
            .ok_or_else(|| wire_error(Some(id), WireError::NoSchemas))?;
        let schema: Arc<CompiledSchema> = wire.get(id)?;
        let datum = decode_datum_in(&schema.root, body, owner, &self.limits)
            .map_err(|e| wire_error(Some(id), WireError::Body(e)))?;
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
pub fn split_wire(payload: &[u8]) -> Result<(u32, &[u8]), WireError> {
    match payload {
        [0, a, b, c, d, body @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), body)),
        [] => Err(WireError::Empty),
        [first, ..] if payload.len() < 5 => Err(WireError::TooShort {
            len: payload.len(),
            first: *first,
        }),
        [first, ..] => Err(WireError::NotWire { first: *first }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::AvroError;

    fn lsst() -> Decoder {
        Decoder::new(Survey::Lsst, None)
    }

    fn wire_error(decoder: &Decoder, payload: &[u8]) -> AlertError {
        let mut out = decoder.decode(payload);
        assert_eq!(out.len(), 1);
        out.remove(0).expect_err("a wire error")
    }

    #[test]
    fn a_bad_frame_names_the_survey_and_the_offset() {
        let err = wire_error(&lsst(), b"");
        assert!(matches!(
            err,
            AlertError::Wire {
                offset: 0,
                schema_id: None,
                source: WireError::Empty,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "decoding LSST wire-format alert at offset 0: empty payload"
        );
        let err = wire_error(&lsst(), &[0, 0, 3]).to_string();
        assert_eq!(
            err,
            "decoding LSST wire-format alert at offset 3: 3 bytes, too short (first byte 0)"
        );
        let err = wire_error(&Decoder::new(Survey::Ztf, None), b"{\"a\": 1}").to_string();
        assert!(
            err.starts_with("decoding ZTF wire-format alert at offset 0: neither"),
            "{err}"
        );
    }

    #[test]
    fn a_message_without_schemas_names_its_schema_id() {
        let err = wire_error(&lsst(), &frame_wire(1000, b"\x02")).to_string();
        assert_eq!(
            err,
            "decoding LSST wire-format alert at offset 5 (schema id 1000): no --schema or --schema-registry was given"
        );
    }

    #[test]
    fn a_body_error_is_placed_in_the_message() {
        let body = WireError::Body(AvroError::Truncated {
            at: 1229,
            wanted: 8,
        });
        assert_eq!(body.offset(1300), 1234);
        let trailing = WireError::Body(AvroError::Trailing { extra: 3 });
        assert_eq!(trailing.offset(100), 97);
        let err = AlertError::Wire {
            survey: Survey::Lsst,
            offset: body.offset(1300),
            schema_id: Some(1000),
            source: body,
        };
        assert!(
            err.to_string()
                .starts_with("decoding LSST wire-format alert at offset 1234 (schema id 1000): "),
            "{err}"
        );
    }
}

//! Bare Avro datums written by apache-avro's schema-aware serde writer.
//!
//! `to_avro_datum` goes through a generic `Value` tree that is then validated, several times
//! slower than serialising straight from the struct; the direct path is only reachable
//! through `Writer` (which resolves named types), so the datum is written as a one-datum
//! block and taken out of it. Avro's binary encoding is canonical: the bytes are the same as
//! `to_avro_datum`'s (a test checks it).

use apache_avro::{Schema, Writer};
use lasair_alert::Survey;
use serde::Serialize;

use crate::error::SimError;

/// The binary encoding of `value` under `schema`; `survey` and `id` say which alert it is.
pub fn encode<T: Serialize>(
    schema: &Schema,
    value: &T,
    survey: Survey,
    id: i64,
) -> Result<Vec<u8>, SimError> {
    // `append_to` writes no container header; the block is: count, size, datum, sync marker.
    let mut writer = Writer::append_to(schema, Vec::new(), [0; 16]);
    writer
        .append_ser(value)
        .map_err(SimError::encode(survey, id))?;
    let block = writer.into_inner().map_err(SimError::encode(survey, id))?;
    let mut rest = block.as_slice();
    let count = read_long(&mut rest);
    let size = read_long(&mut rest).and_then(|s| usize::try_from(s).ok());
    match (count, size) {
        (Some(1), Some(size)) if rest.len() == size + 16 => Ok(rest[..size].to_vec()),
        _ => Err(SimError::Schema(format!(
            "{survey} alert {id}: apache-avro wrote an unexpected block"
        ))),
    }
}

/// Reads a zig-zag varint long.
fn read_long(bytes: &mut &[u8]) -> Option<i64> {
    let mut z = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((z >> 1) as i64 ^ -((z & 1) as i64));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_longs_read_back() {
        for (bytes, v) in [
            (vec![0u8], 0i64),
            (vec![1], -1),
            (vec![4], 2),
            (vec![0x80, 1], 64),
        ] {
            assert_eq!(read_long(&mut bytes.as_slice()), Some(v));
        }
        assert_eq!(read_long(&mut [0x80u8].as_slice()), None);
    }
}

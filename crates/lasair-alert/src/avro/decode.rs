//! The Avro binary encoding, decoded against a compiled schema. Every read checks its length.

use super::{AvroError, Datum, Node, Record};

/// A cursor over untrusted bytes.
pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], AvroError> {
        if n > self.remaining() {
            return Err(AvroError::Truncated {
                at: self.pos,
                wanted: n - self.remaining(),
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn long(&mut self) -> Result<i64, AvroError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos).ok_or(AvroError::Truncated {
                at: self.pos,
                wanted: 1,
            })?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err(AvroError::BadVarint { at: start })
    }

    pub fn len(&mut self) -> Result<usize, AvroError> {
        let at = self.pos;
        let len = self.long()?;
        usize::try_from(len).map_err(|_| AvroError::NegativeLength { at, len })
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], AvroError> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, AvroError> {
        let at = self.pos;
        let raw = self.bytes()?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| AvroError::BadUtf8 { at })
    }

    /// Array and map blocks: a count, negative when followed by the block's byte size.
    fn block_count(&mut self) -> Result<usize, AvroError> {
        let at = self.pos;
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        let count = count.unsigned_abs() as usize;
        // Every item takes at least one byte unless it is null, so a count larger than the
        // remaining bytes times a generous factor means a corrupt count, not a big array.
        if count > self.remaining().saturating_mul(8).max(1024) {
            return Err(AvroError::NegativeLength {
                at,
                len: count as i64,
            });
        }
        Ok(count)
    }
}

/// Decodes exactly one datum of the given schema from `buf`, rejecting trailing bytes.
pub fn decode_datum(node: &Node, buf: &[u8]) -> Result<Datum, AvroError> {
    let mut cur = Cursor::new(buf);
    let datum = decode(node, &mut cur)?;
    if cur.remaining() != 0 {
        return Err(AvroError::Trailing {
            extra: cur.remaining(),
        });
    }
    Ok(datum)
}

pub(crate) fn decode(node: &Node, cur: &mut Cursor<'_>) -> Result<Datum, AvroError> {
    Ok(match node {
        Node::Null => Datum::Null,
        Node::Boolean => Datum::Bool(cur.take(1)?[0] != 0),
        Node::Int | Node::Long => Datum::Long(cur.long()?),
        Node::Float => {
            let b = cur.take(4)?;
            Datum::Float(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Node::Double => {
            let b = cur.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Datum::Double(f64::from_le_bytes(a))
        }
        Node::Bytes => Datum::Bytes(cur.bytes()?.to_vec()),
        Node::Fixed(n) => Datum::Bytes(cur.take(*n)?.to_vec()),
        Node::String => Datum::String(cur.string()?),
        Node::Enum(symbols) => {
            let at = cur.pos;
            let index = cur.long()?;
            let symbol = usize::try_from(index).ok().and_then(|i| symbols.get(i));
            Datum::Enum(symbol.ok_or(AvroError::BadEnum { at, index })?.clone())
        }
        Node::Union(branches) => {
            let at = cur.pos;
            let branch = cur.long()?;
            let node = usize::try_from(branch).ok().and_then(|i| branches.get(i));
            decode(node.ok_or(AvroError::BadUnion { at, branch })?, cur)?
        }
        Node::Array(items) => {
            let mut out = Vec::new();
            loop {
                let count = cur.block_count()?;
                if count == 0 {
                    break;
                }
                out.reserve(count);
                for _ in 0..count {
                    out.push(decode(items, cur)?);
                }
            }
            Datum::Array(out)
        }
        Node::Map(values) => {
            let mut out = Vec::new();
            loop {
                let count = cur.block_count()?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    let key = cur.string()?;
                    out.push((key, decode(values, cur)?));
                }
            }
            Datum::Map(out)
        }
        Node::Record(schema) => {
            let mut values = Vec::with_capacity(schema.fields.len());
            for field in schema.fields.iter() {
                values.push(decode(field, cur)?);
            }
            Datum::Record(Record {
                schema: schema.clone(),
                values,
            })
        }
    })
}

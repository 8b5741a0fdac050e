//! The Avro binary encoding, decoded against a compiled schema. Every read checks its length
//! and every count is bounded before anything is allocated for it.

use bytes::Bytes;

use super::{AvroError, Datum, Limits, Node, Record};

/// The most items reserved ahead for one array block: a count is bounded by the input, but
/// reserving it all at once would take its memory before a single item had been read.
const MAX_RESERVE: usize = 4096;

/// A cursor over untrusted bytes.
pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    /// Items of zero encoded size still allowed (see [`Limits::free_items`]).
    pub free_items: usize,
    /// The buffer `buf` lies in, when shared: a `bytes` value is then a view into it, not a
    /// copy (a ZTF alert's three cutouts are most of its bytes).
    pub owner: Option<&'a Bytes>,
}

impl<'a> Cursor<'a> {
    /// A cursor that decodes no items of zero encoded size.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_free_items(buf, 0)
    }

    pub fn with_free_items(buf: &'a [u8], free_items: usize) -> Self {
        Self {
            buf,
            pos: 0,
            free_items,
            owner: None,
        }
    }

    /// The same cursor, its `bytes` values views into `owner`, which holds `buf`.
    pub fn sharing(self, owner: Option<&'a Bytes>) -> Self {
        Self { owner, ..self }
    }

    /// A `bytes` value read from `buf`: a view into the owner when there is one.
    fn shared(&self, raw: &'a [u8]) -> Bytes {
        match self.owner {
            Some(owner) => owner.slice_ref(raw),
            None => Bytes::copy_from_slice(raw),
        }
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
    fn block_count(&mut self, item: &Node) -> Result<usize, AvroError> {
        let at = self.pos;
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        self.items(at, count.unsigned_abs(), item)
    }

    /// Checks that `count` items of `item` (counted at byte `at`) can be decoded, and takes
    /// them from the free items when they take no bytes. An item that takes bytes cannot be
    /// more than the bytes left; one that takes none still costs a datum of memory.
    pub fn items(&mut self, at: usize, count: u64, item: &Node) -> Result<usize, AvroError> {
        let free = item.encodes_empty();
        let (room, what) = if free {
            (self.free_items, "the items of zero size left")
        } else {
            (self.remaining(), "the bytes left")
        };
        let count = usize::try_from(count)
            .ok()
            .filter(|&c| c <= room)
            .ok_or(AvroError::Count {
                at,
                count,
                what,
                room,
            })?;
        if free {
            self.free_items -= count;
        }
        Ok(count)
    }
}

/// Decodes exactly one datum of the given schema from `buf`, rejecting trailing bytes and a
/// `buf` larger than the maximum alert size.
pub fn decode_datum(node: &Node, buf: &[u8], limits: &Limits) -> Result<Datum, AvroError> {
    decode_datum_in(node, buf, None, limits)
}

/// [`decode_datum`], its `bytes` values views into `owner` (which holds `buf`) when given.
pub(crate) fn decode_datum_in(
    node: &Node,
    buf: &[u8],
    owner: Option<&Bytes>,
    limits: &Limits,
) -> Result<Datum, AvroError> {
    if buf.len() > limits.max_alert_bytes {
        return Err(AvroError::TooBig {
            size: buf.len(),
            limit: limits.max_alert_bytes,
        });
    }
    let mut cur = Cursor::with_free_items(buf, limits.free_items()).sharing(owner);
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
        Node::Bytes => {
            let raw = cur.bytes()?;
            Datum::Bytes(cur.shared(raw))
        }
        Node::Fixed(n) => {
            let raw = cur.take(*n)?;
            Datum::Bytes(cur.shared(raw))
        }
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
                let count = cur.block_count(items)?;
                if count == 0 {
                    break;
                }
                out.reserve(count.min(MAX_RESERVE));
                for _ in 0..count {
                    out.push(decode(items, cur)?);
                }
            }
            Datum::Array(out)
        }
        Node::Map(values) => {
            let mut out = Vec::new();
            loop {
                // Each entry's key takes at least its length byte, whatever its value.
                let count = cur.block_count(&Node::String)?;
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

/// `v` as Avro writes a long (a zigzag varint), for tests that write Avro by hand.
#[cfg(test)]
pub(crate) fn long(v: i64) -> Vec<u8> {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut out = Vec::new();
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::CompiledSchema;

    fn decode_with(schema: &str, buf: &[u8], max_alert_bytes: usize) -> Result<Datum, AvroError> {
        let schema = CompiledSchema::parse(schema).expect("schema");
        decode_datum(&schema.root, buf, &Limits { max_alert_bytes })
    }

    #[test]
    fn a_count_of_items_that_take_bytes_is_bounded_by_the_bytes_left() {
        let mut buf = long(1 << 40);
        buf.extend([2; 16]);
        let err = decode_with(r#"{"type":"array","items":"long"}"#, &buf, 1 << 20).unwrap_err();
        assert!(
            matches!(err, AvroError::Count { at: 0, count, room: 16, .. } if count == 1 << 40),
            "{err}"
        );
    }

    #[test]
    fn items_of_zero_size_are_counted_against_the_alert_size_in_every_block() {
        let limits = Limits {
            max_alert_bytes: 1 << 16,
        };
        let free = limits.free_items();
        // Many blocks, each small, together past the limit: the count is kept across blocks.
        let mut buf = Vec::new();
        for _ in 0..=free / 1000 {
            buf.extend(long(1000));
        }
        buf.extend(long(0));
        for items in [r#""null""#, r#"{"type":"record","name":"e","fields":[]}"#] {
            let schema = format!(r#"{{"type":"array","items":{items}}}"#);
            let err = decode_with(&schema, &buf, limits.max_alert_bytes).unwrap_err();
            assert!(matches!(err, AvroError::Count { .. }), "{err}");
        }
        // Within the limit they decode.
        let mut buf = long(free as i64);
        buf.extend(long(0));
        let ok = decode_with(r#"{"type":"array","items":"null"}"#, &buf, 1 << 16).expect("decodes");
        assert!(matches!(ok, Datum::Array(a) if a.len() == free));
    }

    #[test]
    fn i64_min_as_a_count_is_refused_not_negated() {
        let mut buf = long(i64::MIN);
        buf.extend(long(0));
        let err = decode_with(r#"{"type":"array","items":"int"}"#, &buf, 1 << 20).unwrap_err();
        assert!(matches!(err, AvroError::Count { .. }), "{err}");
    }

    #[test]
    fn a_body_larger_than_the_maximum_alert_size_is_refused() {
        let err = decode_with(r#""bytes""#, &[0; 101], 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "101 bytes is more than the maximum alert size (100 bytes)"
        );
    }
}

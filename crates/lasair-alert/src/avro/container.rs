//! Avro object container files: a header carrying the writer schema, then blocks of datums.

use std::io::Read;
use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::decode::{decode, Cursor};
use super::{AvroError, CompiledSchema, Datum, Limits, Node};

const MAGIC: &[u8; 4] = b"Obj\x01";
const MAX_SCHEMAS: usize = 64;

/// What a container held: the writer schema, every datum that decoded, and the error that
/// stopped decoding, if one did (datums before a corrupt block are kept, not lost).
#[derive(Debug)]
pub struct Container {
    pub schema: Arc<CompiledSchema>,
    pub datums: Vec<Datum>,
    pub error: Option<AvroError>,
}

/// Writer schemas seen so far, with their JSON text: ZTF repeats the same schema in every
/// file, and compiling it each time would cost more than decoding the alert. A stream uses a
/// handful of schema versions, so a short list compared byte for byte (newest first) beats
/// hashing ten kilobytes of schema text per alert.
#[derive(Debug, Default)]
pub struct SchemaCache {
    seen: RwLock<Vec<Known>>,
}

/// A writer schema's JSON text and its compiled form.
type Known = (Box<[u8]>, Arc<CompiledSchema>);
type Seen = [Known];

impl SchemaCache {
    pub fn get_or_compile(&self, json: &[u8]) -> Result<Arc<CompiledSchema>, AvroError> {
        let find = |seen: &Seen| {
            seen.iter()
                .rev()
                .find(|(t, _)| **t == *json)
                .map(|(_, s)| s.clone())
        };
        if let Some(s) = find(&self.seen.read().map_err(poisoned)?) {
            return Ok(s);
        }
        let text = std::str::from_utf8(json)
            .map_err(|_| AvroError::BadHeader("schema is not UTF-8".into()))?;
        let compiled = Arc::new(CompiledSchema::parse(text)?);
        let mut seen = self.seen.write().map_err(poisoned)?;
        if let Some(s) = find(&seen) {
            return Ok(s);
        }
        // A stream that sends endless new schemas must not grow this without bound.
        if seen.len() >= MAX_SCHEMAS {
            seen.remove(0);
        }
        seen.push((json.into(), compiled.clone()));
        Ok(compiled)
    }
}

fn poisoned<T>(_: T) -> AvroError {
    AvroError::Schema("schema cache lock poisoned".into())
}

/// Reads a whole container file held in memory. A header error is returned as `Err`; an error
/// in a later block is returned inside the `Container` with the datums decoded before it.
/// No block may hold more than `limits.max_alert_bytes` (inflated), and the whole file no
/// more than `limits.free_items()` items of zero encoded size.
pub fn read_container(
    bytes: &[u8],
    cache: &SchemaCache,
    limits: &Limits,
) -> Result<Container, AvroError> {
    read_container_in(bytes, None, cache, limits)
}

/// [`read_container`], the datums' `bytes` values views into `owner` (which holds `bytes`)
/// when given, and into each deflate block as inflated.
pub(crate) fn read_container_in(
    bytes: &[u8],
    owner: Option<&Bytes>,
    cache: &SchemaCache,
    limits: &Limits,
) -> Result<Container, AvroError> {
    let mut cur = Cursor::new(bytes).sharing(owner);
    if cur.take(4).map_err(|_| AvroError::BadMagic)? != MAGIC {
        return Err(AvroError::BadMagic);
    }
    let meta = read_metadata(&mut cur)?;
    let schema_json = meta
        .iter()
        .find(|(k, _)| k == "avro.schema")
        .map(|(_, v)| *v)
        .ok_or_else(|| AvroError::BadHeader("no avro.schema in the header".into()))?;
    let codec = meta
        .iter()
        .find(|(k, _)| k == "avro.codec")
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_else(|| "null".into());
    if codec != "null" && codec != "deflate" {
        return Err(AvroError::Codec(codec));
    }
    let schema = cache.get_or_compile(schema_json)?;
    let sync = cur.take(16)?;
    let mut datums = Vec::new();
    cur.free_items = limits.free_items();
    let blocks = Blocks {
        sync,
        deflate: codec == "deflate",
        root: &schema.root,
        max: limits.max_alert_bytes,
    };
    let error = blocks.read(&mut cur, &mut datums).err();
    Ok(Container {
        schema,
        datums,
        error,
    })
}

fn read_metadata<'a>(cur: &mut Cursor<'a>) -> Result<Vec<(String, &'a [u8])>, AvroError> {
    let mut meta = Vec::new();
    loop {
        let count = cur.long()?;
        if count == 0 {
            return Ok(meta);
        }
        if count < 0 {
            cur.long()?;
        }
        // Each entry takes at least two bytes, so a false count ends at the data's end.
        for _ in 0..count.unsigned_abs() {
            let key = String::from_utf8_lossy(cur.bytes()?).into_owned();
            meta.push((key, cur.bytes()?));
        }
    }
}

/// How a container's blocks are read.
struct Blocks<'a> {
    sync: &'a [u8],
    deflate: bool,
    root: &'a Node,
    /// The most bytes a block may hold, inflated.
    max: usize,
}

impl Blocks<'_> {
    /// Reads every block after the header into `out`; the file's cursor carries the items of
    /// zero size left from one block to the next.
    fn read(&self, cur: &mut Cursor<'_>, out: &mut Vec<Datum>) -> Result<(), AvroError> {
        let mut block = 0;
        while cur.remaining() > 0 {
            let at = cur.pos;
            let count = cur.long()?;
            if count < 0 {
                return Err(AvroError::NegativeLength { at, len: count });
            }
            let data = cur.bytes()?;
            if cur.take(16)? != self.sync {
                return Err(AvroError::BadSync { block });
            }
            let inflated;
            let (data, owner) = if self.deflate {
                inflated = Bytes::from(self.inflate(data, block)?);
                (&inflated[..], Some(&inflated))
            } else if data.len() > self.max {
                return Err(AvroError::BlockTooBig {
                    block,
                    limit: self.max,
                });
            } else {
                (data, cur.owner)
            };
            let mut inner = Cursor::with_free_items(data, cur.free_items).sharing(owner);
            let count = inner.items(at, count.unsigned_abs(), self.root)?;
            for _ in 0..count {
                out.push(decode(self.root, &mut inner)?);
            }
            if inner.remaining() > 0 {
                return Err(AvroError::Trailing {
                    extra: inner.remaining(),
                });
            }
            cur.free_items = inner.free_items;
            block += 1;
        }
        Ok(())
    }

    /// Inflates a deflate block, refusing it once it passes the maximum: a megabyte of
    /// deflate can inflate to a gigabyte.
    fn inflate(&self, data: &[u8], block: usize) -> Result<Vec<u8>, AvroError> {
        let mut buf = Vec::with_capacity(data.len().saturating_mul(4).min(self.max));
        flate2::read::DeflateDecoder::new(data)
            .take(self.max as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|source| AvroError::Deflate { block, source })?;
        if buf.len() > self.max {
            return Err(AvroError::BlockTooBig {
                block,
                limit: self.max,
            });
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::long;
    use super::*;
    use apache_avro::types::Value;
    use apache_avro::{Schema, Writer};

    const SCHEMA: &str = r#"{"type":"record","name":"t","fields":[
        {"name":"id","type":"long"},{"name":"mag","type":["null","float"]},
        {"name":"band","type":{"type":"enum","name":"b","symbols":["g","r"]}},
        {"name":"prv","type":{"type":"array","items":"double"}}]}"#;

    fn container(codec: apache_avro::Codec, n: i64) -> Vec<u8> {
        let schema = Schema::parse_str(SCHEMA).expect("schema");
        let mut w = Writer::with_codec(&schema, Vec::new(), codec);
        for i in 0..n {
            let rec = Value::Record(vec![
                ("id".into(), Value::Long(i * 1_000_000_007)),
                ("mag".into(), Value::Union(1, Box::new(Value::Float(18.5)))),
                ("band".into(), Value::Enum(1, "r".into())),
                (
                    "prv".into(),
                    Value::Array(vec![Value::Double(-1.5); i as usize]),
                ),
            ]);
            w.append(rec).expect("append");
        }
        w.into_inner().expect("flush")
    }

    #[test]
    fn decodes_what_apache_avro_writes_with_both_codecs() {
        for codec in [
            apache_avro::Codec::Null,
            apache_avro::Codec::Deflate(Default::default()),
        ] {
            let bytes = container(codec, 5);
            let c = read_container(&bytes, &SchemaCache::default(), &Limits::default())
                .expect("header");
            assert!(c.error.is_none(), "{:?}", c.error);
            assert_eq!(c.datums.len(), 5);
            let Datum::Record(r) = &c.datums[4] else {
                panic!("not a record")
            };
            assert_eq!(r.i64("id"), Some(4_000_000_028));
            assert_eq!(r.f64("mag"), Some(18.5));
            assert_eq!(r.str("band"), Some("r"));
            assert_eq!(r.array("prv").map(<[Datum]>::len), Some(4));
        }
    }

    #[test]
    fn truncation_anywhere_is_reported_never_silent() {
        let bytes = container(apache_avro::Codec::Null, 3);
        for cut in (1..bytes.len()).step_by(7) {
            // Err: the header itself was cut. A cut right after the header reads as a valid
            // empty container, which the decoder refuses as holding no alerts.
            if let Ok(c) =
                read_container(&bytes[..cut], &SchemaCache::default(), &Limits::default())
            {
                assert!(
                    c.error.is_some() || c.datums.is_empty(),
                    "cut at {cut} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn rejects_non_avro() {
        assert!(matches!(
            read_container(
                b"PNG\x89 not avro",
                &SchemaCache::default(),
                &Limits::default()
            ),
            Err(AvroError::BadMagic)
        ));
    }

    /// A container written by hand: `blocks` are (count, data) as they go in the file.
    fn raw(schema: &str, codec: &str, blocks: &[(i64, Vec<u8>)]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(long(2));
        for (k, v) in [("avro.schema", schema), ("avro.codec", codec)] {
            out.extend(long(k.len() as i64));
            out.extend(k.as_bytes());
            out.extend(long(v.len() as i64));
            out.extend(v.as_bytes());
        }
        out.extend(long(0));
        let sync = [7u8; 16];
        out.extend(sync);
        for (count, data) in blocks {
            out.extend(long(*count));
            out.extend(long(data.len() as i64));
            out.extend(data);
            out.extend(sync);
        }
        out
    }

    fn limits(max_alert_bytes: usize) -> Limits {
        Limits { max_alert_bytes }
    }

    #[test]
    fn a_huge_count_of_datums_that_take_no_bytes_is_refused() {
        for schema in [r#""null""#, r#"{"type":"record","name":"e","fields":[]}"#] {
            for count in [1 << 40, i64::MAX] {
                let bytes = raw(schema, "null", &[(count, Vec::new())]);
                let c = read_container(&bytes, &SchemaCache::default(), &limits(1 << 20))
                    .expect("header");
                assert!(c.datums.is_empty());
                assert!(
                    matches!(c.error, Some(AvroError::Count { .. })),
                    "{:?}",
                    c.error
                );
            }
        }
    }

    #[test]
    fn datums_that_take_no_bytes_are_counted_across_blocks() {
        let limits = limits(1 << 16);
        let blocks = vec![(1000, Vec::new()); limits.free_items() / 1000 + 1];
        let bytes = raw(r#""null""#, "null", &blocks);
        let c = read_container(&bytes, &SchemaCache::default(), &limits).expect("header");
        assert!(
            matches!(c.error, Some(AvroError::Count { .. })),
            "{:?}",
            c.error
        );
        assert!(c.datums.len() <= limits.free_items());
    }

    #[test]
    fn a_deflate_block_that_inflates_past_the_maximum_is_refused() {
        use std::io::Write;
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 1 << 20]).expect("deflate");
        let data = z.finish().expect("deflate");
        let bytes = raw(r#""bytes""#, "deflate", &[(1, data)]);
        let c = read_container(&bytes, &SchemaCache::default(), &limits(1 << 16)).expect("header");
        assert_eq!(
            c.error.map(|e| e.to_string()).as_deref(),
            Some("block 0 holds more than the maximum alert size (65536 bytes)")
        );
        // The same block is read when the maximum allows it.
        let c = read_container(&bytes, &SchemaCache::default(), &limits(2 << 20)).expect("header");
        // Zeros are one empty `bytes`, then bytes the block's count does not account for.
        assert!(matches!(c.error, Some(AvroError::Trailing { extra }) if extra == (1 << 20) - 1));
        assert_eq!(c.datums.len(), 1);
    }

    #[test]
    fn an_uncompressed_block_past_the_maximum_is_refused() {
        let mut data = long(3000);
        data.extend(vec![b'x'; 3000]);
        let bytes = raw(r#""bytes""#, "null", &[(1, data)]);
        let c = read_container(&bytes, &SchemaCache::default(), &limits(2000)).expect("header");
        assert!(matches!(
            c.error,
            Some(AvroError::BlockTooBig { block: 0, .. })
        ));
    }
}

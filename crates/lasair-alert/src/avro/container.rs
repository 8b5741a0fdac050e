//! Avro object container files: a header carrying the writer schema, then blocks of datums.

use std::io::Read;
use std::sync::{Arc, RwLock};

use super::decode::{decode, Cursor};
use super::{AvroError, CompiledSchema, Datum, Node};

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
pub fn read_container(bytes: &[u8], cache: &SchemaCache) -> Result<Container, AvroError> {
    let mut cur = Cursor::new(bytes);
    if cur.take(4).map_err(|_| AvroError::BadMagic)? != MAGIC {
        return Err(AvroError::BadMagic);
    }
    let meta = read_metadata(&mut cur)?;
    let schema_json = meta
        .iter()
        .find(|(k, _)| k == "avro.schema")
        .map(|(_, v)| v.as_slice())
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
    let error = read_blocks(&mut cur, sync, &codec, &schema.root, &mut datums).err();
    Ok(Container {
        schema,
        datums,
        error,
    })
}

fn read_metadata(cur: &mut Cursor<'_>) -> Result<Vec<(String, Vec<u8>)>, AvroError> {
    let mut meta = Vec::new();
    loop {
        let mut count = cur.long()?;
        if count == 0 {
            return Ok(meta);
        }
        if count < 0 {
            count = -count;
            cur.long()?;
        }
        for _ in 0..count {
            let key = String::from_utf8_lossy(cur.bytes()?).into_owned();
            meta.push((key, cur.bytes()?.to_vec()));
        }
    }
}

fn read_blocks(
    cur: &mut Cursor<'_>,
    sync: &[u8],
    codec: &str,
    root: &Node,
    out: &mut Vec<Datum>,
) -> Result<(), AvroError> {
    let mut block = 0;
    while cur.remaining() > 0 {
        let count = cur.len()?;
        let data = cur.bytes()?;
        if cur.take(16)? != sync {
            return Err(AvroError::BadSync { block });
        }
        let inflated;
        let data = if codec == "deflate" {
            let mut buf = Vec::with_capacity(data.len() * 4);
            flate2::read::DeflateDecoder::new(data)
                .read_to_end(&mut buf)
                .map_err(|source| AvroError::Deflate { block, source })?;
            inflated = buf;
            &inflated[..]
        } else {
            data
        };
        let mut inner = Cursor::new(data);
        for _ in 0..count {
            out.push(decode(root, &mut inner)?);
        }
        block += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
            let c = read_container(&bytes, &SchemaCache::default()).expect("header");
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
            if let Ok(c) = read_container(&bytes[..cut], &SchemaCache::default()) {
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
            read_container(b"PNG\x89 not avro", &SchemaCache::default()),
            Err(AvroError::BadMagic)
        ));
    }
}

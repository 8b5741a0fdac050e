//! A message's body as a JSON tree, whatever the broker wrapped it in: an Avro object
//! container (its writer schema inside), schemaless Avro read with a schema known beforehand,
//! or JSON (with or without Hopskotch's older `{"format", "content"}` envelope). Each broker's
//! module then reads its fields from the tree, so the three encodings share one reading. An
//! alert's tree holds only the top-level fields its reader asks for: a whole LSST alert (its
//! histories, hundreds of kB) is decoded but never made into JSON.

use lasair_alert::avro::{
    decode_datum, read_container, CompiledSchema, Datum, Limits, SchemaCache,
};
use serde_json::{Map, Value as Json};

use super::BrokerError;

/// An Avro object container's first bytes.
const CONTAINER: &[u8] = b"Obj\x01";

/// Whether `bytes` is an Avro object container.
pub(super) fn is_container(bytes: &[u8]) -> bool {
    bytes.starts_with(CONTAINER)
}

/// The one record of an Avro object container (a broker's message holds one).
pub(super) fn container(
    bytes: &[u8],
    seen: &SchemaCache,
    limits: &Limits,
) -> Result<Json, BrokerError> {
    let avro = |source| BrokerError::Avro {
        what: "reading the Avro container",
        source,
    };
    let read = read_container(bytes, seen, limits).map_err(avro)?;
    if let Some(e) = read.error {
        return Err(avro(e));
    }
    match read.datums.as_slice() {
        [one] => Ok(to_json(one, None)),
        other => Err(BrokerError::invalid(
            "the Avro container",
            format!("holds {} records, not one", other.len()),
        )),
    }
}

/// A schemaless Avro body read with `schema`, as a tree of the top-level fields in `keep`
/// (all when `None`); `what` says whose schema, for errors.
pub(super) fn schemaless(
    bytes: &[u8],
    schema: &CompiledSchema,
    limits: &Limits,
    what: &'static str,
    keep: Option<&[&str]>,
) -> Result<Json, BrokerError> {
    let datum = decode_datum(&schema.root, bytes, limits)
        .map_err(|source| BrokerError::Avro { what, source })?;
    Ok(to_json(&datum, keep))
}

/// A JSON body; a Hopskotch envelope of the older clients (`{"format": "json" or "blob",
/// "content": ...}`) gives its content.
pub(super) fn json(bytes: &[u8]) -> Result<Json, BrokerError> {
    let mut body: Json = serde_json::from_slice(bytes)?;
    let enveloped = matches!(
        body.get("format").and_then(Json::as_str),
        Some("json" | "blob")
    ) && body.get("content").is_some_and(Json::is_object);
    if enveloped {
        if let Some(content) = body.get_mut("content") {
            body = content.take();
        }
    }
    Ok(body)
}

/// A decoded Avro value as JSON, a record with only the fields in `keep` (all when `None`).
/// Bytes (cutouts) become null; a float keeps the shortest decimal that is the float (0.1,
/// not 0.10000000149011612), as Avro's JSON writers give it; NaN and infinities are null.
fn to_json(datum: &Datum, keep: Option<&[&str]>) -> Json {
    match datum {
        Datum::Null | Datum::Bytes(_) => Json::Null,
        Datum::Bool(b) => Json::Bool(*b),
        Datum::Long(v) => Json::from(*v),
        Datum::Float(v) => v
            .to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        Datum::Double(v) => serde_json::Number::from_f64(*v).map_or(Json::Null, Json::Number),
        Datum::String(s) => Json::String(s.clone()),
        Datum::Enum(s) => Json::String(s.to_string()),
        Datum::Array(items) => Json::Array(items.iter().map(|d| to_json(d, None)).collect()),
        Datum::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, None)))
                .collect(),
        ),
        Datum::Record(r) => {
            let kept = |name: &str| keep.is_none_or(|k| k.contains(&name));
            let fields: Map<String, Json> = r
                .iter()
                .filter(|(name, _)| kept(name))
                .map(|(name, v)| (name.to_owned(), to_json(v, None)))
                .collect();
            Json::Object(fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hopskotch_envelopes_are_opened_and_plain_json_kept() {
        let plain = json(br#"{"object": {"id": 5}}"#).expect("json");
        assert_eq!(plain["object"]["id"], 5);
        let old = json(br#"{"format": "blob", "content": {"object": {"id": 6}}}"#).expect("json");
        assert_eq!(old["object"]["id"], 6);
        let not = json(br#"{"format": "blob", "content": "text"}"#).expect("json");
        assert_eq!(not["content"], "text", "not an envelope of a record: kept");
        assert!(matches!(json(b"\x00\x01"), Err(BrokerError::Json(_))));
    }

    #[test]
    fn only_the_fields_asked_for_are_made_json_and_floats_keep_their_decimals() {
        let schema = CompiledSchema::parse(
            r#"{"type": "record", "name": "r", "fields": [{"name": "x", "type": "float"},
            {"name": "big", "type": {"type": "array", "items": "double"}},
            {"name": "cut", "type": "bytes"}]}"#,
        )
        .expect("schema");
        let mut bytes = 0.1_f32.to_le_bytes().to_vec();
        bytes.extend([2, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 2, 0xff]);
        let all = schemaless(&bytes, &schema, &Limits::default(), "r", None).expect("read");
        assert_eq!(
            all,
            serde_json::json!({"x": 0.1, "big": [1.0], "cut": null})
        );
        let some = schemaless(&bytes, &schema, &Limits::default(), "r", Some(&["x"]));
        assert_eq!(some.expect("read"), serde_json::json!({"x": 0.1}));
    }

    #[test]
    fn a_container_of_other_than_one_record_is_refused() {
        let schema =
            r#"{"type": "record", "name": "r", "fields": [{"name": "x", "type": "long"}]}"#;
        let parsed = apache_avro::Schema::parse_str(schema).expect("schema");
        let mut writer = apache_avro::Writer::new(&parsed, Vec::new());
        for x in [1_i64, 2] {
            let mut r = apache_avro::types::Record::new(&parsed).expect("record");
            r.put("x", x);
            writer.append(r).expect("append");
        }
        let two = writer.into_inner().expect("bytes");
        assert!(is_container(&two));
        let err = container(&two, &SchemaCache::default(), &Limits::default()).expect_err("two");
        assert!(err.to_string().contains("2 records"), "{err}");
        let cut = container(
            &two[..two.len() - 5],
            &SchemaCache::default(),
            &Limits::default(),
        );
        assert!(matches!(cut, Err(BrokerError::Avro { .. })), "{cut:?}");
    }
}

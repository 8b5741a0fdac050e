//! Other brokers' messages for tests, made with apache-avro (or by hand, where a broker's
//! published schema is one apache-avro refuses) from the brokers' public schemas, in the forms
//! their streams carry: Fink's schemaless alerts with the schema as the key, ALeRCE's
//! containers and schemaless records, AMPEL's reports as Avro containers or JSON. The formats
//! and where they were learnt are recorded in lasair-service's `brokers` modules.

use apache_avro::types::Value;
use apache_avro::{Schema, Writer};

/// One Kafka message: its key and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
}

/// A nullable field's value, as Spark writes them (`["T", "null"]`).
fn some(v: Value) -> Value {
    Value::Union(0, Box::new(v))
}

fn none() -> Value {
    Value::Union(1, Box::new(Value::Null))
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A few of the fields of Fink's LSST livestream alerts (Spark's schema: every field
/// nullable, nested records named under `topLevelRecord`).
pub const FINK_LSST_SCHEMA: &str = r#"{"type": "record", "name": "topLevelRecord", "fields": [
 {"name": "diaSourceId", "type": ["long", "null"]},
 {"name": "diaSource", "type": [{"type": "record", "name": "diaSource",
   "namespace": "topLevelRecord", "fields": [
   {"name": "diaSourceId", "type": ["long", "null"]},
   {"name": "diaObjectId", "type": ["long", "null"]},
   {"name": "ssObjectId", "type": ["long", "null"]},
   {"name": "midpointMjdTai", "type": ["double", "null"]},
   {"name": "psfFlux", "type": ["float", "null"]}]}, "null"]},
 {"name": "diaObject", "type": [{"type": "record", "name": "diaObject",
   "namespace": "topLevelRecord", "fields": [
   {"name": "diaObjectId", "type": ["long", "null"]}]}, "null"]},
 {"name": "cutoutScience", "type": ["bytes", "null"]},
 {"name": "fink_science_version", "type": ["string", "null"]},
 {"name": "clf", "type": [{"type": "record", "name": "clf", "namespace": "topLevelRecord",
   "fields": [
   {"name": "snnSnVsOthers_score", "type": ["float", "null"]},
   {"name": "cats_class", "type": ["int", "null"]},
   {"name": "cats_score", "type": ["float", "null"]},
   {"name": "earlySNIa_score", "type": ["double", "null"]}]}, "null"]}]}"#;

/// A Fink LSST alert of object `dia_object_id` (0 for a solar-system source, which has
/// `ss_object_id` instead) whose CATS broad class is `cats_class`.
pub fn fink_lsst(dia_object_id: i64, ss_object_id: i64, cats_class: i32) -> Message {
    let schema = Schema::parse_str(FINK_LSST_SCHEMA).expect("Fink's LSST schema");
    let dia_source = record(vec![
        ("diaSourceId", some(Value::Long(dia_object_id + 7))),
        ("diaObjectId", some(Value::Long(dia_object_id))),
        ("ssObjectId", some(Value::Long(ss_object_id))),
        ("midpointMjdTai", some(Value::Double(61040.25))),
        ("psfFlux", some(Value::Float(12_345.5))),
    ]);
    let dia_object = match dia_object_id {
        0 => none(),
        id => some(record(vec![("diaObjectId", some(Value::Long(id)))])),
    };
    let clf = record(vec![
        ("snnSnVsOthers_score", some(Value::Float(0.25))),
        ("cats_class", some(Value::Int(cats_class))),
        ("cats_score", some(Value::Float(0.875))),
        ("earlySNIa_score", some(Value::Double(-1.0))),
    ]);
    let alert = record(vec![
        ("diaSourceId", some(Value::Long(dia_object_id + 7))),
        ("diaSource", some(dia_source)),
        ("diaObject", dia_object),
        (
            "cutoutScience",
            some(Value::Bytes(vec![0x53, 0x49, 0x4d, 0x50])),
        ),
        ("fink_science_version", some(Value::String("8.39.0".into()))),
        ("clf", some(clf)),
    ]);
    fink_message(&schema, FINK_LSST_SCHEMA, alert)
}

/// A few of the fields of Fink's ZTF livestream alerts.
pub const FINK_ZTF_SCHEMA: &str = r#"{"type": "record", "name": "topLevelRecord", "fields": [
 {"name": "objectId", "type": ["string", "null"]},
 {"name": "candid", "type": ["long", "null"]},
 {"name": "cdsxmatch", "type": ["string", "null"]},
 {"name": "rf_snia_vs_nonia", "type": ["double", "null"]},
 {"name": "snn_sn_vs_all", "type": ["double", "null"]},
 {"name": "finkclass", "type": ["string", "null"]}]}"#;

/// A Fink ZTF alert of `object_id`, with Fink's class when given.
pub fn fink_ztf(object_id: &str, finkclass: Option<&str>) -> Message {
    let schema = Schema::parse_str(FINK_ZTF_SCHEMA).expect("Fink's ZTF schema");
    let alert = record(vec![
        ("objectId", some(Value::String(object_id.into()))),
        ("candid", some(Value::Long(2_400_000_123))),
        ("cdsxmatch", some(Value::String("Unknown".into()))),
        ("rf_snia_vs_nonia", some(Value::Double(0.5))),
        ("snn_sn_vs_all", none()),
        (
            "finkclass",
            finkclass.map_or_else(none, |c| some(Value::String(c.into()))),
        ),
    ]);
    fink_message(&schema, FINK_ZTF_SCHEMA, alert)
}

/// Fink's livestream form: the schema as the key, the alert schemaless.
fn fink_message(schema: &Schema, text: &str, alert: Value) -> Message {
    Message {
        key: Some(text.as_bytes().to_vec()),
        value: apache_avro::to_avro_datum(schema, alert).expect("an alert of the schema"),
    }
}

/// Every alert of one of Fink's real data-transfer files (in `../shared/data/brokers/fink`),
/// as its livestream would send it: the file's schema as the key, each alert schemaless.
pub fn fink_real(path: &std::path::Path) -> Vec<Message> {
    let bytes = std::fs::read(path).expect("Fink's file");
    let reader = apache_avro::Reader::new(bytes.as_slice()).expect("an Avro container");
    let schema = reader.writer_schema().clone();
    let key = schema.canonical_form().into_bytes();
    reader
        .map(|alert| Message {
            key: Some(key.clone()),
            value: apache_avro::to_avro_datum(&schema, alert.expect("an alert"))
                .expect("re-encoded"),
        })
        .collect()
}

/// ALeRCE's Rubin stamp classifier's record, schemaless.
pub fn alerce_rubin_stamp(dia_object_id: i64, ss_object_id: i64, probs: &[(&str, f64)]) -> Message {
    let schema = Schema::parse_str(
        r#"{"type": "record", "name": "RubinStampClassifierOutput", "fields": [
        {"name": "diaObjectId", "type": "long"}, {"name": "ssObjectId", "type": "long"},
        {"name": "diaSourceId", "type": "long"},
        {"name": "probabilities", "type": {"type": "map", "values": "double"}},
        {"name": "midpointMjdTai", "type": "double"}, {"name": "ra", "type": "double"},
        {"name": "dec", "type": "double"}]}"#,
    )
    .expect("ALeRCE's Rubin stamp schema");
    let probabilities = probs
        .iter()
        .map(|(k, p)| ((*k).to_owned(), Value::Double(*p)))
        .collect();
    let value = record(vec![
        ("diaObjectId", Value::Long(dia_object_id)),
        ("ssObjectId", Value::Long(ss_object_id)),
        ("diaSourceId", Value::Long(dia_object_id + 11)),
        ("probabilities", Value::Map(probabilities)),
        ("midpointMjdTai", Value::Double(61040.5)),
        ("ra", Value::Double(150.1)),
        ("dec", Value::Double(2.2)),
    ]);
    Message {
        key: None,
        value: apache_avro::to_avro_datum(&schema, value).expect("a record of the schema"),
    }
}

/// ALeRCE's ZTF stamp classifier's record, an Avro container with its schema: SN, AGN, VS,
/// asteroid, bogus and satellite probabilities, in that order.
pub fn alerce_ztf_stamp(object_id: &str, probs: [f32; 6]) -> Message {
    let schema = Schema::parse_str(
        r#"{"type": "record", "name": "stamp_probabilities", "fields": [
        {"name": "objectId", "type": "string"}, {"name": "candid", "type": "long"},
        {"name": "probabilities", "type": {"type": "record", "name": "probabilities",
          "fields": [{"name": "SN", "type": "float"}, {"name": "AGN", "type": "float"},
            {"name": "VS", "type": "float"}, {"name": "asteroid", "type": "float"},
            {"name": "bogus", "type": "float"}, {"name": "satellite", "type": "float"}]}}]}"#,
    )
    .expect("ALeRCE's ZTF stamp schema");
    let names = ["SN", "AGN", "VS", "asteroid", "bogus", "satellite"];
    let probabilities = names
        .iter()
        .zip(probs)
        .map(|(n, p)| (*n, Value::Float(p)))
        .collect();
    let value = record(vec![
        ("objectId", Value::String(object_id.into())),
        ("candid", Value::Long(2_400_000_777)),
        ("probabilities", record(probabilities)),
    ]);
    let mut writer = Writer::new(&schema, Vec::new());
    writer.append(value).expect("a record of the schema");
    Message {
        key: None,
        value: writer.into_inner().expect("the container"),
    }
}

/// ALeRCE's ZTF lightcurve classifier's record, schemaless, encoded by hand from its
/// published schema (which apache-avro refuses: two map types in one union): `oid`, no
/// `features`, `lc_classification` with `probabilities` (map of the one-branch union
/// `["float"]`), `class`, and `hierarchical` (`top` as a map of floats, `children` as a map
/// of maps).
pub fn alerce_ztf_lc(oid: &str, class: &str, probs: &[(&str, f32)]) -> Message {
    let mut out = Vec::new();
    string(&mut out, oid);
    long(&mut out, 1); // features: the union's null branch
    long(&mut out, probs.len() as i64);
    for (k, p) in probs {
        string(&mut out, k);
        long(&mut out, 0); // the union ["float"]'s one branch
        out.extend_from_slice(&p.to_le_bytes());
    }
    long(&mut out, 0);
    string(&mut out, class);
    long(&mut out, 2); // hierarchical: two entries
    string(&mut out, "top");
    long(&mut out, 0); // branch 0: a map of floats
    long(&mut out, 1);
    string(&mut out, "Transient");
    out.extend_from_slice(&0.75_f32.to_le_bytes());
    long(&mut out, 0);
    string(&mut out, "children");
    long(&mut out, 1); // branch 1: a map of maps of floats
    long(&mut out, 1);
    string(&mut out, "Transient");
    long(&mut out, 1);
    string(&mut out, class);
    out.extend_from_slice(&0.5_f32.to_le_bytes());
    long(&mut out, 0);
    long(&mut out, 0);
    long(&mut out, 0);
    Message {
        key: None,
        value: out,
    }
}

/// An Avro long: zig-zag, then 7 bits a byte, low first.
fn long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    long(out, s.len() as i64);
    out.extend_from_slice(s.as_bytes());
}

/// AMPEL's LSST report, as py-avro-schema makes a schema of Ampel's `LSSTReport` model (a
/// few fields of it).
pub const AMPEL_SCHEMA: &str = r#"{"type": "record", "name": "LSSTReport",
 "namespace": "ampel.contrib.hu.model.LSSTReport", "fields": [
 {"name": "object", "type": {"type": "record", "name": "Object", "fields": [
   {"name": "id", "type": "long"}, {"name": "external_id", "type": ["null", "string"]},
   {"name": "ra", "type": "double"}, {"name": "dec", "type": "double"},
   {"name": "source", "type": "string"}]}},
 {"name": "state", "type": "long"},
 {"name": "classification", "type": {"type": "array", "items": {"type": "record",
   "name": "Classification", "fields": [
   {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
   {"name": "info", "type": ["null", "string"]},
   {"name": "models", "type": {"type": "array", "items": {"type": "record",
     "name": "ModelClassification", "fields": [{"name": "model", "type": "string"},
     {"name": "probabilities", "type": {"type": "map", "values": "double"}}]}}}]}}},
 {"name": "features", "type": {"type": "array", "items": {"type": "record",
   "name": "Feature", "fields": [
   {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
   {"name": "info", "type": ["null", "string"]},
   {"name": "features", "type": {"type": "map", "values": "double"}}]}}}]}"#;

/// An AMPEL report on object `id`: one classifier's probabilities (named `P(<class>)` as
/// AMPEL names them) and one feature set, as JSON.
pub fn ampel_report(id: i64, probs: &[(&str, f64)], features: &[(&str, f64)]) -> serde_json::Value {
    let probabilities: serde_json::Map<String, serde_json::Value> = probs
        .iter()
        .map(|(k, p)| (format!("P({k})"), (*p).into()))
        .collect();
    let features: serde_json::Map<String, serde_json::Value> = features
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).into()))
        .collect();
    serde_json::json!({
        "object": {"id": id, "external_id": null, "ra": 150.5, "dec": 2.5, "source": "LSST"},
        "state": 99,
        "classification": [{"name": "ParsnipRiseDecline", "version": "1",
            "info": "Trained on ELAsTiCC",
            "models": [{"model": "elasticc", "probabilities": probabilities}]}],
        "features": [{"name": "RiseDeclineFeatures", "version": "1", "info": null,
            "features": features}],
    })
}

/// An AMPEL report as hop-client's AvroBlob sends it: an Avro container of one record.
pub fn ampel_avro(report: &serde_json::Value) -> Message {
    let schema = Schema::parse_str(AMPEL_SCHEMA).expect("AMPEL's schema");
    let value = Value::from(report.clone())
        .resolve(&schema)
        .expect("a report of the schema");
    let mut writer = Writer::new(&schema, Vec::new());
    writer.append(value).expect("appended");
    Message {
        key: None,
        value: writer.into_inner().expect("the container"),
    }
}

/// An AMPEL report as JSON (hop-client's JSONBlob).
pub fn ampel_json(report: &serde_json::Value) -> Message {
    Message {
        key: None,
        value: report.to_string().into_bytes(),
    }
}

//! ALeRCE's classifiers, as its Kafka topics carry them (`stamp_classifier_<YYYYMMDD>`,
//! `lc_classifier_<YYYYMMDD>`, one topic a night).
//!
//! Learnt from alercebroker/pipeline at 9a72806 (2026-02-13): `libs/apf/apf/producers/kafka.py`
//! (a step writes each message either as an Avro object container of one record, its schema
//! inside, or schemaless with a schema published beside the code),
//! `schemas/stamp_classifier_2025_step/output.avsc` and `schemas/early_classification_step/
//! output.avsc` (ZTF's stamp classifier: `objectId`, `candid`, a `probabilities` record of
//! SN, AGN, VS, asteroid, bogus and, from 2025, satellite; sent as containers) and
//! `schemas/lc_classification_step/output_ztf.avsc` at b8f5ee5 (the lightcurve classifier,
//! schemaless: `oid`, `features`, `lc_classification` with `probabilities`, `class` and
//! `hierarchical`); and from lsst-uk/lasair-lsst branch fix/fink at 2122daa (2026-07-10):
//! `services/externalBrokers/alerce/stamp_classifier_rubin.avsc`, ALeRCE's Rubin stamp
//! classifier, schemaless (`diaObjectId`, `ssObjectId`, `diaSourceId`, `probabilities`
//! map<double>, `midpointMjdTai`, `ra`, `dec`).
//!
//! A container is read with its own schema; a schemaless message with the Rubin stamp
//! schema, or the ZTF lightcurve one on an `lc_classifier` topic (Lasair's consumer tested
//! for `lc_classifier_ztf`, which ALeRCE's dated topic names never contain). As Lasair does:
//! the stamp classifier's most probable class is the classification and every probability
//! (to 3 decimals) the classdict, except for the classes that are not transients (VS, AGN,
//! asteroid, bogus, and here satellite too); the lightcurve classifier's class with the
//! probabilities above 0.02, except E and Periodic-Other.

use lasair_alert::avro::{CompiledSchema, Limits, SchemaCache};
use serde_json::{Map, Value as Json};

use super::{at, id_text, payload, round3, BrokerError, Classified, Reading};

/// ALeRCE's Rubin stamp classifier's output.
const RUBIN_STAMP: &str = r#"{
  "type": "record", "name": "RubinStampClassifierOutput",
  "namespace": "alerce.rubin_stamp_classifier_step",
  "fields": [
    {"name": "diaObjectId", "type": "long"},
    {"name": "ssObjectId", "type": "long"},
    {"name": "diaSourceId", "type": "long"},
    {"name": "probabilities", "type": {"type": "map", "values": "double"}},
    {"name": "midpointMjdTai", "type": "double"},
    {"name": "ra", "type": "double"},
    {"name": "dec", "type": "double"}
  ]
}"#;

/// ALeRCE's ZTF lightcurve classifier's output. Its published schema puts two map types in
/// one union, which Avro forbids (and apache-avro refuses); the first branch is written here
/// as a record of one map field, which is encoded byte for byte as the map itself.
const ZTF_LC: &str = r#"{
  "type": "record", "name": "probabilities_and_features",
  "fields": [
    {"name": "oid", "type": "string"},
    {"name": "features", "type": [
      {"type": "map", "values": ["boolean", "float", "null", "int"]}, "null"]},
    {"name": "lc_classification", "type": {
      "type": "record", "name": "late_record",
      "fields": [
        {"name": "probabilities", "type": {"type": "map", "values": ["float"]}},
        {"name": "class", "type": "string"},
        {"name": "hierarchical", "type": {"type": "map", "values": [
          {"type": "record", "name": "level",
           "fields": [{"name": "classes", "type": {"type": "map", "values": "float"}}]},
          {"type": "map", "values": {"type": "map", "values": "float"}}
        ]}}
      ]
    }}
  ]
}"#;

/// Classes the stamp classifier gives that are not annotated: not transients.
const STAMP_SKIPPED: [&str; 5] = ["VS", "AGN", "asteroid", "bogus", "satellite"];
/// Classes the lightcurve classifier gives that are not annotated.
const LC_SKIPPED: [&str; 2] = ["E", "Periodic-Other"];
/// The lightcurve classifier's probabilities kept in the classdict are above this.
const LC_KEPT_ABOVE: f64 = 0.02;

/// The schemas of ALeRCE's schemaless topics, compiled once.
#[derive(Debug)]
pub(super) struct Schemas {
    rubin_stamp: CompiledSchema,
    ztf_lc: CompiledSchema,
}

impl Schemas {
    pub(super) fn compile() -> Result<Schemas, BrokerError> {
        let compile = |json| {
            CompiledSchema::parse(json).map_err(|source| BrokerError::Avro {
                what: "ALeRCE's schema",
                source,
            })
        };
        Ok(Schemas {
            rubin_stamp: compile(RUBIN_STAMP)?,
            ztf_lc: compile(ZTF_LC)?,
        })
    }
}

/// The message as a tree: a container read with its schema, else schemaless by the topic.
pub(super) fn body(
    value: &[u8],
    topic: &str,
    schemas: &Schemas,
    seen: &SchemaCache,
    limits: &Limits,
) -> Result<Json, BrokerError> {
    if payload::is_container(value) {
        return payload::container(value, seen, limits);
    }
    if topic.contains("lc_classifier") {
        let what = "the lightcurve classification (ZTF's schemaless Avro)";
        payload::schemaless(value, &schemas.ztf_lc, limits, what, None)
    } else {
        let what = "the stamp classification (Rubin's schemaless Avro)";
        payload::schemaless(value, &schemas.rubin_stamp, limits, what, None)
    }
}

/// The classification in one of ALeRCE's messages.
pub(super) fn read(record: &Json, topic: &str) -> Result<Reading, BrokerError> {
    if let Some(lc) = at(record, &["lc_classification"]) {
        return lightcurve(record, lc, topic);
    }
    let Some(Json::Object(probabilities)) = at(record, &["probabilities"]) else {
        return Err(BrokerError::Missing(
            "probabilities (stamp) or lc_classification (lightcurve)".into(),
        ));
    };
    let object = id_text(at(record, &["diaObjectId"]))
        .or_else(|| id_text(at(record, &["objectId"])))
        .or_else(|| id_text(at(record, &["oid"])));
    let Some(object) = object else {
        if id_text(at(record, &["ssObjectId"])).is_some() {
            return Ok(Reading::Skipped(
                "a solar-system source, with no diaObject to annotate".into(),
            ));
        }
        return Err(BrokerError::Missing(
            "diaObjectId (LSST) or objectId (ZTF)".into(),
        ));
    };
    let probabilities = numbers(probabilities, "probabilities")?;
    let Some((class, _)) =
        probabilities
            .iter()
            .fold(None::<&(String, f64)>, |best, p| match best {
                Some(b) if b.1 >= p.1 => Some(b),
                _ => Some(p),
            })
    else {
        return Err(BrokerError::invalid("probabilities", "there are none"));
    };
    if STAMP_SKIPPED.contains(&class.as_str()) {
        return Ok(Reading::Skipped(format!(
            "the stamp classifier's class {class} is not a transient's"
        )));
    }
    let classdict: Map<String, Json> = probabilities
        .iter()
        .map(|(k, p)| (k.clone(), round3(*p)))
        .collect();
    Ok(Reading::Classified(Classified {
        object,
        classification: class.clone(),
        classdict,
        version: String::new(),
        explanation: format!("ALeRCE stamp classifier, {topic}"),
        annotator: "alerce_stamp",
    }))
}

fn lightcurve(record: &Json, lc: &Json, topic: &str) -> Result<Reading, BrokerError> {
    let Some(object) = id_text(at(record, &["oid"])) else {
        return Err(BrokerError::Missing("oid".into()));
    };
    let Some(class) = at(lc, &["class"]).and_then(Json::as_str) else {
        return Err(BrokerError::Missing("lc_classification.class".into()));
    };
    if LC_SKIPPED.contains(&class) {
        return Ok(Reading::Skipped(format!(
            "the lightcurve classifier's class {class} is not annotated"
        )));
    }
    let Some(Json::Object(probabilities)) = at(lc, &["probabilities"]) else {
        return Err(BrokerError::Missing(
            "lc_classification.probabilities".into(),
        ));
    };
    let classdict: Map<String, Json> = numbers(probabilities, "lc_classification.probabilities")?
        .into_iter()
        .filter(|(_, p)| *p > LC_KEPT_ABOVE)
        .map(|(k, p)| (k, round3(p)))
        .collect();
    Ok(Reading::Classified(Classified {
        object,
        classification: class.to_owned(),
        classdict,
        version: String::new(),
        explanation: format!("ALeRCE lightcurve classifier, {topic}"),
        annotator: "alerce_lc",
    }))
}

/// Each class and its probability, in the message's order; every one must be a number.
fn numbers(
    probabilities: &Map<String, Json>,
    field: &str,
) -> Result<Vec<(String, f64)>, BrokerError> {
    probabilities
        .iter()
        .map(|(k, v)| match v.as_f64() {
            Some(p) if p.is_finite() => Ok((k.clone(), p)),
            _ => Err(BrokerError::invalid(
                format!("{field}.{k}"),
                format!("{v} is not a probability"),
            )),
        })
        .collect()
}

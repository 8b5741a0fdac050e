//! Fink's alerts, as its livestream topics carry them (`fink_<filter>_lsst`,
//! `fink_<filter>_ztf`): the Kafka message key is the writer schema (Avro JSON) and the value
//! the alert as schemaless Avro, Spark's encoding of the alert's row with every field nullable.
//!
//! Learnt from astrolabsoftware/fink-broker at 373978b (2026-06-24):
//! `fink_broker/common/distribution_utils.py` (`get_kafka_df`: the key is the schema
//! "New (>= 2023/01): full schema", the value `to_avro` of the row), `bin/rubin/distribute.py`
//! (topics `fink_` + filter + `_lsst`), `fink_broker/rubin/science.py` (the `clf` struct:
//! `snnSnVsOthers_score`, `cats_class` from CATS's argmax mapped to 11 SN-like, 12 Fast,
//! 13 Long, 21 Periodic, 22 Non-periodic, -1 not processed, `cats_score`, `earlySNIa_score`,
//! ...); and astrolabsoftware/fink-client at bc34f73 (2026-03-24): `fink_client/consumer.py`
//! (the key parsed as the schema, the value read schemaless) and the LSST and ZTF schemas and
//! alerts in `datatest/` (`diaSource.diaObjectId`, 0 for a solar-system source with
//! `diaSource.ssObjectId`; ZTF's `objectId`, `finkclass` and top-level scores).
//!
//! As Lasair's `fix/fink` branch: an LSST alert is annotated with its CATS class name
//! (`Unknown` otherwise) and the `clf` struct as classdict. Lasair's ZTF-era consumer
//! annotated the topic's first 16 characters; here a ZTF alert gets Fink's own class
//! (`finkclass`) when it carries one, else the topic's filter name, with the classifiers'
//! scores the alert carries.

use lasair_alert::avro::{Limits, SchemaCache};
use serde_json::{Map, Value as Json};

use super::{at, id_text, payload, BrokerError, Classified, Reading};

/// CATS's broad classes, as Fink numbers them.
const CATS: [(i64, &str); 5] = [
    (11, "SN-like"),
    (12, "Fast"),
    (13, "Long"),
    (21, "Periodic"),
    (22, "NonPeriodic"),
];

/// The classifiers' outputs a ZTF alert from Fink carries at its top level.
const ZTF_SCORES: [&str; 9] = [
    "finkclass",
    "tnsclass",
    "cdsxmatch",
    "roid",
    "rf_snia_vs_nonia",
    "snn_snia_vs_nonia",
    "snn_sn_vs_all",
    "rf_kn_vs_nonkn",
    "mulens",
];

/// The alert: the value read with the schema in the key.
pub(super) fn body(
    key: Option<&[u8]>,
    value: &[u8],
    seen: &SchemaCache,
    limits: &Limits,
) -> Result<Json, BrokerError> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(BrokerError::Missing(
            "schema in the message key (Fink sends its writer schema there)".into(),
        ));
    };
    if !key.trim_ascii_start().starts_with(b"{") {
        let shown = String::from_utf8_lossy(&key[..key.len().min(40)]).into_owned();
        return Err(BrokerError::invalid(
            "the message key",
            format!("{shown:?} is not a schema (Fink's keys before 2023 named a version)"),
        ));
    }
    let schema = seen
        .get_or_compile(key)
        .map_err(|source| BrokerError::Avro {
            what: "the schema in the message key",
            source,
        })?;
    let what = "the alert, read with the key's schema";
    let mut keep = vec![
        "diaSource",
        "diaObject",
        "clf",
        "fink_science_version",
        "objectId",
    ];
    keep.extend(ZTF_SCORES);
    payload::schemaless(value, &schema, limits, what, Some(&keep))
}

/// The classification of one of Fink's alerts, from topic `topic`.
pub(super) fn read(alert: &Json, topic: &str) -> Result<Reading, BrokerError> {
    if at(alert, &["diaSource"]).is_some() {
        return lsst(alert, topic);
    }
    let Some(object) = id_text(at(alert, &["objectId"])) else {
        return Err(BrokerError::Missing(
            "diaSource.diaObjectId (LSST) or objectId (ZTF)".into(),
        ));
    };
    let tag = filter_name(topic);
    let classification = at(alert, &["finkclass"])
        .and_then(Json::as_str)
        .filter(|c| !c.trim().is_empty())
        .unwrap_or(tag)
        .to_owned();
    let mut classdict = Map::new();
    classdict.insert("topic".into(), topic.into());
    for name in ZTF_SCORES {
        if let Some(v) = at(alert, &[name]) {
            classdict.insert(name.into(), v.clone());
        }
    }
    Ok(Reading::Classified(Classified {
        object,
        classification,
        classdict,
        version: version(alert),
        explanation: format!("Fink, {topic}"),
        annotator: "fink",
    }))
}

fn lsst(alert: &Json, topic: &str) -> Result<Reading, BrokerError> {
    let object = id_text(at(alert, &["diaSource", "diaObjectId"]))
        .or_else(|| id_text(at(alert, &["diaObject", "diaObjectId"])));
    let Some(object) = object else {
        if id_text(at(alert, &["diaSource", "ssObjectId"])).is_some() {
            return Ok(Reading::Skipped(
                "a solar-system source, with no diaObject to annotate".into(),
            ));
        }
        return Err(BrokerError::Missing("diaSource.diaObjectId".into()));
    };
    let Some(Json::Object(clf)) = at(alert, &["clf"]) else {
        return Err(BrokerError::Missing("clf (Fink's classifiers)".into()));
    };
    let cats = clf.get("cats_class").and_then(Json::as_i64);
    let class = CATS
        .iter()
        .find(|(n, _)| Some(*n) == cats)
        .map_or("Unknown", |(_, name)| name);
    Ok(Reading::Classified(Classified {
        object,
        classification: class.into(),
        classdict: clf.clone(),
        version: version(alert),
        explanation: format!("Fink, CATS broad class, {topic}"),
        annotator: "fink",
    }))
}

/// The version of Fink's science modules that classified the alert.
fn version(alert: &Json) -> String {
    at(alert, &["fink_science_version"])
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A topic's filter: `fink_early_sn_candidates_ztf` -> `early_sn_candidates`.
fn filter_name(topic: &str) -> &str {
    let t = topic.strip_prefix("fink_").unwrap_or(topic);
    t.strip_suffix("_ztf")
        .or_else(|| t.strip_suffix("_lsst"))
        .unwrap_or(t)
}

//! AMPEL's LSST reports, published on SCiMMA's Hopskotch (`ampel.lsst.extragalactic-transients`,
//! `ampel.lsst.extragalactic-infants`).
//!
//! Learnt from AmpelAstro/Ampel-HU-astro at 1b41bce (2026-07-23): `ampel/contrib/hu/model/
//! LSSTReport.py` at 505a63e (the report: `object.id`, the diaObjectId; `classification`, a
//! list of classifiers each with `models`, each with `probabilities` by class, written
//! `P(<class>)` by `t2/T2ClassificationReport.py`; `features`, a list of named feature sets)
//! and `examples/vroprep_*.yml` (which unit publishes to which topic); from
//! AmpelAstro/Ampel-kafka at 64a635d (2026-07-22): `ampel/kafka/HopskotchAdapter.py` (each
//! report is written as hop-client's `AvroBlob`, one record, with a schema generated from the
//! model); and from scimma/hop-client at 660af42: `hop/models.py` (`AvroBlob` is an Avro
//! object container, `JSONBlob` plain JSON) and `hop/io.py` (the older JSON envelope
//! `{"format", "content"}`). A report is read from a container or from JSON alike.
//!
//! As Lasair's consumer: an infant (a topic named `...infants`) is classified `infant` with
//! its first feature set as the classdict; otherwise the first model's classes above 0.01 are
//! the classdict and the most probable is the classification (none above 0.01: nothing to
//! annotate). Class names lose their `P(...)` wrapping (Lasair cut two characters off each
//! end of every name, whatever its form).

use lasair_alert::avro::{Limits, SchemaCache};
use serde_json::{Map, Value as Json};

use super::{at, id_text, payload, BrokerError, Classified, Reading};

/// Classes at or below this probability are left out.
const KEPT_ABOVE: f64 = 0.01;

/// The report as a tree: an Avro container (hop-client's AvroBlob) or JSON.
pub(super) fn body(value: &[u8], seen: &SchemaCache, limits: &Limits) -> Result<Json, BrokerError> {
    if payload::is_container(value) {
        payload::container(value, seen, limits)
    } else {
        payload::json(value)
    }
}

/// The classification in one of AMPEL's reports, from topic `topic`.
pub(super) fn read(report: &Json, topic: &str) -> Result<Reading, BrokerError> {
    let Some(object) = id_text(at(report, &["object", "id"])) else {
        return Err(BrokerError::Missing("object.id (the diaObjectId)".into()));
    };
    if topic.contains("infant") {
        return infant(report, object, topic);
    }
    let classifier = at(report, &["classification"])
        .and_then(|c| c.get(0))
        .ok_or_else(|| BrokerError::Missing("classification[0]".into()))?;
    let Some(Json::Object(probabilities)) = classifier
        .get("models")
        .and_then(|m| m.get(0))
        .and_then(|m| at(m, &["probabilities"]))
    else {
        return Err(BrokerError::Missing(
            "classification[0].models[0].probabilities".into(),
        ));
    };
    let mut kept: Vec<(String, f64)> = Vec::new();
    for (name, p) in probabilities {
        let Some(p) = p.as_f64().filter(|p| p.is_finite()) else {
            return Err(BrokerError::invalid(
                format!("classification[0].models[0].probabilities.{name}"),
                format!("{p} is not a probability"),
            ));
        };
        if p > KEPT_ABOVE {
            kept.push((class_name(name).to_owned(), p));
        }
    }
    kept.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some((top, _)) = kept.first() else {
        return Ok(Reading::Skipped(format!("no class above {KEPT_ABOVE}")));
    };
    let name = classifier
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or("AMPEL");
    Ok(Reading::Classified(Classified {
        object,
        classification: top.clone(),
        classdict: kept
            .iter()
            .map(|(k, p)| (k.clone(), Json::from(*p)))
            .collect(),
        version: text(classifier.get("version")),
        explanation: format!("AMPEL {name}, {topic}"),
        annotator: "ampel",
    }))
}

fn infant(report: &Json, object: String, topic: &str) -> Result<Reading, BrokerError> {
    let first = at(report, &["features"]).and_then(|f| f.get(0));
    let Some(Json::Object(features)) = first.and_then(|f| at(f, &["features"])) else {
        return Err(BrokerError::Missing("features[0].features".into()));
    };
    let features: Map<String, Json> = features.clone();
    Ok(Reading::Classified(Classified {
        object,
        classification: "infant".into(),
        classdict: features,
        version: text(first.and_then(|f| f.get("version"))),
        explanation: format!("AMPEL infant, {topic}"),
        annotator: "ampel_infant",
    }))
}

/// `P(SNIa)` -> `SNIa`; any other name as it is.
fn class_name(name: &str) -> &str {
    name.strip_prefix("P(")
        .and_then(|n| n.strip_suffix(')'))
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
}

fn text(v: Option<&Json>) -> String {
    v.and_then(Json::as_str).unwrap_or_default().to_owned()
}

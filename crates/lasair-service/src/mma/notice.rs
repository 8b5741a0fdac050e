//! IGWN alert notices (GCN Kafka topic `igwn.gwalert`, JSON): `superevent_id`, `alert_type`,
//! `time_created`, and `event` with the event's `time`, `classification`, `far` and its
//! multi-order sky map in base64; a RETRACTION has no event. Every field is checked and a
//! notice that is not one is refused with the field named.

use std::collections::BTreeMap;

use base64::Engine;
use lasair_db::Db;
use lasair_sky::skymap::Skymap;
use serde::Serialize;
use serde_json::Value as Json;

use super::{check_id, register, retract, version_of, Event, Registration, Rule};
use crate::ServiceError;

/// What a notice asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A map to register: the event, and the map file's bytes.
    Map { event: Event, skymap: Vec<u8> },
    /// The superevent was retracted: its maps match nothing more.
    Retraction { other_id: String },
    /// A notice with no map (an early warning without one): nothing to do.
    NoMap {
        other_id: String,
        alert_type: String,
    },
}

/// Reads a notice; `origin` names where it came from in errors.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Notice, ServiceError> {
    let what = format!("IGWN notice {origin}");
    let bad = |why: String| ServiceError::invalid(&what, why);
    let json: Json = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let text = |v: &Json, field: &str| -> Result<String, ServiceError> {
        v.get(field)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("no text {field:?}")))
    };
    let other_id = text(&json, "superevent_id")?;
    check_id(&other_id).map_err(|e| bad(e.to_string()))?;
    let alert_type = text(&json, "alert_type")?.to_ascii_uppercase();
    if alert_type == "RETRACTION" {
        return Ok(Notice::Retraction { other_id });
    }
    let created = text(&json, "time_created")?;
    let created = lasair_alert::time::mjd_of_utc(&created).ok_or_else(|| {
        bad(format!(
            "time_created {created:?} is not an ISO 8601 UTC time"
        ))
    })?;
    let Some(event) = json.get("event").filter(|e| !e.is_null()) else {
        return Ok(Notice::NoMap {
            other_id,
            alert_type,
        });
    };
    let Some(skymap) = event.get("skymap").and_then(Json::as_str) else {
        return Ok(Notice::NoMap {
            other_id,
            alert_type,
        });
    };
    let skymap = base64::engine::general_purpose::STANDARD
        .decode(skymap.trim())
        .map_err(|e| bad(format!("event.skymap is not base64: {e}")))?;
    let time = text(event, "time").map_err(|_| bad("no text \"event.time\"".into()))?;
    let mjd = lasair_alert::time::mjd_of_utc(&time)
        .ok_or_else(|| bad(format!("event.time {time:?} is not an ISO 8601 UTC time")))?;
    let classification = classification(event.get("classification"))
        .map_err(|why| bad(format!("event.classification: {why}")))?;
    let far = match event.get("far") {
        None | Some(Json::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .ok_or_else(|| bad(format!("event.far {v} is not a rate")))?,
        ),
    };
    let more_info = json
        .get("urls")
        .and_then(|u| u.get("gracedb"))
        .and_then(Json::as_str)
        .map(str::to_owned);
    Ok(Notice::Map {
        event: Event {
            other_id,
            version: version_of(created, &alert_type),
            alert_type,
            mjd,
            classification,
            far,
            more_info,
        },
        skymap,
    })
}

/// What a notice did, as `lasair-sync gw` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Applied {
    /// Its map was registered (or refused by the rule: see `kept`).
    Registered(Registration),
    /// The event was retracted: `maps` of its stored versions stopped matching.
    Retracted { name: String, maps: u64 },
    /// It had no map.
    Skipped { name: String, alert_type: String },
}

/// Applies a notice: its map registered under `rule`, a retraction recorded, a notice
/// without a map skipped. A notice or map that is not one is [`ServiceError::Invalid`] (skip
/// it and go on); any other error is the database's (stop, and read it again later).
pub fn apply(
    db: &mut Db,
    bytes: &[u8],
    origin: &str,
    rule: &Rule,
) -> Result<Applied, ServiceError> {
    match parse(bytes, origin)? {
        Notice::Map { event, skymap } => {
            let what = format!("sky map of {} ({origin})", event.other_id);
            let map = Skymap::from_bytes(&skymap, &what).map_err(|e| {
                ServiceError::invalid(format!("IGWN notice {origin}"), e.to_string())
            })?;
            Ok(Applied::Registered(register(db, &map, &event, rule)?))
        }
        Notice::Retraction { other_id } => {
            let maps = retract(db, &other_id)?;
            Ok(Applied::Retracted {
                name: other_id,
                maps,
            })
        }
        Notice::NoMap {
            other_id,
            alert_type,
        } => Ok(Applied::Skipped {
            name: other_id,
            alert_type,
        }),
    }
}

/// `{"BNS": 0.9, ...}`: probabilities between 0 and 1 (none for a burst, which has none).
fn classification(value: Option<&Json>) -> Result<BTreeMap<String, f64>, String> {
    let Some(map) = value.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = map.as_object().ok_or("not an object")?;
    map.iter()
        .map(|(class, p)| match p.as_f64() {
            Some(p) if (0.0..=1.0).contains(&p) => Ok((class.clone(), p)),
            _ => Err(format!("{class}: {p} is not a probability")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(event: &str) -> String {
        format!(
            r#"{{"alert_type": "PRELIMINARY", "time_created": "2018-11-01T22:34:49Z",
               "superevent_id": "MS181101ab", "urls": {{"gracedb": "https://example.org/MS181101ab"}},
               "event": {event}, "external_coinc": null}}"#
        )
    }

    #[test]
    fn a_preliminary_notice_gives_its_event_and_map() {
        let event = r#"{"time": "2018-11-01T22:22:46.654Z", "far": 9.11e-14,
            "classification": {"BNS": 0.95, "NSBH": 0.01, "BBH": 0.03, "Terrestrial": 0.01},
            "skymap": "U0lNUExF"}"#;
        let Notice::Map { event, skymap } = parse(notice(event).as_bytes(), "t").unwrap() else {
            panic!("a map");
        };
        assert_eq!(skymap, b"SIMPLE");
        assert_eq!(event.other_id, "MS181101ab");
        assert_eq!(event.version, "20181101T223449_PRELIMINARY");
        assert_eq!(event.likeliest(), Some(("BNS", 0.95)));
        assert_eq!(event.far, Some(9.11e-14));
        assert!(
            (event.mjd - 58_423.932_484_421).abs() < 1e-8,
            "{}",
            event.mjd
        );
        assert_eq!(
            event.more_info.as_deref(),
            Some("https://example.org/MS181101ab")
        );
    }

    #[test]
    fn retractions_and_notices_without_a_map() {
        let r = br#"{"alert_type": "RETRACTION", "time_created": "2018-11-01T23:00:00Z",
                     "superevent_id": "MS181101ab", "event": null}"#;
        assert_eq!(
            parse(r, "t").unwrap(),
            Notice::Retraction {
                other_id: "MS181101ab".into()
            }
        );
        let early = notice(r#"{"time": "2018-11-01T22:22:46Z", "skymap": null}"#);
        assert!(matches!(
            parse(early.as_bytes(), "t").unwrap(),
            Notice::NoMap { .. }
        ));
    }

    #[test]
    fn bad_notices_name_the_field() {
        let err = |text: &str| parse(text.as_bytes(), "topic:0@7").unwrap_err().to_string();
        assert!(err("{").contains("topic:0@7"));
        assert!(err(r#"{"alert_type": "UPDATE"}"#).contains("superevent_id"));
        let bad_id = r#"{"superevent_id": "../etc", "alert_type": "UPDATE"}"#;
        assert!(err(bad_id).contains("letters, digits"));
        let e = notice(r#"{"time": "yesterday", "skymap": "U0lNUExF"}"#);
        assert!(err(&e).contains("event.time"), "{}", err(&e));
        let e = notice(r#"{"time": "2018-11-01T22:22:46Z", "skymap": "@@@"}"#);
        assert!(err(&e).contains("base64"));
        let e = notice(
            r#"{"time": "2018-11-01T22:22:46Z", "skymap": "U0lNUExF", "classification": {"BNS": 2}}"#,
        );
        assert!(err(&e).contains("BNS"), "{}", err(&e));
    }
}

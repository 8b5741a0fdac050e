//! Reading back the JSON alert line that `lasair-ingest` writes (see [`crate::AlertJson`]),
//! so every later stage (Sherlock, the filter's features) works on the same [`Alert`] the
//! decoder made, and keeps the keys earlier stages added (`sherlock`, `cutouts`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::avro::{Datum, Record, RecordNode};
use crate::model::{Alert, ObjectId, Point, PointKind, Survey};

/// An alert line read back: the alert (no cutout bytes) and every other top-level key of
/// the line, such as `cutouts` (where ingest put them) and `sherlock` (its context).
#[derive(Debug, Clone)]
pub struct AlertLine {
    pub alert: Alert,
    pub extra: Map<String, Value>,
}

/// Why a line is not an alert; the message names the key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonAlertError {
    #[error("not JSON: {0}")]
    Syntax(String),
    #[error("not an alert: {0}")]
    Shape(String),
}

/// Reads one JSON alert line (without its newline).
pub fn read_alert_line(line: &[u8]) -> Result<AlertLine, JsonAlertError> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| JsonAlertError::Syntax(e.to_string()))?;
    let Value::Object(mut top) = value else {
        return Err(shape("the line is not a JSON object"));
    };
    let mut records = Records::default();
    let survey: Survey = text(&top, "survey")?
        .parse()
        .map_err(|e: String| JsonAlertError::Shape(e))?;
    let lightcurve = match top.remove("lightcurve") {
        Some(Value::Array(points)) => points
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                point(p, &mut records).map_err(|e| shape(&format!("lightcurve[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(shape("`lightcurve` is not an array")),
        None => Vec::new(),
    };
    let envelope = match top.remove("alert") {
        Some(Value::Object(fields)) => records.record("alert", fields),
        _ => records.record("alert", Map::new()),
    };
    top.remove("detection");
    let alert = Alert {
        survey,
        object_id: ObjectId(text(&top, "objectId")?.to_owned()),
        source_id: top
            .get("sourceId")
            .and_then(Value::as_i64)
            .ok_or_else(|| shape("no integer `sourceId`"))?,
        ra: number(&top, "ra")?,
        dec: number(&top, "dec")?,
        mjd: number(&top, "mjd")?,
        band: text(&top, "band").unwrap_or_default().to_owned(),
        solar_system: top
            .get("solarSystem")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ss_name: top.get("ssName").and_then(Value::as_str).map(str::to_owned),
        envelope,
        lightcurve,
        cutouts: Vec::new(),
    };
    for key in [
        "survey",
        "objectId",
        "sourceId",
        "ra",
        "dec",
        "mjd",
        "band",
        "solarSystem",
        "ssName",
    ] {
        top.remove(key);
    }
    Ok(AlertLine { alert, extra: top })
}

fn shape(what: &str) -> JsonAlertError {
    JsonAlertError::Shape(what.to_owned())
}

fn text<'a>(top: &'a Map<String, Value>, key: &str) -> Result<&'a str, JsonAlertError> {
    top.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| shape(&format!("no string `{key}`")))
}

fn number(top: &Map<String, Value>, key: &str) -> Result<f64, JsonAlertError> {
    top.get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
        .ok_or_else(|| shape(&format!("no number `{key}`")))
}

fn point(value: Value, records: &mut Records) -> Result<Point, String> {
    let Value::Object(mut p) = value else {
        return Err("not an object".into());
    };
    let kind = match p.get("kind").and_then(Value::as_str) {
        Some(k) => PointKind::ALL
            .into_iter()
            .find(|c| c.as_str() == k)
            .ok_or_else(|| format!("unknown kind {k:?}"))?,
        None => return Err("no `kind`".into()),
    };
    let real = |p: &Map<String, Value>, k: &str| p.get(k).and_then(Value::as_f64);
    let fields = match p.remove("fields") {
        Some(Value::Object(f)) => records.record("point", f),
        _ => records.record("point", Map::new()),
    };
    Ok(Point {
        kind,
        id: p
            .get("id")
            .and_then(Value::as_i64)
            .ok_or("no integer `id`")?,
        mjd: real(&p, "mjd").ok_or("no number `mjd`")?,
        band: p
            .get("band")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        mag: real(&p, "mag"),
        mag_err: real(&p, "magErr"),
        flux: real(&p, "flux"),
        flux_err: real(&p, "fluxErr"),
        rank: 0,
        fields,
    })
}

/// Record types met in one line, by field-name list: the points of an alert share a few.
#[derive(Default)]
struct Records {
    types: HashMap<Vec<String>, Arc<RecordNode>>,
}

impl Records {
    fn record(&mut self, name: &str, fields: Map<String, Value>) -> Record {
        let names: Vec<String> = fields.keys().cloned().collect();
        let schema = match self.types.get(&names) {
            Some(s) => s.clone(),
            None => {
                let node = RecordNode::dynamic(
                    name,
                    names.iter().map(|n| Arc::from(n.as_str())).collect(),
                );
                self.types.insert(names, node.clone());
                node
            }
        };
        let values = fields.into_iter().map(|(_, v)| self.datum(v)).collect();
        Record { schema, values }
    }

    fn datum(&mut self, value: Value) -> Datum {
        match value {
            Value::Null => Datum::Null,
            Value::Bool(b) => Datum::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Datum::Long(i),
                None => Datum::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Datum::String(s),
            Value::Array(items) => Datum::Array(items.into_iter().map(|v| self.datum(v)).collect()),
            Value::Object(fields) => Datum::Record(self.record("record", fields)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_an_alert() {
        assert!(matches!(
            read_alert_line(b"{not json"),
            Err(JsonAlertError::Syntax(_))
        ));
        let err = read_alert_line(br#"{"survey":"ztf","objectId":"ZTF1"}"#).unwrap_err();
        assert!(err.to_string().contains("sourceId"), "{err}");
        let err = read_alert_line(br#"{"survey":"hsc"}"#).unwrap_err();
        assert!(err.to_string().contains("hsc"), "{err}");
        let err = read_alert_line(b"[1,2]").unwrap_err();
        assert!(err.to_string().contains("object"), "{err}");
    }
}

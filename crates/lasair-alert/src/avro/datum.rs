//! Decoded Avro values. Record field names live once in the compiled schema, not per value.

use std::sync::Arc;

use super::RecordNode;

/// One decoded value. A union decodes to its chosen branch; `int` widens to `Long`.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    Bool(bool),
    Long(i64),
    Float(f32),
    Double(f64),
    /// A view into the alert's own bytes where the decoder shared them, else its own copy.
    Bytes(bytes::Bytes),
    String(String),
    Enum(Arc<str>),
    Array(Vec<Datum>),
    Map(Vec<(String, Datum)>),
    Record(Record),
}

/// A decoded record: its schema node and one value per field, in schema order.
#[derive(Debug, Clone)]
pub struct Record {
    pub schema: Arc<RecordNode>,
    pub values: Vec<Datum>,
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.schema.field_names == other.schema.field_names && self.values == other.values
    }
}

impl Record {
    /// The value of a field, `None` when the record has no such field.
    pub fn get(&self, field: &str) -> Option<&Datum> {
        self.schema.position(field).and_then(|i| self.values.get(i))
    }

    /// Removes a field's value (leaving `Null`) and returns it; used to take cutouts out.
    pub fn take(&mut self, field: &str) -> Option<Datum> {
        let i = self.schema.position(field)?;
        self.values
            .get_mut(i)
            .map(|v| std::mem::replace(v, Datum::Null))
    }

    pub fn f64(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(Datum::as_f64)
    }

    pub fn i64(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(Datum::as_i64)
    }

    pub fn str(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Datum::as_str)
    }

    pub fn record(&self, field: &str) -> Option<&Record> {
        match self.get(field)? {
            Datum::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn array(&self, field: &str) -> Option<&[Datum]> {
        match self.get(field)? {
            Datum::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Field names and values, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Datum)> {
        self.schema
            .field_names
            .iter()
            .map(|n| &**n)
            .zip(self.values.iter())
    }
}

impl Datum {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Datum::Double(v) => Some(v),
            Datum::Float(v) => Some(f64::from(v)),
            Datum::Long(v) => Some(v as f64),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Datum::Long(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Datum::String(s) => Some(s),
            Datum::Enum(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Datum::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }
}

/// JSON text, written by hand: alerts are serialized millions of times a night and most of
/// their bytes are field names known in advance (pre-rendered in the schema) and numbers.
impl Datum {
    /// Appends the value as JSON. Bytes become `null` (cutouts are taken out of alerts before
    /// they are written, and JSON has no bytes); NaN and infinities become `null`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Datum::Null | Datum::Bytes(_) => out.extend_from_slice(b"null"),
            Datum::Bool(true) => out.extend_from_slice(b"true"),
            Datum::Bool(false) => out.extend_from_slice(b"false"),
            Datum::Long(v) => write_scalar(out, v),
            Datum::Float(v) if v.is_finite() => write_scalar(out, v),
            Datum::Double(v) if v.is_finite() => write_scalar(out, v),
            Datum::Float(_) | Datum::Double(_) => out.extend_from_slice(b"null"),
            Datum::String(v) => write_scalar(out, v.as_str()),
            Datum::Enum(v) => write_scalar(out, &**v),
            Datum::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Datum::Map(entries) => {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_scalar(out, k.as_str());
                    out.push(b':');
                    v.write_json(out);
                }
                out.push(b'}');
            }
            Datum::Record(r) => r.write_json(out),
        }
    }
}

impl Record {
    /// Appends the record as a JSON object, fields in schema order.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_fields(out, |_| true);
    }

    /// Appends the record as a JSON object without its null fields.
    pub fn write_json_non_null(&self, out: &mut Vec<u8>) {
        self.write_fields(out, |v| !v.is_null());
    }

    /// The record as a JSON object.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(64 * self.values.len());
        self.write_json(&mut out);
        // Every byte came from JSON writers of valid UTF-8, so this never replaces anything.
        String::from_utf8_lossy(&out).into_owned()
    }

    fn write_fields(&self, out: &mut Vec<u8>, keep: impl Fn(&Datum) -> bool) {
        out.push(b'{');
        let mut first = true;
        for (key, value) in self.schema.json_keys.iter().zip(&self.values) {
            if !keep(value) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            value.write_json(out);
        }
        out.push(b'}');
    }
}

/// A number or string through serde_json, which formats and escapes them exactly.
pub(crate) fn write_scalar<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing numbers and strings into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::CompiledSchema;

    #[test]
    fn json_matches_serde_json_for_every_kind_of_value() {
        let schema = CompiledSchema::parse(
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":"long"},
            {"name":"b","type":"string"},{"name":"c","type":"float"},{"name":"d","type":"double"},
            {"name":"e","type":["null","boolean"]},{"name":"f","type":{"type":"array","items":"int"}},
            {"name":"g","type":{"type":"map","values":"double"}},{"name":"h","type":"bytes"}]}"#,
        )
        .expect("schema");
        let node = schema.root_record().expect("record").clone();
        let rec = Record {
            schema: node,
            values: vec![
                Datum::Long(-1_234_567_890_123),
                Datum::String("quote \" and \\ and \u{1} é".into()),
                Datum::Float(18.123_45),
                Datum::Double(f64::NAN),
                Datum::Null,
                Datum::Array(vec![Datum::Long(1), Datum::Long(2)]),
                Datum::Map(vec![("k\"ey".into(), Datum::Double(2.5e-10))]),
                Datum::Bytes(bytes::Bytes::from_static(&[1, 2, 3])),
            ],
        };
        let parsed: serde_json::Value = serde_json::from_str(&rec.to_json()).expect("valid JSON");
        // A float is written in its shortest f32 form, so it reads back as 18.12345 exactly.
        let expected = serde_json::json!({
            "a": -1_234_567_890_123_i64, "b": "quote \" and \\ and \u{1} é", "c": 18.123_45,
            "d": null, "e": null, "f": [1, 2], "g": {"k\"ey": 2.5e-10}, "h": null
        });
        assert_eq!(parsed, expected);
        let mut non_null = Vec::new();
        rec.write_json_non_null(&mut non_null);
        let parsed: serde_json::Value = serde_json::from_slice(&non_null).expect("valid JSON");
        // Only `e` is a null datum; NaN and bytes are values that JSON shows as null.
        assert_eq!(parsed.as_object().map(|o| o.len()), Some(7));
        assert!(parsed.get("e").is_none());
    }
}

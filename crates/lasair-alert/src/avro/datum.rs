//! Decoded Avro values. Record field names live once in the compiled schema, not per value.

use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::RecordNode;

/// One decoded value. A union decodes to its chosen branch; `int` widens to `Long`.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    Bool(bool),
    Long(i64),
    Float(f32),
    Double(f64),
    Bytes(Vec<u8>),
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

/// Serializes as JSON would show the Avro value; bytes become `null` (cutouts are taken out
/// of alerts before they are written, and JSON has no bytes).
impl Serialize for Datum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Datum::Null | Datum::Bytes(_) => s.serialize_unit(),
            Datum::Bool(b) => s.serialize_bool(*b),
            Datum::Long(v) => s.serialize_i64(*v),
            Datum::Float(v) if v.is_finite() => s.serialize_f32(*v),
            Datum::Double(v) if v.is_finite() => s.serialize_f64(*v),
            Datum::Float(_) | Datum::Double(_) => s.serialize_unit(),
            Datum::String(v) => s.serialize_str(v),
            Datum::Enum(v) => s.serialize_str(v),
            Datum::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Datum::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Datum::Record(r) => r.serialize(s),
        }
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.values.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

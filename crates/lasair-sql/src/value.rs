//! The values of the catalogue's columns and of the rows that cross the database boundary, the same for both backends so a query's
//! answers compare equal whichever database gave them.

use serde::Serialize;

/// One SQL value. Serialises as plain JSON (`null`, a number, a string).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// A string (blobs are read as lossy UTF-8: the catalogue has none).
    Text(String),
}

impl Value {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number, integer or real.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Real(r) => Some(*r),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// As a person or a CSV cell reads it: NULL is empty.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The answer to a query: the column names and the rows, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rows {
    /// The output columns' names.
    pub columns: Vec<String>,
    /// The rows, each as wide as `columns`.
    pub rows: Vec<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_display_as_cells_and_convert() {
        let cells: Vec<String> = [Value::Null, 3.into(), 1.5.into(), "ZTF1".into()]
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(cells, ["", "3", "1.5", "ZTF1"]);
        assert_eq!(Value::Int(3).as_f64(), Some(3.0));
        assert_eq!(Value::Real(3.0).as_i64(), None);
        assert_eq!(Value::from("x").as_str(), Some("x"));
    }

    #[test]
    fn values_serialise_as_plain_json() {
        let row = vec![Value::Null, 3.into(), 1.5.into(), "ZTF1".into()];
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"[null,3,1.5,"ZTF1"]"#);
    }
}

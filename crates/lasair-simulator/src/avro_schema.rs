//! Avro records declared once in Rust: [`avro_record!`] makes the struct serde writes and the
//! field list the schema is built from, in the same order, so the two cannot drift apart
//! (apache-avro's serde writer emits fields in the order it receives them, unchecked).
//!
//! Field types are written compactly: `"float?"` is `["null", "float"]` with default null,
//! `"[cutout]"` an array, and a record's name inlines its definition the first time it is
//! used and refers to it by name afterwards. `"timestamp-micros"` is a long with that logical
//! type; a schema may also name its own aliases (a type that differs between two versions of
//! one schema, such as a count Rubin made non-null), resolved before anything else.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::error::SimError;

/// A record's name and its fields with their compact types, in schema order.
pub type Fields = &'static [(&'static str, &'static str)];

pub trait AvroRecord {
    const NAME: &'static str;
    const FIELDS: Fields;
}

/// Declares a record struct whose field names are the Avro names, and its schema fields.
macro_rules! avro_record {
    ($(#[$meta:meta])* $vis:vis struct $name:ident $(<$lt:lifetime>)? = $avro:literal {
        $($(#[$fmeta:meta])* $field:ident : $ty:ty = $fty:literal),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Serialize)]
        #[allow(non_snake_case)]
        $vis struct $name $(<$lt>)? { $($(#[$fmeta])* pub $field: $ty,)* }

        impl $(<$lt>)? $crate::avro_schema::AvroRecord for $name $(<$lt>)? {
            const NAME: &'static str = $avro;
            const FIELDS: $crate::avro_schema::Fields = &[$((stringify!($field), $fty)),*];
        }
    };
}
pub(crate) use avro_record;

/// A record definition the schema builder can inline.
#[derive(Debug, Clone, Copy)]
pub struct RecordDef {
    pub name: &'static str,
    pub fields: Fields,
}

pub fn def<R: AvroRecord>() -> RecordDef {
    RecordDef {
        name: R::NAME,
        fields: R::FIELDS,
    }
}

/// The schema of `root` in `namespace`, with every record it uses among `defs` inlined once.
pub fn schema(
    namespace: &str,
    doc: &str,
    root: RecordDef,
    defs: &[RecordDef],
) -> Result<Value, SimError> {
    schema_with(namespace, doc, root, defs, &[])
}

/// [`schema`], with `aliases` naming compact types (`("count", "int?")`): a field declared as
/// an alias takes the type it stands for.
pub fn schema_with(
    namespace: &str,
    doc: &str,
    root: RecordDef,
    defs: &[RecordDef],
    aliases: &[(&'static str, &'static str)],
) -> Result<Value, SimError> {
    let mut builder = Builder {
        defs,
        aliases,
        defined: HashSet::from([root.name]),
    };
    let mut record = builder.record(root)?;
    record.insert("namespace".into(), json!(namespace));
    record.insert("doc".into(), json!(doc));
    Ok(Value::Object(record))
}

/// A schema document as published (compact JSON) and parsed for the encoder.
pub fn compile(doc: &Value) -> Result<(String, apache_avro::Schema), SimError> {
    let json = doc.to_string();
    let schema =
        apache_avro::Schema::parse_str(&json).map_err(|e| SimError::Schema(e.to_string()))?;
    Ok((json, schema))
}

struct Builder<'d> {
    defs: &'d [RecordDef],
    aliases: &'d [(&'static str, &'static str)],
    defined: HashSet<&'static str>,
}

impl Builder<'_> {
    fn record(&mut self, def: RecordDef) -> Result<Map<String, Value>, SimError> {
        let fields = def
            .fields
            .iter()
            .map(|&(name, ty)| {
                let ty = self.resolve(ty);
                let mut field = json!({ "name": name, "type": self.ty(ty)? });
                if ty.ends_with('?') {
                    field["default"] = Value::Null;
                }
                Ok(field)
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        let mut out = Map::new();
        out.insert("type".into(), json!("record"));
        out.insert("name".into(), json!(def.name));
        out.insert("fields".into(), Value::Array(fields));
        Ok(out)
    }

    /// The compact type an alias stands for; any other type as it is.
    fn resolve(&self, ty: &'static str) -> &'static str {
        self.aliases
            .iter()
            .find(|(alias, _)| *alias == ty)
            .map_or(ty, |&(_, to)| to)
    }

    fn ty(&mut self, ty: &'static str) -> Result<Value, SimError> {
        let ty = self.resolve(ty);
        if let Some(inner) = ty.strip_suffix('?') {
            return Ok(json!(["null", self.ty(inner)?]));
        }
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return Ok(json!({ "type": "array", "items": self.ty(inner)? }));
        }
        match ty {
            "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string" => {
                Ok(json!(ty))
            }
            "timestamp-micros" => Ok(json!({ "type": "long", "logicalType": "timestamp-micros" })),
            name if self.defined.contains(name) => Ok(json!(name)),
            name => {
                let def = self.defs.iter().find(|d| d.name == name).copied();
                let def = def.ok_or_else(|| SimError::Schema(format!("no record named {name}")))?;
                self.defined.insert(def.name);
                Ok(Value::Object(self.record(def)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    avro_record! {
        struct Inner = "inner" { x: f32 = "float" }
    }
    avro_record! {
        struct Outer<'a> = "outer" {
            name: &'a str = "string",
            first: Option<Inner> = "inner?",
            rest: Option<Vec<Inner>> = "[inner]?",
        }
    }

    #[test]
    fn records_inline_once_then_refer_by_name() -> Result<(), Box<dyn std::error::Error>> {
        let s = schema("test.ns", "doc", def::<Outer>(), &[def::<Inner>()])?;
        let text = s.to_string();
        let parsed = apache_avro::Schema::parse_str(&text)?;
        assert_eq!(s["fields"][1]["type"][1]["name"], "inner");
        assert_eq!(s["fields"][2]["type"][1]["items"], "inner");
        assert_eq!(s["fields"][1]["default"], Value::Null);
        let value = Outer {
            name: "a",
            first: Some(Inner { x: 1.5 }),
            rest: None,
        };
        let bytes = apache_avro::to_avro_datum(&parsed, apache_avro::to_value(&value)?)?;
        let back = apache_avro::from_avro_datum(&parsed, &mut bytes.as_slice(), None)?;
        assert!(format!("{back:?}").contains("1.5"));
        Ok(())
    }

    #[test]
    fn aliases_and_timestamps_resolve() -> Result<(), Box<dyn std::error::Error>> {
        let def = RecordDef {
            name: "r",
            fields: &[("n", "count"), ("t", "timestamp-micros?")],
        };
        let nullable = schema_with("n", "d", def, &[], &[("count", "int?")])?;
        assert_eq!(nullable["fields"][0]["type"], json!(["null", "int"]));
        assert_eq!(nullable["fields"][0]["default"], Value::Null);
        let plain = schema_with("n", "d", def, &[], &[("count", "int")])?;
        assert_eq!(plain["fields"][0]["type"], json!("int"));
        assert!(plain["fields"][0].get("default").is_none());
        assert_eq!(
            plain["fields"][1]["type"][1]["logicalType"],
            "timestamp-micros"
        );
        apache_avro::Schema::parse_str(&plain.to_string())?;
        Ok(())
    }

    #[test]
    fn unknown_records_are_an_error() {
        let bad = RecordDef {
            name: "a",
            fields: &[("b", "missing")],
        };
        assert!(schema("n", "d", bad, &[]).is_err());
    }
}

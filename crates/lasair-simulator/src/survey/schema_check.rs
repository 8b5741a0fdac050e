//! Test support: checks a simulated schema against the survey's real one, record by record:
//! every field is there, in the real order, with the same primitive type.

use std::error::Error;

use serde_json::Value;

/// Where a survey's real schema lives (outside the repo) and what to call it in messages.
pub struct RealSchema {
    /// The directory of its `.avsc` files, relative to `../shared/data`.
    pub dir: &'static str,
    /// The file defining a record, from the record's name.
    pub file: fn(&str) -> String,
    /// The schema's name ("ZTF 4.02") and its publisher's possessive ("ZTF's").
    pub name: &'static str,
    pub publisher: &'static str,
}

/// Asserts that every field of every record of `ours` is in `real`, in order and with the
/// same primitive type; skips, saying so, when the real schema is not there.
pub fn assert_matches(ours: &Value, real: &RealSchema) -> Result<(), Box<dyn Error>> {
    let Some(dir) = lasair_testdata::shared_data(real.dir) else {
        return Ok(());
    };
    let mut records = Vec::new();
    records_of(ours, &mut records);
    for (record, fields) in records {
        let file = dir.join((real.file)(&record));
        let real_record: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        let real_fields = real_record["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut last: Option<usize> = None;
        for (field, ty) in fields {
            let at = real_fields
                .iter()
                .position(|r| r["name"] == field.as_str())
                .ok_or_else(|| format!("{record}.{field} is not in {}", real.name))?;
            assert!(
                last.is_none_or(|prev| at > prev),
                "{record}.{field} is out of {} order",
                real.publisher
            );
            last = Some(at);
            if let Some(ours) = primitive(&ty) {
                assert_eq!(
                    Some(ours),
                    primitive(&real_fields[at]["type"]),
                    "{record}.{field}"
                );
            }
        }
    }
    Ok(())
}

/// Asserts that every field of every record of `real` that `ours` uses is in `ours`: with
/// [`assert_matches`], the records are the real ones whole; skips when the real schema is not
/// there.
pub fn assert_complete(ours: &Value, real: &RealSchema) -> Result<(), Box<dyn Error>> {
    let Some(dir) = lasair_testdata::shared_data(real.dir) else {
        return Ok(());
    };
    let mut records = Vec::new();
    records_of(ours, &mut records);
    for (record, fields) in &records {
        let file = dir.join((real.file)(record));
        let text = std::fs::read_to_string(&file)?;
        let real_record: Value = serde_json::from_str(&text)?;
        for f in real_record["fields"].as_array().into_iter().flatten() {
            let name = f["name"].as_str().unwrap_or_default();
            assert!(
                fields.iter().any(|(ours, _)| ours == name),
                "{record}.{name} of {} is not simulated",
                real.name
            );
        }
    }
    Ok(())
}

/// The fields of each record of a schema, by record name.
fn records_of(schema: &Value, out: &mut Vec<(String, Vec<(String, Value)>)>) {
    match schema {
        Value::Object(map) if map.get("type") == Some(&Value::from("record")) => {
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let fields = map
                .get("fields")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut list = Vec::new();
            for f in &fields {
                let field_name = f["name"].as_str().unwrap_or_default().to_owned();
                records_of(&f["type"], out);
                list.push((field_name, f["type"].clone()));
            }
            out.push((name, list));
        }
        Value::Object(map) => map.values().for_each(|v| records_of(v, out)),
        Value::Array(items) => items.iter().for_each(|v| records_of(v, out)),
        _ => {}
    }
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// A primitive or nullable primitive type, as comparable text; None for named or complex types,
/// which are compared by their own fields.
fn primitive(ty: &Value) -> Option<String> {
    match ty {
        Value::String(s) if PRIMITIVES.contains(&s.as_str()) => Some(s.clone()),
        Value::Array(items) if items.len() == 2 && items[0] == "null" => {
            primitive(&items[1]).map(|p| format!("{p}?"))
        }
        _ => None,
    }
}

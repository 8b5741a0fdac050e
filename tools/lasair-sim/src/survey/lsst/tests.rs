//! LSST ids and names, and the schema checked against Rubin's own lsst.v10_0.

use std::path::Path;

use serde_json::Value;

use super::{designation, records};

#[test]
fn designations_look_provisional() {
    for h in [0u64, 1, 12_345_678, u64::MAX] {
        let d = designation(h);
        let (year, rest) = d.split_once(' ').unwrap_or_default();
        assert!(
            (1995..2025).contains(&year.parse::<u32>().unwrap_or(0)),
            "{d}"
        );
        assert!(
            rest.len() >= 2 && rest[..2].chars().all(|c| c.is_ascii_uppercase()),
            "{d}"
        );
    }
}

fn fields_of(schema: &Value, out: &mut Vec<(String, String, Value)>) {
    match schema {
        Value::Object(map) if map.get("type") == Some(&Value::from("record")) => {
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            for f in map
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                fields_of(&f["type"], out);
                out.push((
                    name.clone(),
                    f["name"].as_str().unwrap_or_default().to_owned(),
                    f["type"].clone(),
                ));
            }
        }
        Value::Object(map) => map.values().for_each(|v| fields_of(v, out)),
        Value::Array(items) => items.iter().for_each(|v| fields_of(v, out)),
        _ => {}
    }
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Primitive types only: named types are compared by their own fields.
fn primitive(ty: &Value) -> Option<String> {
    match ty {
        Value::String(s) if PRIMITIVES.contains(&s.as_str()) => Some(s.clone()),
        Value::Array(items) if items.len() == 2 && items[0] == "null" => {
            primitive(&items[1]).map(|p| format!("{p}?"))
        }
        _ => None,
    }
}

#[test]
fn fields_have_rubin_v10_names_types_and_order() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lsst/schema/10/0");
    if !dir.is_dir() {
        eprintln!(
            "skipped: ../shared/data not found (Rubin's schema lives there, outside the repo)"
        );
        return Ok(());
    }
    let mut ours = Vec::new();
    fields_of(&records::schema_json()?, &mut ours);
    let mut last: Option<(String, usize)> = None;
    for (record, field, ty) in ours {
        let file = dir.join(format!("lsst.v10_0.{record}.avsc"));
        let real: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        let real_fields = real["fields"].as_array().cloned().unwrap_or_default();
        let at = real_fields
            .iter()
            .position(|r| r["name"] == field.as_str())
            .ok_or_else(|| format!("{record}.{field} is not in lsst.v10_0"))?;
        if let Some((prev_record, prev_at)) = &last {
            assert!(
                prev_record != &record || at > *prev_at,
                "{record}.{field} is out of Rubin's order"
            );
        }
        last = Some((record.clone(), at));
        if let Some(ours) = primitive(&ty) {
            assert_eq!(
                Some(ours),
                primitive(&real_fields[at]["type"]),
                "{record}.{field}"
            );
        }
    }
    Ok(())
}

#[test]
fn direct_datums_equal_to_avro_datum() -> Result<(), Box<dyn std::error::Error>> {
    use crate::survey::SurveySim;
    let lsst = super::Lsst::new(9)?;
    let timeline = crate::timeline::build(&lsst, 9, 60, 6);
    for &(o, k) in &timeline.order {
        let object = &timeline.objects[o as usize];
        let alert = super::build::alert(9, object, k as usize, None);
        let slow = apache_avro::to_avro_datum(&lsst.schema, apache_avro::to_value(&alert)?)?;
        let fast = lsst.encode(object, k as usize, None)?;
        assert_eq!(&fast[5..], slow.as_slice());
    }
    Ok(())
}

//! ZTF naming, ids and framing, and the schema checked against ZTF's own 4.02 schema.

use std::path::Path;

use serde_json::Value;

use super::container::{header as container_header, put_long};
use super::{letters, records, Ztf};
use crate::survey::SurveySim;

#[test]
fn letters_count_in_base_26() {
    assert_eq!(letters(0), "aaaaaaa");
    assert_eq!(letters(27), "aaaaabb");
    assert_eq!(letters(26u64.pow(7) - 1), "zzzzzzz");
}

#[test]
fn longs_are_zigzag_varints() {
    let enc = |v| {
        let mut out = Vec::new();
        put_long(&mut out, v);
        out
    };
    assert_eq!(enc(0), [0]);
    assert_eq!(enc(-1), [1]);
    assert_eq!(enc(2), [4]);
    assert_eq!(enc(64), [0x80, 1]);
}

#[test]
fn candids_look_like_ztfs() -> Result<(), crate::SimError> {
    let ztf = Ztf::new(1)?;
    let pid = super::build::pid(59_396.4, 15);
    let candid = ztf.source_id(pid, 0);
    assert_eq!(candid.to_string().len(), 19);
    assert!(candid.to_string().ends_with("015001"), "{candid}");
    assert!(ztf.source_id(pid, 1) > candid);
    assert!(ztf.source_id(super::build::pid(59_397.2, 3), 0) > candid);
    Ok(())
}

#[test]
fn header_is_a_readable_empty_container() -> Result<(), Box<dyn std::error::Error>> {
    let json = records::schema_json()?.to_string();
    let header = container_header(&json, &[7; 16]);
    let reader = apache_avro::Reader::new(header.as_slice())?;
    assert_eq!(reader.count(), 0);
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

/// A primitive or nullable primitive type, as comparable text; None for named or complex types.
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
fn fields_have_ztf_402_names_types_and_order() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ztf/schema/4.02");
    if !dir.is_dir() {
        eprintln!("skipped: ../shared/data not found (ZTF's schema lives there, outside the repo)");
        return Ok(());
    }
    let mut ours = Vec::new();
    records_of(&records::schema_json()?, &mut ours);
    for (name, fields) in ours {
        let file = dir.join(format!("{name}.avsc"));
        let real: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        let real_fields = real["fields"].as_array().cloned().unwrap_or_default();
        let position = |f: &str| real_fields.iter().position(|r| r["name"] == f);
        let mut last = 0;
        for (field, ty) in fields {
            let at =
                position(&field).ok_or_else(|| format!("{name}.{field} is not in ZTF 4.02"))?;
            assert!(at >= last, "{name}.{field} is out of ZTF's order");
            last = at;
            if let Some(ours) = primitive(&ty) {
                assert_eq!(
                    Some(ours),
                    primitive(&real_fields[at]["type"]),
                    "{name}.{field}"
                );
            }
        }
    }
    Ok(())
}

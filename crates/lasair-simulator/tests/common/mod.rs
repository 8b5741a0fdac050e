//! Helpers shared by the simulator's tests: reading apache-avro values and FITS cutouts.

#![allow(dead_code)]

use std::io::Read;

use apache_avro::types::Value;

/// A field of a record, looking through a union.
pub fn field<'a>(value: &'a Value, name: &str) -> &'a Value {
    let record = match value {
        Value::Union(_, inner) => inner.as_ref(),
        other => other,
    };
    match record {
        Value::Record(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| unwrap_union(v))
            .unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

pub fn unwrap_union(value: &Value) -> &Value {
    match value {
        Value::Union(_, inner) => inner.as_ref(),
        other => other,
    }
}

pub fn long(value: &Value) -> Option<i64> {
    match unwrap_union(value) {
        Value::Long(v) => Some(*v),
        Value::Int(v) => Some(i64::from(*v)),
        _ => None,
    }
}

pub fn double(value: &Value) -> Option<f64> {
    match unwrap_union(value) {
        Value::Double(v) => Some(*v),
        Value::Float(v) => Some(f64::from(*v)),
        _ => None,
    }
}

pub fn string(value: &Value) -> Option<&str> {
    match unwrap_union(value) {
        Value::String(s) => Some(s),
        _ => None,
    }
}

pub fn bytes(value: &Value) -> Option<&[u8]> {
    match unwrap_union(value) {
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

pub fn array(value: &Value) -> &[Value] {
    match unwrap_union(value) {
        Value::Array(items) => items,
        _ => &[],
    }
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

/// Checks a FITS file: whole blocks, the mandatory keywords, the image size.
pub fn check_fits(fits: &[u8], size: usize) {
    assert_eq!(fits.len() % 2880, 0, "FITS length {}", fits.len());
    let header = std::str::from_utf8(&fits[..2880]).expect("ASCII header");
    let card = |key: &str, value: &str| format!("{key:<8}= {value:>20}");
    assert!(header.starts_with(&card("SIMPLE", "T")));
    for (key, value) in [
        ("BITPIX", "-32".to_owned()),
        ("NAXIS", "2".to_owned()),
        ("NAXIS1", size.to_string()),
        ("NAXIS2", size.to_string()),
    ] {
        assert!(header.contains(&card(key, &value)), "{key} missing");
    }
    assert!(header
        .as_bytes()
        .chunks(80)
        .any(|c| c.starts_with(b"END     ")));
    let data = (size * size * 4).div_ceil(2880) * 2880;
    assert_eq!(fits.len(), 2880 + data);
}

//! ZTF naming, ids and framing, and the schema checked against ZTF's own 4.02 schema.

use super::container::{header as container_header, put_long};
use super::{letters, records, Ztf};
use crate::survey::schema_check::{self, RealSchema};
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

#[test]
fn fields_have_ztf_402_names_types_and_order() -> Result<(), Box<dyn std::error::Error>> {
    let real = RealSchema {
        dir: "ztf/schema/4.02",
        file: |record| format!("{record}.avsc"),
        name: "ZTF 4.02",
        publisher: "ZTF's",
    };
    schema_check::assert_matches(&records::schema_json()?, &real)
}

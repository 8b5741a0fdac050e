//! LSST ids and names, and the schemas checked against Rubin's own lsst.v10_0 and lsst.v11_0.

use super::{designation, records, LsstSchema};
use crate::survey::schema_check::{self, RealSchema};

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

/// Where Rubin's files of a version are, under `../shared/data`.
fn real(version: LsstSchema) -> RealSchema {
    match version {
        LsstSchema::V10_0 => RealSchema {
            dir: "lsst/schema/10/0",
            file: |record| format!("lsst.v10_0.{record}.avsc"),
            name: "lsst.v10_0",
            publisher: "Rubin's",
        },
        LsstSchema::V11_0 => RealSchema {
            dir: "lsst/schema/11/0",
            file: |record| format!("lsst.v11_0.{record}.avsc"),
            name: "lsst.v11_0",
            publisher: "Rubin's",
        },
    }
}

#[test]
fn fields_have_rubin_names_types_and_order() -> Result<(), Box<dyn std::error::Error>> {
    for version in LsstSchema::ALL {
        schema_check::assert_matches(&records::schema_json(version)?, &real(version))?;
    }
    Ok(())
}

#[test]
fn every_field_of_rubins_schemas_is_simulated() -> Result<(), Box<dyn std::error::Error>> {
    for version in LsstSchema::ALL {
        schema_check::assert_complete(&records::schema_json(version)?, &real(version))?;
    }
    Ok(())
}

#[test]
fn direct_datums_equal_to_avro_datum() -> Result<(), Box<dyn std::error::Error>> {
    use crate::survey::SurveySim;
    for version in LsstSchema::ALL {
        let lsst = super::Lsst::new(9, version)?;
        let timeline = crate::timeline::build(&lsst, 9, 60, 6);
        for &(o, k) in &timeline.order {
            let object = &timeline.objects[o as usize];
            let alert = super::build::alert(9, object, k as usize, None, version);
            let slow = apache_avro::to_avro_datum(&lsst.schema, apache_avro::to_value(&alert)?)?;
            let fast = lsst.encode(object, k as usize, None)?;
            assert_eq!(&fast[5..], slow.as_slice());
            assert_eq!(fast[1..5], version.schema_id().to_be_bytes());
        }
    }
    Ok(())
}

#[test]
fn versions_read_as_rubin_numbers_them() {
    assert_eq!("11.0".parse(), Ok(LsstSchema::V11_0));
    assert_eq!("lsst.v10_0".parse(), Ok(LsstSchema::V10_0));
    assert!("12.0".parse::<LsstSchema>().is_err());
}

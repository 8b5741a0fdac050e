//! LSST ids and names, and the schema checked against Rubin's own lsst.v10_0.

use super::{designation, records};
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

#[test]
fn fields_have_rubin_v10_names_types_and_order() -> Result<(), Box<dyn std::error::Error>> {
    let real = RealSchema {
        dir: "lsst/schema/10/0",
        file: |record| format!("lsst.v10_0.{record}.avsc"),
        name: "lsst.v10_0",
        publisher: "Rubin's",
    };
    schema_check::assert_matches(&records::schema_json()?, &real)
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

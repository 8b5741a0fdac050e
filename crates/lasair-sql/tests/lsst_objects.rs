//! The LSST `objects` columns against Lasair-LSST's own list (schema 11.1), which
//! `fixtures/lasair_lsst_objects.py` took from lsst-uk/lasair-lsst (the commit is in it): the
//! same names, in the same order, of the same kind.

use lasair_sql::catalog::{ColType, LSST_OBJECTS, LSST_OBJECT_FIELDS};

/// Lasair's columns we deliberately do not keep, and why.
const LEFT_OUT: &[(&str, &str)] = &[(
    "timestamp",
    "MySQL's time of the row's last change, not a property of the object; \
     docs/differences-from-lasair.md",
)];

fn kind(lasair_type: &str) -> Option<ColType> {
    match lasair_type {
        "long" | "int" => Some(ColType::Int),
        "float" | "double" => Some(ColType::Real),
        "string" => Some(ColType::Text),
        _ => None,
    }
}

#[test]
fn lsst_objects_columns_are_lasairs_schema_11_1() {
    let lasair: Vec<(&str, &str)> = include_str!("fixtures/lasair_lsst_objects_11_1.txt")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(name, _)| !LEFT_OUT.iter().any(|(n, _)| n == name))
        .collect();
    assert_eq!(lasair.len(), 128, "the committed list has 129 columns");
    let ours: Vec<(&str, ColType)> = LSST_OBJECTS
        .columns
        .iter()
        .map(|c| (c.name, c.ty))
        .collect();
    for (i, (name, ty)) in lasair.iter().enumerate() {
        assert_eq!(
            ours.get(i).map(|c| c.0),
            Some(*name),
            "column {i}: Lasair has {name}"
        );
        assert_eq!(Some(ours[i].1), kind(ty), "{name}: Lasair's {ty}");
    }
    assert_eq!(ours.len(), lasair.len(), "columns Lasair does not have");
}

#[test]
fn the_object_fields_are_htm16_and_the_dia_object_ones() {
    assert_eq!(LSST_OBJECT_FIELDS.len(), 65);
    assert_eq!(LSST_OBJECT_FIELDS[0].name, "htm16");
    assert_eq!(LSST_OBJECT_FIELDS[0].ty, ColType::Int);
    assert_eq!(
        LSST_OBJECT_FIELDS.last().map(|c| c.name),
        LSST_OBJECTS.columns.last().map(|c| c.name)
    );
    assert!(LSST_OBJECT_FIELDS
        .iter()
        .any(|c| c.name == "g_psfFluxErrMean"));
}

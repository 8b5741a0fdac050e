//! The `sherlock` object read back from an alert line (lasair-filter does), and the row of
//! Lasair's sherlock_classifications table it makes. Reading is lenient, as a database row
//! is: a key that is absent, null or of another type is no value (NULL), never a bad line;
//! a number written as text is read as the number.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use super::output::Context;

/// One value of the sherlock_classifications row, typed as its column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Text(Option<&'a str>),
    Real(Option<f64>),
    Int(Option<i64>),
}

/// The columns of the row, in the table's order (the object key aside).
pub const COLUMNS: usize = 23;

impl Context {
    /// The sherlock_classifications row of this context by column name, every column but
    /// the object key (`crossmatches` goes to no table). Text left empty is NULL: a
    /// `sherlock` object read without its classification, description or summary.
    pub fn row(&self) -> [(&'static str, Cell<'_>); COLUMNS] {
        let b = &self.best;
        [
            ("classification", non_empty(&self.classification)),
            (
                "association_type",
                Cell::Text(b.association_type.map(|l| l.as_str())),
            ),
            (
                "catalogue_table_name",
                Cell::Text(b.catalogue_table_name.as_deref()),
            ),
            (
                "catalogue_object_id",
                Cell::Text(b.catalogue_object_id.as_deref()),
            ),
            (
                "catalogue_object_type",
                Cell::Text(b.catalogue_object_type.as_deref()),
            ),
            ("raDeg", Cell::Real(b.raDeg)),
            ("decDeg", Cell::Real(b.decDeg)),
            ("separationArcsec", Cell::Real(b.separationArcsec)),
            ("northSeparationArcsec", Cell::Real(b.northSeparationArcsec)),
            ("eastSeparationArcsec", Cell::Real(b.eastSeparationArcsec)),
            (
                "physical_separation_kpc",
                Cell::Real(b.physical_separation_kpc),
            ),
            ("direct_distance", Cell::Real(b.direct_distance)),
            ("distance", Cell::Real(b.distance)),
            ("z", Cell::Real(b.z)),
            ("photoZ", Cell::Real(b.photoZ)),
            ("photoZErr", Cell::Real(b.photoZErr)),
            ("Mag", Cell::Real(b.Mag)),
            ("MagFilter", Cell::Text(b.MagFilter.as_deref())),
            ("MagErr", Cell::Real(b.MagErr)),
            (
                "classificationReliability",
                Cell::Int(b.classificationReliability.map(i64::from)),
            ),
            ("major_axis_arcsec", Cell::Real(b.major_axis_arcsec)),
            ("description", non_empty(&b.description)),
            ("summary", non_empty(&b.summary)),
        ]
    }

    /// The context in an alert line's `sherlock` value; `None` when that is not an object.
    pub fn from_line_value(value: &Value) -> Option<Context> {
        value
            .is_object()
            .then(|| Context::deserialize(value).ok())
            .flatten()
    }
}

/// Text, or NULL when empty.
fn non_empty(text: &str) -> Cell<'_> {
    Cell::Text(Some(text).filter(|t| !t.is_empty()))
}

/// Reads any value as `T` when it is one, else as no value (`T::default()`).
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(T::deserialize(Value::deserialize(d)?).unwrap_or_default())
}

/// Reads a number, or text that parses as one; anything else is no value.
pub(crate) fn real<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::{ColType, LSST, ZTF};

    fn column_type(cell: &Cell) -> ColType {
        match cell {
            Cell::Text(_) => ColType::Text,
            Cell::Real(_) => ColType::Real,
            Cell::Int(_) => ColType::Int,
        }
    }

    /// A column added to the table and not to the `sherlock` object (or the other way
    /// round, or to one survey only) fails here.
    #[test]
    fn the_sherlock_object_is_the_sherlock_classifications_row_of_both_surveys() {
        let context = Context::orphan();
        let json = serde_json::to_value(&context).expect("json");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "crossmatches")
            .collect();
        keys.sort_unstable();
        let row = context.row();
        let mut names: Vec<&str> = row.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        assert_eq!(
            names, keys,
            "the row's names are the serialised field names"
        );
        let cells: Vec<(&str, ColType)> = row
            .iter()
            .map(|(name, cell)| (*name, column_type(cell)))
            .collect();
        for catalog in [&ZTF, &LSST] {
            let table = catalog
                .table("sherlock_classifications")
                .expect("the table");
            let columns: Vec<(&str, ColType)> = table
                .columns
                .iter()
                .filter(|c| c.name != catalog.key)
                .map(|c| (c.name, c.ty))
                .collect();
            assert_eq!(cells, columns, "{}", catalog.survey);
        }
    }

    #[test]
    fn absent_null_and_mistyped_keys_are_no_value() {
        let line = serde_json::json!({
            "classification": "SN", "separationArcsec": 2.5, "distance": "120.5",
            "catalogue_object_id": 12345, "association_type": "XX", "raDeg": null,
            "classificationReliability": 1.5, "crossmatches": "none", "unknown": [1],
        });
        let context = Context::from_line_value(&line).expect("an object reads");
        let row = context.row();
        let cell = |name: &str| row.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
        assert_eq!(cell("classification"), Some(Cell::Text(Some("SN"))));
        assert_eq!(cell("separationArcsec"), Some(Cell::Real(Some(2.5))));
        assert_eq!(cell("distance"), Some(Cell::Real(Some(120.5))));
        assert_eq!(cell("catalogue_object_id"), Some(Cell::Text(None)));
        assert_eq!(cell("association_type"), Some(Cell::Text(None)));
        assert_eq!(cell("raDeg"), Some(Cell::Real(None)));
        assert_eq!(cell("classificationReliability"), Some(Cell::Int(None)));
        assert_eq!(cell("description"), Some(Cell::Text(None)));
        assert!(context.crossmatches.is_empty());
        assert!(Context::from_line_value(&serde_json::json!("SN")).is_none());
        let empty = Context::from_line_value(&serde_json::json!({})).expect("reads");
        assert!(empty
            .row()
            .iter()
            .all(|(_, c)| matches!(c, Cell::Text(None) | Cell::Real(None) | Cell::Int(None))));
    }

    #[test]
    fn what_the_stage_writes_reads_back_the_same() {
        let mut context = Context::orphan();
        context.best.raDeg = Some(150.25);
        context.best.classificationReliability = Some(2);
        context.crossmatches.push(context.best.clone());
        let json = serde_json::to_value(&context).expect("json");
        assert_eq!(Context::from_line_value(&json), Some(context));
    }
}

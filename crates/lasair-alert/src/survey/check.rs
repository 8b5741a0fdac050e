//! What an alert's values must be, checked once, as each survey's model reads them: a value out
//! of its survey's range refuses the alert with the field named, so it never reaches a store or
//! a later stage (a NaN time once failed a whole batch in the lightcurve store).

use std::fmt::Write;
use std::ops::RangeInclusive;

use crate::avro::Record;
use crate::error::AlertError;
use crate::model::Survey;

/// Times of exposures a survey alerts on, as MJD: 1858-11-17 to 2132-08-31. Wide on purpose,
/// it refuses only what cannot be an exposure (NaN, infinities, 1e308, a JD read as an MJD).
pub const MJD_RANGE: RangeInclusive<f64> = 0.0..=100_000.0;
pub const RA_RANGE: RangeInclusive<f64> = 0.0..=360.0;
pub const DEC_RANGE: RangeInclusive<f64> = -90.0..=90.0;

/// The longest string value an error message shows whole.
const SHOWN: usize = 40;

/// Where in an alert a record sits: `candidate`, or `prv_candidates[3]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    name: &'static str,
    index: Option<usize>,
}

impl Place {
    /// A record of its own (the alert's `candidate`, `diaSource`), or the alert itself (`""`).
    pub fn record(name: &'static str) -> Self {
        Self { name, index: None }
    }

    /// Item `index` of the array `name`.
    pub fn item(name: &'static str, index: usize) -> Self {
        Self {
            name,
            index: Some(index),
        }
    }

    /// The error for `field` of the record here holding `value` (shown as [`shown`] writes it).
    pub fn invalid(&self, field: &str, value: String, expected: &'static str) -> AlertError {
        let mut path = String::from(self.name);
        if let Some(i) = self.index {
            let _ = write!(path, "[{i}]");
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(field);
        AlertError::Invalid {
            field: path,
            value,
            expected,
        }
    }

    /// The record's time: `field`, turned into an MJD by `to_mjd`, in [`MJD_RANGE`].
    pub fn time(
        &self,
        rec: &Record,
        field: &str,
        to_mjd: fn(f64) -> f64,
    ) -> Result<f64, AlertError> {
        let value = rec.f64(field);
        value
            .map(to_mjd)
            .filter(|mjd| MJD_RANGE.contains(mjd))
            .ok_or_else(|| self.invalid(field, shown_f64(value), "a time from MJD 0 to 100000"))
    }

    /// The record's `ra` and `dec` in range, when it has them (ZTF's upper limits have none);
    /// one without the other is refused too.
    pub fn position(&self, rec: &Record) -> Result<(), AlertError> {
        let (ra, dec) = (rec.get("ra"), rec.get("dec"));
        let absent = |d: Option<&crate::avro::Datum>| d.is_none_or(crate::avro::Datum::is_null);
        if absent(ra) && absent(dec) {
            return Ok(());
        }
        for (field, range, expected) in [
            ("ra", RA_RANGE, "degrees from 0 to 360"),
            ("dec", DEC_RANGE, "degrees from -90 to 90"),
        ] {
            let value = rec.f64(field);
            if !value.is_some_and(|v| range.contains(&v)) {
                return Err(self.invalid(field, shown_f64(value), expected));
            }
        }
        Ok(())
    }

    /// The record's band, `field`, when it is one of `known`.
    pub fn band(
        &self,
        rec: &Record,
        field: &str,
        known: &[&str],
        expected: &'static str,
    ) -> Result<String, AlertError> {
        let value = rec.str(field);
        match value {
            Some(b) if known.contains(&b) => Ok(b.to_owned()),
            _ => Err(self.invalid(field, value.map_or("missing".into(), shown_str), expected)),
        }
    }
}

/// A number as an error shows it; `missing` when the field is absent or not a number.
/// The checks every stage makes of a JSON alert line's top-level keys, the same as the
/// decoder's: the object's identity in its survey's form (either survey's, when the line does
/// not say which), the position in range and the time an exposure's. One check shared by
/// lasair-sherlock, lasair-filter and anything else that reads alert lines, so a line one
/// stage refuses no other stage stores.
pub fn check_line(
    survey: Option<Survey>,
    object_id: Option<&str>,
    ra: f64,
    dec: f64,
    mjd: Option<f64>,
) -> Result<(), AlertError> {
    let top = Place::record("");
    if let Some(id) = object_id {
        match survey {
            Some(s) => s.model().check_object_id(id)?,
            None => {
                if Survey::ALL
                    .iter()
                    .all(|s| s.model().check_object_id(id).is_err())
                {
                    let expected = "a ZTF name or an LSST id";
                    return Err(top.invalid("objectId", shown_str(id), expected));
                }
            }
        }
    }
    if !RA_RANGE.contains(&ra) {
        return Err(top.invalid("ra", shown_f64(Some(ra)), "degrees from 0 to 360"));
    }
    if !DEC_RANGE.contains(&dec) {
        return Err(top.invalid("dec", shown_f64(Some(dec)), "degrees from -90 to 90"));
    }
    if let Some(t) = mjd.filter(|t| !MJD_RANGE.contains(t)) {
        return Err(top.invalid("mjd", shown_f64(Some(t)), "a time from MJD 0 to 100000"));
    }
    Ok(())
}

pub(crate) fn shown_f64(value: Option<f64>) -> String {
    value.map_or_else(|| "missing".into(), |v| v.to_string())
}

/// A string as an error shows it: quoted and escaped, cut after [`SHOWN`] characters with its
/// length in bytes, so a 5,000-character or binary id makes a readable one-line message.
pub(crate) fn shown_str(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHOWN {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(SHOWN).collect();
    format!("{head:?}... ({} bytes)", value.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::{Datum, RecordNode};

    fn record(fields: &[(&str, Datum)]) -> Record {
        let names = fields.iter().map(|(n, _)| (*n).into()).collect();
        Record {
            schema: RecordNode::dynamic("t", names),
            values: fields.iter().map(|(_, v)| v.clone()).collect(),
        }
    }

    #[test]
    fn a_bad_time_names_its_place_and_value() {
        let rec = record(&[("jd", Datum::Double(f64::NAN))]);
        let err = Place::item("prv_candidates", 3)
            .time(&rec, "jd", |jd| jd - 2_400_000.5)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "prv_candidates[3].jd is NaN, expected a time from MJD 0 to 100000"
        );
        let rec = record(&[("midpointMjdTai", Datum::Double(1e308))]);
        assert!(Place::record("diaSource")
            .time(&rec, "midpointMjdTai", |m| m)
            .is_err());
        let rec = record(&[("midpointMjdTai", Datum::Double(60_000.5))]);
        assert_eq!(
            Place::record("diaSource")
                .time(&rec, "midpointMjdTai", |m| m)
                .ok(),
            Some(60_000.5)
        );
    }

    #[test]
    fn positions_are_in_range_or_absent_together() {
        let at = |ra: Datum, dec: Datum| {
            Place::record("c").position(&record(&[("ra", ra), ("dec", dec)]))
        };
        assert!(at(Datum::Double(359.9), Datum::Double(-90.0)).is_ok());
        assert!(at(Datum::Null, Datum::Null).is_ok());
        assert!(Place::record("c").position(&record(&[])).is_ok());
        let err = at(Datum::Double(1000.0), Datum::Double(0.0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.ra is 1000, expected degrees from 0 to 360"
        );
        assert!(at(Datum::Double(10.0), Datum::Double(-200.0)).is_err());
        assert!(at(Datum::Double(10.0), Datum::Null).is_err());
        assert!(at(Datum::Double(f64::INFINITY), Datum::Double(0.0)).is_err());
    }

    #[test]
    fn long_and_binary_strings_are_shown_short_and_escaped() {
        assert_eq!(shown_str("ZTF18abc"), "\"ZTF18abc\"");
        assert_eq!(shown_str("a\0b"), "\"a\\0b\"");
        let long = "x".repeat(5000);
        let shown = shown_str(&long);
        assert!(shown.ends_with("\"... (5000 bytes)"), "{shown}");
        assert!(shown.len() < 70);
    }
}

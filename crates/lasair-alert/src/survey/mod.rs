//! Survey-specific knowledge: how each survey's alert record becomes an [`Alert`].
//! One module per survey behind one trait; the only `match` on [`Survey`] is here.

pub(crate) mod check;
mod lsst;
mod ztf;

use crate::avro::{Datum, Record, RecordNode};
use crate::error::AlertError;
use crate::model::{Alert, Cutout, CutoutKind, ObjectId, Point, PointKind, Survey};

/// What a survey module knows about its alerts.
pub trait SurveyModel: Sync {
    /// Normalises one decoded alert record, taking its lightcurve and cutouts out of it, and
    /// checks it: its identity's form, and for the triggering detection and every point of its
    /// history a time, a known band and, where the record has one, a position in range.
    fn alert(&self, record: Record) -> Result<Alert, AlertError>;

    /// Whether `id` has the form of this survey's object identities (ZTF names, LSST
    /// integers): an id from an alert must, before it becomes a key, a path or a column.
    fn check_object_id(&self, id: &str) -> Result<(), AlertError>;

    /// An object's lightcurve as the lightcurve store gives it back, as an alert whose
    /// trigger is its latest detection (no envelope, no cutouts): what mining hands to users'
    /// code and to the features. Refused when the id is not of this survey's form or no
    /// detection has a position.
    fn lightcurve_alert(&self, object_id: &str, points: Vec<Point>) -> Result<Alert, AlertError>;
}

impl Survey {
    pub fn model(self) -> &'static dyn SurveyModel {
        match self {
            Survey::Ztf => &ztf::Ztf,
            Survey::Lsst => &lsst::Lsst,
        }
    }
}

fn required_record(rec: &mut Record, field: &'static str) -> Result<Record, AlertError> {
    match rec.take(field) {
        Some(Datum::Record(r)) => Ok(r),
        _ => Err(AlertError::Missing { field }),
    }
}

fn required_f64(rec: &Record, field: &'static str) -> Result<f64, AlertError> {
    rec.f64(field)
        .filter(|v| v.is_finite())
        .ok_or(AlertError::Missing { field })
}

fn required_i64(rec: &Record, field: &'static str) -> Result<i64, AlertError> {
    rec.i64(field).ok_or(AlertError::Missing { field })
}

/// The records of an optional array field, taken out of the alert.
fn take_records(rec: &mut Record, field: &str) -> Vec<Record> {
    match rec.take(field) {
        Some(Datum::Array(items)) => items
            .into_iter()
            .filter_map(|d| match d {
                Datum::Record(r) => Some(r),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Takes the three cutouts out, each found by `extract` from the alert field of that name.
fn take_cutouts(
    rec: &mut Record,
    names: [(CutoutKind, &str); 3],
    extract: impl Fn(Datum) -> Option<bytes::Bytes>,
) -> Vec<Cutout> {
    names
        .into_iter()
        .filter_map(|(kind, field)| {
            let data = extract(rec.take(field)?)?;
            (!data.is_empty()).then_some(Cutout { kind, data })
        })
        .collect()
}

/// The alert of [`SurveyModel::lightcurve_alert`] for an id already checked; `solar` tells
/// from the trigger's record whether it is a known solar-system object, and its name.
fn lightcurve_alert(
    survey: Survey,
    object_id: &str,
    mut lightcurve: Vec<Point>,
    solar: impl Fn(&Record) -> (bool, Option<String>),
) -> Result<Alert, AlertError> {
    settle(&mut lightcurve);
    let missing = AlertError::Missing { field: "detection" };
    let trigger = lightcurve
        .iter()
        .rev()
        .find(|p| p.kind == PointKind::Detection)
        .ok_or(missing)?;
    let (solar_system, ss_name) = solar(&trigger.fields);
    Ok(Alert {
        survey,
        object_id: ObjectId(object_id.to_owned()),
        source_id: trigger.id,
        ra: required_f64(&trigger.fields, "ra")?,
        dec: required_f64(&trigger.fields, "dec")?,
        mjd: trigger.mjd,
        band: trigger.band.clone(),
        solar_system,
        ss_name,
        envelope: Record {
            schema: RecordNode::dynamic("alert", Vec::new()),
            values: Vec::new(),
        },
        lightcurve,
        cutouts: Vec::new(),
    })
}

/// Keeps one point per (kind, id), the most complete one, where the first of them was, then
/// sorts the lightcurve by time, stably: points of the same time stay in the packet's order
/// (ZTF's prv_candidates as sent, then the candidate), as Lasair's stable sort by jd keeps them.
fn settle(points: &mut Vec<Point>) {
    let mut first: std::collections::HashMap<(PointKind, i64), usize> =
        std::collections::HashMap::with_capacity(points.len());
    let mut kept: Vec<Option<Point>> = Vec::with_capacity(points.len());
    for p in points.drain(..) {
        match first.get(&(p.kind, p.id)) {
            Some(&i) => {
                if kept[i].as_ref().is_some_and(|k| p.rank > k.rank) {
                    kept[i] = Some(p);
                }
            }
            None => {
                first.insert((p.kind, p.id), kept.len());
                kept.push(Some(p));
            }
        }
    }
    points.extend(kept.into_iter().flatten());
    points.sort_by(|a, b| a.mjd.total_cmp(&b.mjd).then(a.kind.cmp(&b.kind)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_must_have_their_surveys_form() {
        let ztf = Survey::Ztf.model();
        assert!(ztf.check_object_id("ZTF18abcdefg").is_ok());
        assert!(ztf.check_object_id(&"Z".repeat(64)).is_ok());
        for bad in ["", ".", "../x", "/tmp/x", "ZTF\0x", "ZTFéabc", "ZTF 1"] {
            assert!(ztf.check_object_id(bad).is_err(), "{bad:?}");
        }
        let err = ztf.check_object_id(&"Z".repeat(65)).unwrap_err();
        assert!(err.to_string().starts_with("objectId is \"ZZZ"), "{err}");
        let lsst = Survey::Lsst.model();
        assert!(lsst.check_object_id("169813006247002128").is_ok());
        for bad in ["", "0", "-5", "007", "+7", "1e3", "99999999999999999999"] {
            assert!(lsst.check_object_id(bad).is_err(), "{bad:?}");
        }
    }
}

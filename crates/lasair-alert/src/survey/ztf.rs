//! ZTF: alerts are Avro containers (schema 2.0 to 4.02) with candidate, prv_candidates,
//! fp_hists and three gzipped FITS cutouts.

use super::check::{shown_str, Place};
use super::{required_f64, required_record, settle, take_cutouts, take_records};
use crate::avro::{Datum, Record};
use crate::error::AlertError;
use crate::model::{jd_to_mjd, Alert, CutoutKind, ObjectId, Point, PointKind, Survey};

pub struct Ztf;

/// The longest objectId taken: real names have 12 characters (`ZTF18abcdefg`), and 64 is the
/// width every store gives the column.
const MAX_ID: usize = 64;

/// ZTF filter ids: 1 g, 2 r, 3 i.
fn band(place: &Place, fields: &Record) -> Result<String, AlertError> {
    let band = match fields.i64("fid") {
        Some(1) => "g",
        Some(2) => "r",
        Some(3) => "i",
        other => {
            let shown = other.map_or("missing".into(), |f| f.to_string());
            return Err(place.invalid("fid", shown, "1, 2 or 3 (g, r, i)"));
        }
    };
    Ok(band.to_owned())
}

/// One point of the lightcurve from its record at `place`, checked.
fn point(
    place: Place,
    kind: PointKind,
    id: i64,
    rank: u8,
    fields: Record,
) -> Result<Point, AlertError> {
    let mjd = place.time(&fields, "jd", jd_to_mjd)?;
    let band = band(&place, &fields)?;
    place.position(&fields)?;
    let (mag, mag_err, flux, flux_err) = match kind {
        PointKind::Detection => (fields.f64("magpsf"), fields.f64("sigmapsf"), None, None),
        PointKind::Nondetection => (fields.f64("diffmaglim"), None, None, None),
        PointKind::Forced => {
            // -99999 marks forced photometry that could not be measured.
            let ok = |v: f64| (v > -99_000.0).then_some(v);
            (
                None,
                None,
                fields.f64("forcediffimflux").and_then(ok),
                fields.f64("forcediffimfluxunc").and_then(ok),
            )
        }
    };
    Ok(Point {
        kind,
        id,
        mjd,
        band,
        mag,
        mag_err,
        flux,
        flux_err,
        rank,
        fields,
    })
}

/// The known solar-system object a detection is of (`ssnamenr`; `null` is ZTF's "none").
fn ss_name(candidate: &Record) -> Option<String> {
    candidate
        .str("ssnamenr")
        .filter(|s| !s.is_empty() && *s != "null")
        .map(str::to_owned)
}

impl super::SurveyModel for Ztf {
    fn alert(&self, mut rec: Record) -> Result<Alert, AlertError> {
        let object_id = rec
            .str("objectId")
            .ok_or(AlertError::Missing { field: "objectId" })?;
        self.check_object_id(object_id)?;
        let object_id = ObjectId(object_id.to_owned());
        let candidate = required_record(&mut rec, "candidate")?;
        let candid = rec.i64("candid").or(candidate.i64("candid"));
        let candid = candid.ok_or(AlertError::Missing { field: "candid" })?;
        let ra = required_f64(&candidate, "ra")?;
        let dec = required_f64(&candidate, "dec")?;
        let ss_name = ss_name(&candidate);

        let trigger = point(
            Place::record("candidate"),
            PointKind::Detection,
            candid,
            2,
            candidate,
        )?;
        let (mjd, band) = (trigger.mjd, trigger.band.clone());
        // The packet's order, prv_candidates then the candidate: detections of one time stay
        // in it (see `settle`).
        let mut lightcurve = Vec::new();
        for (i, prv) in take_records(&mut rec, "prv_candidates")
            .into_iter()
            .enumerate()
        {
            let place = Place::item("prv_candidates", i);
            let (kind, id) = match prv.i64("candid") {
                Some(candid) => (PointKind::Detection, candid),
                None => match prv.i64("pid") {
                    Some(pid) => (PointKind::Nondetection, pid),
                    None => continue,
                },
            };
            lightcurve.push(point(place, kind, id, 1, prv)?);
        }
        lightcurve.push(trigger);
        for (i, fp) in take_records(&mut rec, "fp_hists").into_iter().enumerate() {
            if let Some(pid) = fp.i64("pid") {
                let place = Place::item("fp_hists", i);
                lightcurve.push(point(place, PointKind::Forced, pid, 1, fp)?);
            }
        }
        settle(&mut lightcurve);

        let cutouts = take_cutouts(
            &mut rec,
            [
                (CutoutKind::Science, "cutoutScience"),
                (CutoutKind::Template, "cutoutTemplate"),
                (CutoutKind::Difference, "cutoutDifference"),
            ],
            |d| match d {
                Datum::Record(mut c) => match c.take("stampData")? {
                    Datum::Bytes(b) => Some(b),
                    _ => None,
                },
                _ => None,
            },
        );

        Ok(Alert {
            survey: Survey::Ztf,
            object_id,
            source_id: candid,
            ra,
            dec,
            mjd,
            band,
            solar_system: ss_name.is_some(),
            ss_name,
            envelope: rec,
            lightcurve,
            cutouts,
        })
    }

    fn lightcurve_alert(&self, object_id: &str, points: Vec<Point>) -> Result<Alert, AlertError> {
        self.check_object_id(object_id)?;
        super::lightcurve_alert(Survey::Ztf, object_id, points, |candidate| {
            let name = ss_name(candidate);
            (name.is_some(), name)
        })
    }

    /// Letters and digits, 1 to [`MAX_ID`] of them: every ZTF name, and never a path, an
    /// empty key or a string a database column refuses.
    fn check_object_id(&self, id: &str) -> Result<(), AlertError> {
        if (1..=MAX_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(());
        }
        let expected = "a ZTF name: 1 to 64 ASCII letters and digits";
        Err(Place::record("").invalid("objectId", shown_str(id), expected))
    }
}

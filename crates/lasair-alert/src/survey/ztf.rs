//! ZTF: alerts are Avro containers (schema 2.0 to 4.02) with candidate, prv_candidates,
//! fp_hists and three gzipped FITS cutouts.

use super::{required_f64, required_i64, required_record, settle, take_cutouts, take_records};
use crate::avro::{Datum, Record};
use crate::error::AlertError;
use crate::model::{jd_to_mjd, Alert, CutoutKind, ObjectId, Point, PointKind, Survey};

pub struct Ztf;

/// ZTF filter ids: 1 g, 2 r, 3 i.
fn band(fid: Option<i64>) -> String {
    match fid {
        Some(1) => "g",
        Some(2) => "r",
        Some(3) => "i",
        _ => "?",
    }
    .to_owned()
}

fn point(kind: PointKind, id: i64, rank: u8, fields: Record) -> Option<Point> {
    let jd = fields.f64("jd")?;
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
    Some(Point {
        kind,
        id,
        mjd: jd_to_mjd(jd),
        band: band(fields.i64("fid")),
        mag,
        mag_err,
        flux,
        flux_err,
        rank,
        fields,
    })
}

impl super::SurveyModel for Ztf {
    fn alert(&self, mut rec: Record) -> Result<Alert, AlertError> {
        let object_id = rec
            .str("objectId")
            .ok_or(AlertError::Missing { field: "objectId" })?;
        let object_id = ObjectId(object_id.to_owned());
        let candidate = required_record(&mut rec, "candidate")?;
        let candid = rec.i64("candid").or(candidate.i64("candid"));
        let candid = candid.ok_or(AlertError::Missing { field: "candid" })?;
        let ra = required_f64(&candidate, "ra")?;
        let dec = required_f64(&candidate, "dec")?;
        let jd = required_f64(&candidate, "jd")?;
        let fid = required_i64(&candidate, "fid")?;
        let ss_name = candidate
            .str("ssnamenr")
            .filter(|s| !s.is_empty() && *s != "null")
            .map(str::to_owned);

        let mut lightcurve = Vec::new();
        lightcurve.extend(point(PointKind::Detection, candid, 2, candidate));
        for prv in take_records(&mut rec, "prv_candidates") {
            let point = match prv.i64("candid") {
                Some(candid) => point(PointKind::Detection, candid, 1, prv),
                None => prv
                    .i64("pid")
                    .and_then(|pid| point(PointKind::Nondetection, pid, 1, prv)),
            };
            lightcurve.extend(point);
        }
        for fp in take_records(&mut rec, "fp_hists") {
            lightcurve.extend(
                fp.i64("pid")
                    .and_then(|pid| point(PointKind::Forced, pid, 1, fp)),
            );
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
            mjd: jd_to_mjd(jd),
            band: band(Some(fid)),
            solar_system: ss_name.is_some(),
            ss_name,
            envelope: rec,
            lightcurve,
            cutouts,
        })
    }
}

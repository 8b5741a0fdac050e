//! LSST (Rubin): diaSource, prvDiaSources, prvDiaForcedSources, diaObject, ssSource and three
//! plain FITS cutouts; delivered in the Confluent wire format or in Avro containers.

use super::{required_f64, required_i64, required_record, settle, take_cutouts, take_records};
use crate::avro::{Datum, Record};
use crate::error::AlertError;
use crate::model::{Alert, CutoutKind, ObjectId, Point, PointKind, Survey};

pub struct Lsst;

fn point(kind: PointKind, id_field: &str, rank: u8, fields: Record) -> Option<Point> {
    let id = fields.i64(id_field)?;
    let mjd = fields.f64("midpointMjdTai")?;
    let band = fields.str("band").unwrap_or("?").to_owned();
    let (flux, flux_err) = (fields.f64("psfFlux"), fields.f64("psfFluxErr"));
    Some(Point {
        kind,
        id,
        mjd,
        band,
        mag: None,
        mag_err: None,
        flux,
        flux_err,
        rank,
        fields,
    })
}

impl super::SurveyModel for Lsst {
    fn alert(&self, mut rec: Record) -> Result<Alert, AlertError> {
        let source = required_record(&mut rec, "diaSource")?;
        let source_id = required_i64(&source, "diaSourceId")?;
        let ra = required_f64(&source, "ra")?;
        let dec = required_f64(&source, "dec")?;
        let mjd = required_f64(&source, "midpointMjdTai")?;
        let ss_source = rec.record("ssSource");
        let ss_name = ss_source
            .and_then(|s| s.str("designation"))
            .map(str::to_owned);
        let ss_object = source.i64("ssObjectId").filter(|&id| id != 0);
        let solar_system = ss_source.is_some() || ss_object.is_some();
        // Sources of known solar-system objects carry no diaObjectId; they are keyed by ssObjectId.
        let object = source
            .i64("diaObjectId")
            .filter(|&id| id != 0)
            .or(ss_object);
        let object_id = ObjectId(
            object
                .ok_or(AlertError::Missing {
                    field: "diaObjectId",
                })?
                .to_string(),
        );

        let band = source.str("band").unwrap_or("?").to_owned();
        let mut lightcurve = Vec::new();
        lightcurve.extend(point(PointKind::Detection, "diaSourceId", 2, source));
        for prv in take_records(&mut rec, "prvDiaSources") {
            lightcurve.extend(point(PointKind::Detection, "diaSourceId", 1, prv));
        }
        for fp in take_records(&mut rec, "prvDiaForcedSources") {
            lightcurve.extend(point(PointKind::Forced, "diaForcedSourceId", 1, fp));
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
                Datum::Bytes(b) => Some(b),
                _ => None,
            },
        );

        Ok(Alert {
            survey: Survey::Lsst,
            object_id,
            source_id,
            ra,
            dec,
            mjd,
            band,
            solar_system,
            ss_name,
            envelope: rec,
            lightcurve,
            cutouts,
        })
    }
}

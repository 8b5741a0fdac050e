//! LSST (Rubin): diaSource, prvDiaSources, prvDiaForcedSources, diaObject, ssSource and three
//! plain FITS cutouts; delivered in the Confluent wire format or in Avro containers.

use super::check::{shown_str, Place};
use super::{required_f64, required_i64, required_record, settle, take_cutouts, take_records};
use crate::avro::{Datum, Record};
use crate::error::AlertError;
use crate::model::{Alert, CutoutKind, ObjectId, Point, PointKind, Survey};

pub struct Lsst;

/// Rubin's filters.
const BANDS: [&str; 6] = ["u", "g", "r", "i", "z", "y"];

/// One point of the lightcurve from its record at `place`, checked; none when the record has
/// no id of its kind.
fn point(
    place: Place,
    kind: PointKind,
    id_field: &str,
    rank: u8,
    fields: Record,
) -> Result<Option<Point>, AlertError> {
    let Some(id) = fields.i64(id_field) else {
        return Ok(None);
    };
    let mjd = place.time(&fields, "midpointMjdTai", |mjd| mjd)?;
    let band = place.band(&fields, "band", &BANDS, "one of u, g, r, i, z, y")?;
    place.position(&fields)?;
    let (flux, flux_err) = (fields.f64("psfFlux"), fields.f64("psfFluxErr"));
    Ok(Some(Point {
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
    }))
}

impl super::SurveyModel for Lsst {
    fn alert(&self, mut rec: Record) -> Result<Alert, AlertError> {
        let source = required_record(&mut rec, "diaSource")?;
        let source_id = required_i64(&source, "diaSourceId")?;
        let ra = required_f64(&source, "ra")?;
        let dec = required_f64(&source, "dec")?;
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
        let object = object.ok_or(AlertError::Missing {
            field: "diaObjectId",
        })?;
        let object_id = ObjectId(object.to_string());
        self.check_object_id(&object_id.0)?;

        let trigger = Place::record("diaSource");
        let trigger = point(trigger, PointKind::Detection, "diaSourceId", 2, source)?;
        let trigger = trigger.ok_or(AlertError::Missing {
            field: "diaSourceId",
        })?;
        let (mjd, band) = (trigger.mjd, trigger.band.clone());
        // The packet's order, the history then the diaSource (see `settle`).
        let (mut lightcurve, mut trigger) = (Vec::new(), Some(trigger));
        let histories = [
            ("prvDiaSources", PointKind::Detection, "diaSourceId"),
            (
                "prvDiaForcedSources",
                PointKind::Forced,
                "diaForcedSourceId",
            ),
        ];
        for (array, kind, id_field) in histories {
            for (i, prv) in take_records(&mut rec, array).into_iter().enumerate() {
                lightcurve.extend(point(Place::item(array, i), kind, id_field, 1, prv)?);
            }
            if kind == PointKind::Detection {
                lightcurve.extend(trigger.take());
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

    /// A known solar-system object is told by its diaSource's ssObjectId; its designation
    /// (in the ssSource) is not in the lightcurve.
    fn lightcurve_alert(&self, object_id: &str, points: Vec<Point>) -> Result<Alert, AlertError> {
        self.check_object_id(object_id)?;
        super::lightcurve_alert(Survey::Lsst, object_id, points, |source| {
            (source.i64("ssObjectId").is_some_and(|id| id != 0), None)
        })
    }

    /// A positive integer in decimal, as Rubin's diaObjectId and ssObjectId are.
    fn check_object_id(&self, id: &str) -> Result<(), AlertError> {
        let canonical = id
            .parse::<i64>()
            .is_ok_and(|n| n > 0 && n.to_string() == id);
        if canonical {
            return Ok(());
        }
        let expected = "an LSST id: a positive integer";
        Err(Place::record("").invalid("diaObjectId", shown_str(id), expected))
    }
}

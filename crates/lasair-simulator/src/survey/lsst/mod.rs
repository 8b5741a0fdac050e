//! LSST (Rubin): the southern sky in six bands, pairs of visits every few nights, alerts in the
//! Confluent wire format; objects are numbered by their first diaSourceId.

mod build;
mod records;
mod solar;
#[cfg(test)]
mod tests;

pub use records::LsstSchema;

use apache_avro::Schema;
use lasair_alert::Survey;

use super::{pixel_noise, SurveyParams, SurveySim};
use crate::avro_schema;
use crate::cadence::Cadence;
use crate::datum;
use crate::error::SimError;
use crate::object::{Epoch, Object};
use crate::photometry::Band;
use crate::random::{self, Purpose};
use crate::sky::{FieldGrid, SkyRegion};
use crate::stamps::{Cutouts, StampParams};
use lasair_alert::time::civil;

const FIRST_NIGHT: i64 = 60_800;
/// Offset that makes ids the size of Rubin's (18 digits).
const ID_BASE: i64 = 169_000_000_000_000_000;
/// Forced sources are numbered after detections within an exposure.
const FORCED_SEQ: i64 = 1 << 15;
const SEEING: f64 = 0.8;
const ARCSEC_PER_PX: f64 = 0.2;

pub struct Lsst {
    params: SurveyParams,
    seed: u64,
    version: LsstSchema,
    schema: Schema,
    schema_json: String,
}

fn params() -> SurveyParams {
    let psf_sigma_px = SEEING / 2.355 / ARCSEC_PER_PX;
    SurveyParams {
        cadence: Cadence {
            first_night: FIRST_NIGHT,
            last_night: 61_495,
            gap_nights: (2, 5),
            pair_probability: 0.8,
            bands: &[
                (Band::U, 0.07),
                (Band::G, 0.09),
                (Band::R, 0.22),
                (Band::I, 0.22),
                (Band::Z, 0.2),
                (Band::Y, 0.2),
            ],
            alternate: false,
            night_start: 0.0,
            slot_seconds: 34.0,
            slots: 1000,
            depth: [23.7, 24.5, 24.0, 23.4, 22.8, 22.0],
            depth_scatter: 0.25,
            seeing: (SEEING, 0.15, 0.5),
        },
        sky: SkyRegion {
            dec_min: -90.0,
            dec_max: 30.0,
            plane_boost: 4.0,
        },
        grid: FieldGrid {
            first_field: 0,
            size_deg: 3.5,
            sub: 14,
            sub_count: 189,
        },
        stamp: StampParams {
            size: 30,
            psf_sigma_px,
            noise: pixel_noise(24.0, psf_sigma_px),
            sky: 0.0,
            per_njy: 1.0,
            unit: "nJy",
            gzip: false,
        },
        ss_fraction: 0.03,
        astrometry: 0.05,
        history_from: FIRST_NIGHT as f64,
    }
}

/// Visits counted from the first night, two exposure slots each (the pair).
fn visit_ordinal(epoch: &Epoch) -> i64 {
    (epoch.night - FIRST_NIGHT) * 2048 + i64::from(epoch.slot) * 2 + i64::from(epoch.pass)
}

/// Rubin's visit id: the observing day (YYYYMMDD) and the exposure's number that night.
pub fn visit_id(epoch: &Epoch) -> i64 {
    let (y, m, d) = civil(epoch.mjd - 0.5);
    let day_obs = y * 10_000 + i64::from(m) * 100 + i64::from(d);
    day_obs * 100_000 + i64::from(epoch.slot) * 2 + i64::from(epoch.pass) + 1
}

/// A provisional designation such as "2019 KQ17".
fn designation(h: u64) -> String {
    const HALF_MONTHS: &[u8] = b"ABCDEFGHJKLMNOPQRSTUVWXY";
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNOPQRSTUVWXYZ";
    let year = 1995 + h % 30;
    let first = HALF_MONTHS[(h / 30 % 24) as usize] as char;
    let second = LETTERS[(h / 720 % 25) as usize] as char;
    let number = h / 18_000 % 200;
    if number == 0 {
        format!("{year} {first}{second}")
    } else {
        format!("{year} {first}{second}{number}")
    }
}

impl Lsst {
    pub fn new(seed: u64, version: LsstSchema) -> Result<Self, SimError> {
        let (schema_json, schema) = avro_schema::compile(&records::schema_json(version)?)?;
        Ok(Lsst {
            params: params(),
            seed,
            version,
            schema,
            schema_json,
        })
    }
}

impl SurveySim for Lsst {
    fn params(&self) -> &SurveyParams {
        &self.params
    }

    fn exposure(&self, object: &Object, epoch: &Epoch) -> i64 {
        visit_ordinal(epoch) * 256 + i64::from(object.sub)
    }

    fn source_id(&self, exposure: i64, seq: u32) -> i64 {
        ID_BASE + (exposure << 16) + i64::from(seq).min(FORCED_SEQ - 1)
    }

    fn forced_id(&self, exposure: i64, seq: u32) -> i64 {
        ID_BASE + (exposure << 16) + FORCED_SEQ + i64::from(seq).min(FORCED_SEQ - 1)
    }

    /// A diaObject takes the id of its first diaSource, as Rubin's do; asteroids get an
    /// ssObjectId and a designation instead.
    fn name_objects(&self, objects: &mut [Object]) {
        for object in objects.iter_mut() {
            let first = object
                .epochs
                .iter()
                .find(|e| e.detected)
                .map_or(0, |e| e.source_id);
            if object.ss_name.is_some() {
                let h = random::hash(self.seed, Purpose::Object, &[first as u64, 0x55]);
                object.number = (h % 9_000_000_000_000_000) as i64 + 1_000_000_000;
                object.ss_name = Some(designation(h >> 8));
            } else {
                object.number = first;
            }
            object.name = object.number.to_string();
        }
    }

    fn encode(
        &self,
        object: &Object,
        k: usize,
        cutouts: Option<&Cutouts>,
    ) -> Result<Vec<u8>, SimError> {
        let id = object.epochs[k].source_id;
        let alert = build::alert(self.seed, object, k, cutouts, self.version);
        let body = datum::encode(&self.schema, &alert, Survey::Lsst, id)?;
        Ok(lasair_alert::frame_wire(self.version.schema_id(), &body))
    }

    fn schema_json(&self) -> &str {
        &self.schema_json
    }

    fn needs_schema(&self) -> bool {
        true
    }

    fn file_extension(&self) -> &'static str {
        "bin"
    }
}

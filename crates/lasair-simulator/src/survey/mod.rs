//! What differs between the surveys: their sky, cadence and depth, how they number sources and
//! name objects, and their alert formats. One module per survey behind [`SurveySim`]; the
//! only `match` on [`Survey`] is here.

mod lsst;
#[cfg(test)]
mod schema_check;
mod ztf;

pub use lsst::LsstSchema;

use lasair_alert::Survey;

use crate::cadence::Cadence;
use crate::error::SimError;
use crate::object::{Epoch, Object};
use crate::photometry::sigma_at_limit;
use crate::sky::{FieldGrid, SkyRegion};
use crate::stamps::{Cutouts, StampParams};

/// A survey's observing parameters.
#[derive(Debug, Clone)]
pub struct SurveyParams {
    pub cadence: Cadence,
    pub sky: SkyRegion,
    pub grid: FieldGrid,
    pub stamp: StampParams,
    /// Share of alerts that are known asteroids.
    pub ss_fraction: f64,
    /// Astrometric scatter (arcsec) of a 5-sigma detection.
    pub astrometry: f64,
    /// The survey's first night (MJD): no history before it.
    pub history_from: f64,
}

/// Survey-specific behaviour of the simulator.
pub trait SurveySim: Send + Sync {
    fn params(&self) -> &SurveyParams;

    /// The exposure a measurement belongs to (ZTF: pid; LSST: visit and detector); source
    /// ids are numbered within it.
    fn exposure(&self, object: &Object, epoch: &Epoch) -> i64;

    /// The id of the `seq`-th detection in an exposure.
    fn source_id(&self, exposure: i64, seq: u32) -> i64;

    /// The id of the `seq`-th forced measurement in an exposure; 0 if the survey has none.
    fn forced_id(&self, exposure: i64, seq: u32) -> i64;

    /// Names every object once its detections have ids.
    fn name_objects(&self, objects: &mut [Object]);

    /// The wire bytes of the alert of object's epoch `k`.
    fn encode(
        &self,
        object: &Object,
        k: usize,
        cutouts: Option<&Cutouts>,
    ) -> Result<Vec<u8>, SimError>;

    /// The writer schema, as one self-contained JSON document.
    fn schema_json(&self) -> &str;

    /// Whether payloads need the schema given separately (wire format) rather than carrying
    /// it (object container files).
    fn needs_schema(&self) -> bool;

    /// File name extension of one alert.
    fn file_extension(&self) -> &'static str;
}

/// The simulator of a survey; LSST's writes the Rubin schema `lsst`.
pub fn for_survey(
    survey: Survey,
    seed: u64,
    lsst: LsstSchema,
) -> Result<Box<dyn SurveySim>, SimError> {
    Ok(match survey {
        Survey::Ztf => Box::new(ztf::Ztf::new(seed)?),
        Survey::Lsst => Box::new(lsst::Lsst::new(seed, lsst)?),
    })
}

/// Per-pixel noise (nJy) that gives a point source of the PSF width the survey's depth.
fn pixel_noise(depth: f64, psf_sigma_px: f64) -> f64 {
    // A PSF fit's noise is the pixel noise times sqrt(4 pi sigma^2).
    sigma_at_limit(depth) / (4.0 * std::f64::consts::PI * psf_sigma_px * psf_sigma_px).sqrt()
}

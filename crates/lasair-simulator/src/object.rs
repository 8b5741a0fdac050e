//! One simulated object: where it is, what surrounds it, and every exposure of its field from
//! its first appearance to its last alert (detections and the non-detections between them).

use rand::Rng;

use crate::cadence::Visit;
use crate::lightcurve::Model;
use crate::photometry::{Band, Measurement};
use crate::random::normal;

/// What the reference catalogues hold at an object's position (ZTF's nearest reference source
/// and nearest Pan-STARRS1 source; LSST's extendedness follows from it).
#[derive(Debug, Clone)]
pub struct Context {
    /// Distance (arcsec) and magnitude of the nearest source in the reference image.
    pub nr_dist: Option<f64>,
    pub nr_mag: Option<f64>,
    pub ps1_dist: f64,
    /// Star-galaxy score: 1 a star, 0 a galaxy.
    pub ps1_score: f64,
    pub ps1_g: f64,
    pub ps1_r: f64,
    pub ps1_id: i64,
}

/// One exposure of the object's field.
#[derive(Debug, Clone)]
pub struct Epoch {
    pub mjd: f64,
    pub night: i64,
    pub slot: u32,
    pub pass: u8,
    pub band: Band,
    pub limit: f64,
    pub seeing: f64,
    /// Measured difference flux (nJy), and the true flux of the reference image.
    pub measured: Measurement,
    pub reference: f64,
    pub detected: bool,
    /// Measured position (degrees): the object's plus astrometric noise.
    pub ra: f64,
    pub dec: f64,
    /// Survey id of the detection (ZTF candid, LSST diaSourceId); 0 if not detected.
    pub source_id: i64,
    /// Survey id of the forced measurement (LSST diaForcedSourceId); 0 where unused.
    pub forced_id: i64,
}

/// A simulated object and its lightcurve.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: crate::lightcurve::Kind,
    pub ra: f64,
    pub dec: f64,
    pub field: u32,
    /// ZTF readout channel (rcid) or LSST detector.
    pub sub: u32,
    pub context: Context,
    pub epochs: Vec<Epoch>,
    /// ZTF objectId, or the LSST diaObjectId (ssObjectId for asteroids) in decimal.
    pub name: String,
    /// LSST diaObjectId or ssObjectId; 0 for ZTF.
    pub number: i64,
    /// When the survey first detected it (MJD), which may predate the simulation for stars.
    pub history_start: f64,
    /// Detections and exposures of the position before the simulation began.
    pub prior_detections: u32,
    pub prior_coverage: u32,
    /// Designation of a known asteroid.
    pub ss_name: Option<String>,
}

impl Object {
    /// Epochs before `k` within `days` of it, oldest first: the history alert `k` carries.
    pub fn history(&self, k: usize, days: f64) -> &[Epoch] {
        let now = self.epochs[k].mjd;
        let first = self.epochs[..k].partition_point(|e| e.mjd < now - days);
        &self.epochs[first..k]
    }

    /// Detections up to and including epoch `k`.
    pub fn detections_until(&self, k: usize) -> usize {
        self.epochs[..=k].iter().filter(|e| e.detected).count()
    }
}

/// How many detections an object owes, and by when.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub quota: usize,
    /// After this many epochs every measurement is a detection.
    pub patience: usize,
    /// The survey's last night and the mean days between visits of a field: detections are
    /// also forced once the visits left before the end would barely hold those still owed.
    pub end: f64,
    pub days_per_visit: f64,
}

/// Follows a model through a field's visits until `plan.quota` detections have been made.
///
/// A detection is a 5-sigma difference flux. Should the model stay undetectable too long
/// (a faint variable in a quiet phase) or the survey's end come near, it is made to brighten,
/// so that every object delivers its quota within the survey's dates and the total number
/// of alerts is exactly what was asked for.
pub fn observe(
    rng: &mut impl Rng,
    model: &mut Model,
    visits: impl Iterator<Item = Visit>,
    plan: Plan,
    position: (f64, f64),
    astrometry: f64,
) -> Vec<Epoch> {
    let mut epochs = Vec::new();
    let mut found = 0;
    for v in visits {
        if found == plan.quota {
            break;
        }
        let flux = model.flux(rng, v.mjd, v.band);
        let mut measured = Measurement::observe(rng, flux.difference(), v.limit);
        let visits_left = (plan.end - v.mjd) / plan.days_per_visit;
        let late = visits_left <= 1.5 * (plan.quota - found) as f64;
        if (epochs.len() >= plan.patience || late) && !measured.detected() {
            measured.flux = 6.0 * measured.flux_err * flux.difference().signum();
        }
        let detected = measured.detected();
        found += usize::from(detected);
        // Centroids scatter more for faint detections.
        let scatter = astrometry / 3600.0 * (5.0 / measured.snr().max(1.0)).max(0.2);
        let (ra, dec) = position;
        let ra = (ra + scatter * normal(rng) / dec.to_radians().cos().max(0.01)).rem_euclid(360.0);
        let dec = (dec + scatter * normal(rng)).clamp(-90.0, 90.0);
        epochs.push(Epoch {
            mjd: v.mjd,
            night: v.night,
            slot: v.slot,
            pass: v.pass,
            band: v.band,
            limit: v.limit,
            seeing: v.seeing,
            measured,
            reference: flux.reference,
            detected,
            ra,
            dec,
            source_id: 0,
            forced_id: 0,
        });
    }
    epochs
}

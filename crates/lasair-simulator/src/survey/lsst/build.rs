//! LSST alert records from a simulated object: the diaSource, a year of earlier diaSources and
//! forced sources, the diaObject summary, the ssSource of known asteroids.

use rand::Rng;

use super::records::{Alert, DiaForcedSource, DiaObject, DiaSource, SsSource};
use super::visit_id;
use crate::object::{Epoch, Object};
use crate::photometry::{njy_to_mag, Band};
use crate::random::{keyed, uniform, Purpose};
use crate::sky;
use crate::stamps::Cutouts;

/// Rubin alerts carry a year of history.
const HISTORY_DAYS: f64 = 365.0;
/// Alerts go out about two minutes after the exposure.
const PROCESSING_DAYS: f64 = 0.0015;

pub fn dia_source(seed: u64, object: &Object, epoch: &Epoch) -> DiaSource {
    let mut rng = keyed(seed, Purpose::Detection, &[epoch.source_id as u64]);
    let m = epoch.measured;
    let position_err = (0.05 / 3600.0 * 5.0 / m.snr().max(1.0)) as f32;
    let asteroid = object.ss_name.is_some();
    // Difference sources are point-like; a galaxy host makes the measurement a little broader.
    let extendedness = ((1.0 - object.context.ps1_score) * uniform(&mut rng, 0.0, 0.5)) as f32;
    DiaSource {
        diaSourceId: epoch.source_id,
        visit: visit_id(epoch),
        detector: object.sub as i32,
        diaObjectId: (!asteroid).then_some(object.number),
        ssObjectId: asteroid.then_some(object.number),
        midpointMjdTai: epoch.mjd,
        ra: epoch.ra,
        raErr: Some(position_err),
        dec: epoch.dec,
        decErr: Some(position_err),
        ra_dec_Cov: Some(position_err * position_err * uniform(&mut rng, -0.1, 0.1) as f32),
        x: uniform(&mut rng, 10.0, 4062.0) as f32,
        y: uniform(&mut rng, 10.0, 3990.0) as f32,
        centroid_flag: Some(false),
        apFlux: Some((m.flux * uniform(&mut rng, 0.95, 1.08)) as f32),
        apFluxErr: Some((m.flux_err * 1.2) as f32),
        isNegative: Some(m.flux < 0.0),
        snr: Some(m.snr() as f32),
        psfFlux: Some(m.flux as f32),
        psfFluxErr: Some(m.flux_err as f32),
        psfChi2: Some(uniform(&mut rng, 300.0, 1500.0) as f32),
        psfNdata: Some(rng.random_range(400..1200)),
        scienceFlux: Some((epoch.reference + m.flux) as f32),
        scienceFluxErr: Some((m.flux_err * 0.9) as f32),
        templateFlux: Some(epoch.reference as f32),
        templateFluxErr: Some((m.flux_err * 0.5) as f32),
        extendedness: Some(extendedness),
        reliability: Some(uniform(&mut rng, 0.6, 1.0) as f32),
        band: Some(epoch.band.letter()),
        isDipole: Some(rng.random::<f64>() < 0.02),
        timeProcessedMjdTai: epoch.mjd + PROCESSING_DAYS,
        timeWithdrawnMjdTai: None,
        pixelFlags: Some(false),
    }
}

fn forced_source(object: &Object, epoch: &Epoch) -> DiaForcedSource {
    let m = epoch.measured;
    DiaForcedSource {
        diaForcedSourceId: epoch.forced_id,
        diaObjectId: object.number,
        ra: object.ra,
        dec: object.dec,
        visit: visit_id(epoch),
        detector: object.sub as i32,
        psfFlux: Some(m.flux as f32),
        psfFluxErr: Some(m.flux_err as f32),
        midpointMjdTai: epoch.mjd,
        scienceFlux: Some((epoch.reference + m.flux) as f32),
        scienceFluxErr: Some((m.flux_err * 0.9) as f32),
        band: Some(epoch.band.letter()),
        timeProcessedMjdTai: epoch.mjd + PROCESSING_DAYS,
        timeWithdrawnMjdTai: None,
    }
}

/// Per-band mean flux, its error and the count over the detections up to epoch `k`.
fn band_stats(object: &Object, k: usize, band: Band) -> (Option<f32>, Option<f32>, Option<i32>) {
    let fluxes: Vec<_> = object.epochs[..=k]
        .iter()
        .filter(|e| e.detected && e.band == band)
        .map(|e| e.measured)
        .collect();
    if fluxes.is_empty() {
        return (None, None, None);
    }
    let n = fluxes.len() as f64;
    let mean = fluxes.iter().map(|m| m.flux).sum::<f64>() / n;
    let err = fluxes
        .iter()
        .map(|m| m.flux_err * m.flux_err)
        .sum::<f64>()
        .sqrt()
        / n;
    (
        Some(mean as f32),
        Some(err as f32),
        Some(fluxes.len() as i32),
    )
}

fn dia_object(object: &Object, k: usize) -> DiaObject {
    let detections: Vec<&Epoch> = object.epochs[..=k].iter().filter(|e| e.detected).collect();
    let n = detections.len().max(1) as f64;
    let ra = detections.iter().map(|e| e.ra).sum::<f64>() / n;
    let dec = detections.iter().map(|e| e.dec).sum::<f64>() / n;
    let err = (0.05 / 3600.0 / n.sqrt()) as f32;
    let [u, g, r, i, z, y] = Band::ALL.map(|b| band_stats(object, k, b));
    DiaObject {
        diaObjectId: object.number,
        validityStartMjdTai: object.epochs[k].mjd,
        ra,
        raErr: Some(err),
        dec,
        decErr: Some(err),
        u_psfFluxMean: u.0,
        u_psfFluxMeanErr: u.1,
        u_psfFluxNdata: u.2,
        g_psfFluxMean: g.0,
        g_psfFluxMeanErr: g.1,
        g_psfFluxNdata: g.2,
        r_psfFluxMean: r.0,
        r_psfFluxMeanErr: r.1,
        r_psfFluxNdata: r.2,
        i_psfFluxMean: i.0,
        i_psfFluxMeanErr: i.1,
        i_psfFluxNdata: i.2,
        z_psfFluxMean: z.0,
        z_psfFluxMeanErr: z.1,
        z_psfFluxNdata: z.2,
        y_psfFluxMean: y.0,
        y_psfFluxMeanErr: y.1,
        y_psfFluxNdata: y.2,
        firstDiaSourceMjdTai: detections.first().map(|e| e.mjd),
        lastDiaSourceMjdTai: detections.last().map(|e| e.mjd),
        nDiaSources: detections.len() as i32,
    }
}

fn ss_source(seed: u64, object: &Object, epoch: &Epoch) -> SsSource {
    let mut rng = keyed(seed, Purpose::Detection, &[epoch.source_id as u64, 1]);
    let (ecl_lambda, ecl_beta) = sky::ecliptic(epoch.ra, epoch.dec);
    let (gal_lon, gal_lat) = lasair_sky::galactic(epoch.ra, epoch.dec);
    let topo = uniform(&mut rng, 0.8, 3.5);
    SsSource {
        diaSourceId: epoch.source_id,
        ssObjectId: object.number,
        designation: object.ss_name.clone(),
        eclLambda: ecl_lambda,
        eclBeta: ecl_beta,
        galLon: gal_lon,
        galLat: gal_lat,
        elongation: Some(uniform(&mut rng, 60.0, 180.0) as f32),
        phaseAngle: Some(uniform(&mut rng, 2.0, 30.0) as f32),
        topoRange: Some(topo as f32),
        helioRange: Some((topo + uniform(&mut rng, 0.5, 1.0)) as f32),
        ephRa: Some(epoch.ra + uniform(&mut rng, -1e-5, 1e-5)),
        ephDec: Some(epoch.dec + uniform(&mut rng, -1e-5, 1e-5)),
        ephVmag: Some((njy_to_mag(epoch.measured.flux) + uniform(&mut rng, 0.0, 0.4)) as f32),
    }
}

/// The alert of an object's epoch `k`.
pub fn alert<'a>(seed: u64, object: &Object, k: usize, cutouts: Option<&'a Cutouts>) -> Alert<'a> {
    let epoch = &object.epochs[k];
    let asteroid = object.ss_name.is_some();
    let history = object.history(k, HISTORY_DAYS);
    let prv: Vec<DiaSource> = history
        .iter()
        .filter(|e| e.detected)
        .map(|e| dia_source(seed, object, e))
        .collect();
    let forced: Vec<DiaForcedSource> = history.iter().map(|e| forced_source(object, e)).collect();
    Alert {
        diaSourceId: epoch.source_id,
        observation_reason: Some("pairs"),
        target_name: Some("lowdust"),
        diaSource: dia_source(seed, object, epoch),
        prvDiaSources: (!prv.is_empty()).then_some(prv),
        prvDiaForcedSources: (!forced.is_empty() && !asteroid).then_some(forced),
        diaObject: (!asteroid).then(|| dia_object(object, k)),
        ssSource: asteroid.then(|| ss_source(seed, object, epoch)),
        cutoutDifference: cutouts.map(|c| &*c.difference),
        cutoutScience: cutouts.map(|c| &*c.science),
        cutoutTemplate: cutouts.map(|c| &*c.template),
    }
}

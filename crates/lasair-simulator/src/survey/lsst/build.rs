//! LSST alert records from a simulated object: the diaSource, a year of earlier diaSources and
//! forced sources, the diaObject summary, the ssSource and mpc_orbits of known asteroids.

use rand::Rng;

use super::records::{Alert, DiaForcedSource, DiaObject, DiaSource, LsstSchema};
use super::{solar, visit_id, ARCSEC_PER_PX};
use crate::object::{Epoch, Object};
use crate::photometry::Band;
use crate::random::{keyed, uniform, Purpose};
use crate::stamps::Cutouts;

/// Rubin alerts carry a year of history.
const HISTORY_DAYS: f64 = 365.0;
/// Alerts go out about two minutes after the exposure.
const PROCESSING_DAYS: f64 = 0.0015;

pub fn dia_source(seed: u64, object: &Object, epoch: &Epoch, version: LsstSchema) -> DiaSource {
    let mut rng = keyed(seed, Purpose::Detection, &[epoch.source_id as u64]);
    let m = epoch.measured;
    let position_err = (0.05 / 3600.0 * 5.0 / m.snr().max(1.0)) as f32;
    let pixel_err = position_err * 3600.0 / ARCSEC_PER_PX as f32;
    let asteroid = object.ss_name.is_some();
    // Difference sources are point-like; a galaxy host makes the measurement a little broader.
    let extendedness = ((1.0 - object.context.ps1_score) * uniform(&mut rng, 0.0, 0.5)) as f32;
    // Second moments (nJy arcsec^2 per nJy, as Rubin's are small numbers): the PSF's from the
    // seeing, the source's a little wider for extended ones.
    let psf_moment = (epoch.seeing / 2.355).powi(2);
    let moment =
        |rng: &mut rand::rngs::StdRng, base: f64| Some((base * uniform(rng, 0.9, 1.1)) as f32);
    let ixx_psf = moment(&mut rng, psf_moment);
    let iyy_psf = moment(&mut rng, psf_moment);
    let ixy_psf = Some((psf_moment * uniform(&mut rng, -0.15, 0.15)) as f32);
    let source_moment = psf_moment * (1.0 + f64::from(extendedness));
    let ixx = moment(&mut rng, source_moment);
    let iyy = moment(&mut rng, source_moment);
    let ixy = Some((source_moment * uniform(&mut rng, -0.15, 0.15)) as f32);
    // The trail fit: a point for most, a streak for asteroids (deg/day over a 30 s exposure).
    let trail_length = if asteroid {
        uniform(&mut rng, 2.0, 12.0)
    } else {
        uniform(&mut rng, 0.0, 0.8)
    };
    let is_dipole = rng.random::<f64>() < 0.02;
    let dipole = |rng: &mut rand::rngs::StdRng, v: f64| {
        is_dipole.then(|| (v * uniform(rng, 0.9, 1.1)) as f32)
    };
    let trail_angle = uniform(&mut rng, 0.0, 180.0);
    DiaSource {
        diaSourceId: epoch.source_id,
        visit: visit_id(epoch),
        detector: object.sub as i32,
        diaObjectId: (!asteroid).then_some(object.number),
        ssObjectId: asteroid.then_some(object.number),
        parentDiaSourceId: Some(0),
        midpointMjdTai: epoch.mjd,
        ra: epoch.ra,
        raErr: Some(position_err),
        dec: epoch.dec,
        decErr: Some(position_err),
        ra_dec_Cov: Some(position_err * position_err * uniform(&mut rng, -0.1, 0.1) as f32),
        x: uniform(&mut rng, 10.0, 4062.0) as f32,
        xErr: Some(pixel_err),
        y: uniform(&mut rng, 10.0, 3990.0) as f32,
        yErr: Some(pixel_err),
        centroid_flag: Some(false),
        apFlux: Some((m.flux * uniform(&mut rng, 0.95, 1.08)) as f32),
        apFluxErr: Some((m.flux_err * 1.2) as f32),
        apFlux_flag: Some(false),
        apFlux_flag_apertureTruncated: Some(false),
        isNegative: Some(m.flux < 0.0),
        snr: Some(m.snr() as f32),
        psfFlux: Some(m.flux as f32),
        psfFluxErr: Some(m.flux_err as f32),
        psfLnL: Some((-0.5 * uniform(&mut rng, 300.0, 1500.0)) as f32),
        psfChi2: Some(uniform(&mut rng, 300.0, 1500.0) as f32),
        psfNdata: version.count(rng.random_range(400..1700)),
        psfFlux_flag: Some(false),
        psfFlux_flag_edge: Some(false),
        psfFlux_flag_noGoodPixels: Some(false),
        trailFlux: Some((m.flux * uniform(&mut rng, 0.95, 1.05)) as f32),
        trailFluxErr: Some((m.flux_err * 1.1) as f32),
        trailRa: Some(epoch.ra + uniform(&mut rng, -2e-6, 2e-6)),
        trailRaErr: Some(position_err * 1.5),
        trailDec: Some(epoch.dec + uniform(&mut rng, -2e-6, 2e-6)),
        trailDecErr: Some(position_err * 1.5),
        trailLength: Some(trail_length as f32),
        trailLengthErr: Some((trail_length * 0.1 + 0.05) as f32),
        trailAngle: Some(trail_angle as f32),
        trailAngleErr: Some(uniform(&mut rng, 1.0, 20.0) as f32),
        trailChi2: Some(uniform(&mut rng, 300.0, 1500.0) as f32),
        trailNdata: version.count(rng.random_range(400..1700)),
        trail_flag_edge: Some(false),
        dipoleMeanFlux: dipole(&mut rng, m.flux),
        dipoleMeanFluxErr: dipole(&mut rng, m.flux_err),
        dipoleFluxDiff: dipole(&mut rng, m.flux * 0.5),
        dipoleFluxDiffErr: dipole(&mut rng, m.flux_err),
        dipoleLength: dipole(&mut rng, epoch.seeing * 0.5),
        dipoleAngle: is_dipole.then(|| uniform(&mut rng, 0.0, 180.0) as f32),
        dipoleChi2: dipole(&mut rng, 800.0),
        dipoleNdata: version.count(if is_dipole {
            rng.random_range(400..1700)
        } else {
            0
        }),
        scienceFlux: Some((epoch.reference + m.flux) as f32),
        scienceFluxErr: Some((m.flux_err * 0.9) as f32),
        forced_PsfFlux_flag: Some(false),
        forced_PsfFlux_flag_edge: Some(false),
        forced_PsfFlux_flag_noGoodPixels: Some(false),
        templateFlux: Some(epoch.reference as f32),
        templateFluxErr: Some((m.flux_err * 0.5) as f32),
        ixx,
        iyy,
        ixy,
        ixxPSF: ixx_psf,
        iyyPSF: iyy_psf,
        ixyPSF: ixy_psf,
        shape_flag: Some(false),
        shape_flag_no_pixels: Some(false),
        shape_flag_not_contained: Some(false),
        shape_flag_parent_source: Some(false),
        extendedness: Some(extendedness),
        reliability: Some(uniform(&mut rng, 0.6, 1.0) as f32),
        band: Some(epoch.band.letter()),
        isDipole: Some(is_dipole),
        dipoleFitAttempted: Some(is_dipole),
        timeProcessedMjdTai: epoch.mjd + PROCESSING_DAYS,
        timeWithdrawnMjdTai: None,
        bboxSize: version.count(rng.random_range(12..40)),
        pixelFlags: Some(false),
        pixelFlags_bad: Some(false),
        pixelFlags_cr: Some(false),
        pixelFlags_crCenter: Some(false),
        pixelFlags_edge: Some(false),
        pixelFlags_nodata: Some(false),
        pixelFlags_nodataCenter: Some(false),
        pixelFlags_interpolated: Some(false),
        pixelFlags_interpolatedCenter: Some(false),
        pixelFlags_offimage: Some(false),
        pixelFlags_saturated: Some(false),
        pixelFlags_saturatedCenter: Some(false),
        pixelFlags_suspect: Some(false),
        pixelFlags_suspectCenter: Some(false),
        pixelFlags_streak: Some(false),
        pixelFlags_streakCenter: Some(false),
        pixelFlags_injected: Some(false),
        pixelFlags_injectedCenter: Some(false),
        pixelFlags_injected_template: Some(false),
        pixelFlags_injected_templateCenter: Some(false),
        glint_trail: Some(false),
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

/// The inverse-variance weighted mean of values with errors, and its standard error.
fn weighted_mean(values: &[(f64, f64)]) -> (Option<f32>, Option<f32>) {
    let weights: f64 = values.iter().map(|(_, e)| 1.0 / (e * e)).sum();
    if values.is_empty() || weights.is_nan() || weights <= 0.0 {
        return (None, None);
    }
    let mean = values.iter().map(|(v, e)| v / (e * e)).sum::<f64>() / weights;
    (Some(mean as f32), Some((1.0 / weights.sqrt()) as f32))
}

/// One band's summary in a diaObject, as Rubin's DiaObject defines it.
#[derive(Debug, Default)]
struct BandSummary {
    psf_mean: (Option<f32>, Option<f32>),
    psf_sigma: Option<f32>,
    ndata: usize,
    fp_mean: (Option<f32>, Option<f32>),
    science_mean: (Option<f32>, Option<f32>),
    min: Option<f32>,
    max: Option<f32>,
    max_slope: Option<f32>,
    err_mean: Option<f32>,
}

/// The band's summary over the detections (psf and science fluxes) and the forced
/// measurements (every visit, detected or not) up to epoch `k`.
fn band_summary(object: &Object, k: usize, band: Band) -> BandSummary {
    let epochs: Vec<&Epoch> = object.epochs[..=k]
        .iter()
        .filter(|e| e.band == band)
        .collect();
    let detections: Vec<&Epoch> = epochs.iter().copied().filter(|e| e.detected).collect();
    let psf: Vec<(f64, f64)> = detections
        .iter()
        .map(|e| (e.measured.flux, e.measured.flux_err))
        .collect();
    let forced: Vec<(f64, f64)> = epochs
        .iter()
        .map(|e| (e.measured.flux, e.measured.flux_err))
        .collect();
    let science: Vec<(f64, f64)> = detections
        .iter()
        .map(|e| (e.reference + e.measured.flux, e.measured.flux_err * 0.9))
        .collect();
    let n = psf.len();
    let fluxes = psf.iter().map(|(f, _)| *f);
    let sigma = (n > 1).then(|| {
        let mean = fluxes.clone().sum::<f64>() / n as f64;
        let var = fluxes.clone().map(|f| (f - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        var.sqrt() as f32
    });
    let max_slope = detections
        .windows(2)
        .filter(|w| w[1].mjd > w[0].mjd)
        .map(|w| (w[1].measured.flux - w[0].measured.flux) / (w[1].mjd - w[0].mjd))
        .max_by(f64::total_cmp);
    BandSummary {
        psf_mean: weighted_mean(&psf),
        psf_sigma: sigma,
        ndata: n,
        fp_mean: weighted_mean(&forced),
        science_mean: weighted_mean(&science),
        min: fluxes.clone().min_by(f64::total_cmp).map(|f| f as f32),
        max: fluxes.max_by(f64::total_cmp).map(|f| f as f32),
        max_slope: max_slope.map(|s| s as f32),
        err_mean: (n > 0).then(|| (psf.iter().map(|(_, e)| e).sum::<f64>() / n as f64) as f32),
    }
}

fn dia_object(object: &Object, k: usize, version: LsstSchema) -> DiaObject {
    let detections: Vec<&Epoch> = object.epochs[..=k].iter().filter(|e| e.detected).collect();
    let n = detections.len().max(1) as f64;
    let ra = detections.iter().map(|e| e.ra).sum::<f64>() / n;
    let dec = detections.iter().map(|e| e.dec).sum::<f64>() / n;
    let err = (0.05 / 3600.0 / n.sqrt()) as f32;
    let [u, g, r, i, z, y] = Band::ALL.map(|b| band_summary(object, k, b));
    DiaObject {
        diaObjectId: object.number,
        validityStartMjdTai: object.epochs[k].mjd,
        ra,
        raErr: Some(err),
        dec,
        decErr: Some(err),
        ra_dec_Cov: Some(err * err * 0.05),
        u_psfFluxMean: u.psf_mean.0,
        u_psfFluxMeanErr: u.psf_mean.1,
        u_psfFluxSigma: u.psf_sigma,
        u_psfFluxNdata: version.count(u.ndata),
        u_fpFluxMean: u.fp_mean.0,
        u_fpFluxMeanErr: u.fp_mean.1,
        g_psfFluxMean: g.psf_mean.0,
        g_psfFluxMeanErr: g.psf_mean.1,
        g_psfFluxSigma: g.psf_sigma,
        g_psfFluxNdata: version.count(g.ndata),
        g_fpFluxMean: g.fp_mean.0,
        g_fpFluxMeanErr: g.fp_mean.1,
        r_psfFluxMean: r.psf_mean.0,
        r_psfFluxMeanErr: r.psf_mean.1,
        r_psfFluxSigma: r.psf_sigma,
        r_psfFluxNdata: version.count(r.ndata),
        r_fpFluxMean: r.fp_mean.0,
        r_fpFluxMeanErr: r.fp_mean.1,
        i_psfFluxMean: i.psf_mean.0,
        i_psfFluxMeanErr: i.psf_mean.1,
        i_psfFluxSigma: i.psf_sigma,
        i_psfFluxNdata: version.count(i.ndata),
        i_fpFluxMean: i.fp_mean.0,
        i_fpFluxMeanErr: i.fp_mean.1,
        z_psfFluxMean: z.psf_mean.0,
        z_psfFluxMeanErr: z.psf_mean.1,
        z_psfFluxSigma: z.psf_sigma,
        z_psfFluxNdata: version.count(z.ndata),
        z_fpFluxMean: z.fp_mean.0,
        z_fpFluxMeanErr: z.fp_mean.1,
        y_psfFluxMean: y.psf_mean.0,
        y_psfFluxMeanErr: y.psf_mean.1,
        y_psfFluxSigma: y.psf_sigma,
        y_psfFluxNdata: version.count(y.ndata),
        y_fpFluxMean: y.fp_mean.0,
        y_fpFluxMeanErr: y.fp_mean.1,
        u_scienceFluxMean: u.science_mean.0,
        u_scienceFluxMeanErr: u.science_mean.1,
        g_scienceFluxMean: g.science_mean.0,
        g_scienceFluxMeanErr: g.science_mean.1,
        r_scienceFluxMean: r.science_mean.0,
        r_scienceFluxMeanErr: r.science_mean.1,
        i_scienceFluxMean: i.science_mean.0,
        i_scienceFluxMeanErr: i.science_mean.1,
        z_scienceFluxMean: z.science_mean.0,
        z_scienceFluxMeanErr: z.science_mean.1,
        y_scienceFluxMean: y.science_mean.0,
        y_scienceFluxMeanErr: y.science_mean.1,
        u_psfFluxMin: u.min,
        u_psfFluxMax: u.max,
        u_psfFluxMaxSlope: u.max_slope,
        u_psfFluxErrMean: u.err_mean,
        g_psfFluxMin: g.min,
        g_psfFluxMax: g.max,
        g_psfFluxMaxSlope: g.max_slope,
        g_psfFluxErrMean: g.err_mean,
        r_psfFluxMin: r.min,
        r_psfFluxMax: r.max,
        r_psfFluxMaxSlope: r.max_slope,
        r_psfFluxErrMean: r.err_mean,
        i_psfFluxMin: i.min,
        i_psfFluxMax: i.max,
        i_psfFluxMaxSlope: i.max_slope,
        i_psfFluxErrMean: i.err_mean,
        z_psfFluxMin: z.min,
        z_psfFluxMax: z.max,
        z_psfFluxMaxSlope: z.max_slope,
        z_psfFluxErrMean: z.err_mean,
        y_psfFluxMin: y.min,
        y_psfFluxMax: y.max,
        y_psfFluxMaxSlope: y.max_slope,
        y_psfFluxErrMean: y.err_mean,
        firstDiaSourceMjdTai: detections.first().map(|e| e.mjd),
        lastDiaSourceMjdTai: detections.last().map(|e| e.mjd),
        nDiaSources: detections.len() as i32,
    }
}

/// The alert of an object's epoch `k`.
pub fn alert<'a>(
    seed: u64,
    object: &Object,
    k: usize,
    cutouts: Option<&'a Cutouts>,
    version: LsstSchema,
) -> Alert<'a> {
    let epoch = &object.epochs[k];
    let asteroid = object.ss_name.is_some();
    let history = object.history(k, HISTORY_DAYS);
    let prv: Vec<DiaSource> = history
        .iter()
        .filter(|e| e.detected)
        .map(|e| dia_source(seed, object, e, version))
        .collect();
    let forced: Vec<DiaForcedSource> = history.iter().map(|e| forced_source(object, e)).collect();
    Alert {
        diaSourceId: epoch.source_id,
        observation_reason: Some("pairs"),
        target_name: Some("lowdust"),
        diaSource: dia_source(seed, object, epoch, version),
        prvDiaSources: (!prv.is_empty()).then_some(prv),
        prvDiaForcedSources: (!forced.is_empty() && !asteroid).then_some(forced),
        diaObject: (!asteroid).then(|| dia_object(object, k, version)),
        ssSource: asteroid.then(|| solar::ss_source(seed, object, epoch)),
        mpc_orbits: asteroid.then(|| solar::mpc_orbits(seed, object, epoch)),
        cutoutDifference: cutouts.map(|c| &*c.difference),
        cutoutScience: cutouts.map(|c| &*c.science),
        cutoutTemplate: cutouts.map(|c| &*c.template),
    }
}

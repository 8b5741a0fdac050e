//! The Bazin x blackbody (BBB) fit of Lasair-LSST: the lightcurve as a surface in time and
//! wavelength, flux = A B(λ, T) e^(-kf τ) / (1 + e^(-kr τ)) with τ = t - t0 (a Bazin rise
//! and fall), or A B(λ, T) e^(k t) (a pure exponential rise); whichever fits better by AIC.
//!
//! As Lasair: at least 5 diaSources; t counts days from the first; up to 4 forced-photometry
//! points before it are prepended; residuals are unweighted fluxes (nJy); the fits start from
//! Lasair's two sets of first guesses in turn, and are rejected by its rules (Bazin:
//! SSE/SST > 0.25, kr outside 0..15, kf outside 0..2; exponential: SSE/SST > 0.35, k outside
//! 0..2, or 10 sigma of k larger than k).

use super::blackbody::{band_index, brightest_wavelength, planck, planck_dt, WAVELENGTH};
use super::Source;
use crate::fit::{levenberg_marquardt, Model};

/// Fewer diaSources than this are not fitted.
const MIN_SOURCES: usize = 5;
/// Forced-photometry points prepended before the first detection, at most.
const FORCED_BEFORE: usize = 4;
/// Trial steps allowed each fit.
const MAX_STEPS: usize = 500;

/// A successful fit, as the `objects` columns give it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bbb {
    /// kr of a Bazin fit, k of an exponential one (per day).
    pub rise_rate: f64,
    /// kf of a Bazin fit (per day).
    pub fall_rate: Option<f64>,
    /// Temperature, kK.
    pub temp: f64,
    /// Bazin fits: the flux at the peak, in the band where the blackbody is brightest (nJy).
    pub peak_flux: Option<f64>,
    /// Bazin fits: the MJD of the peak.
    pub peak_mjd: Option<f64>,
}

/// One point: days since discovery, band (index in [`WAVELENGTH`]), flux (nJy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Obs {
    pub t: f64,
    pub band: usize,
    pub flux: f64,
}

/// The blackbody and its temperature derivative in each band at temperature `t`: the same
/// for every point of a band, so worked out once per step.
fn blackbodies(t: f64) -> [(f64, f64); 6] {
    WAVELENGTH.map(|wl| (planck(wl, t), planck_dt(wl, t)))
}

/// Bazin in time x blackbody in wavelength; parameters A, T, t0, kr, kf.
pub(crate) struct Bazin<'a>(pub &'a [Obs]);

impl Bazin<'_> {
    /// The model flux at time `t` and wavelength `wl`.
    pub(crate) fn flux(p: &[f64; 5], t: f64, wl: f64) -> f64 {
        Bazin::eval(p, t, (planck(wl, p[1]), planck_dt(wl, p[1]))).0
    }

    /// The model flux and its gradient, given the blackbody and its T derivative there.
    fn eval(p: &[f64; 5], t: f64, (bb, dbb): (f64, f64)) -> (f64, [f64; 5]) {
        let [a, _, t0, kr, kf] = *p;
        let tau = t - t0;
        // e^(-kf τ) / (1 + e^(-kr τ)) and the logistic 1 / (1 + e^(-kr τ)), without overflow.
        let softplus = softplus(-kr * tau);
        let g = (-kf * tau - softplus).exp();
        let s = (-softplus).exp();
        let f = a * bb * g;
        let grad = [
            bb * g,
            a * dbb * g,
            f * (kf - kr * (1.0 - s)),
            f * tau * (1.0 - s),
            -f * tau,
        ];
        (f, grad)
    }
}

/// ln(1 + e^x), accurate for any x.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

impl Model<5> for Bazin<'_> {
    fn residuals(&self, p: &[f64; 5], mut each: impl FnMut(f64, [f64; 5])) {
        let bbs = blackbodies(p[1]);
        for o in self.0 {
            let (f, g) = Bazin::eval(p, o.t, bbs[o.band]);
            each(o.flux - f, g);
        }
    }
}

/// Exponential rise x blackbody; parameters A, T, k.
struct Expit<'a>(&'a [Obs]);

impl Model<3> for Expit<'_> {
    fn residuals(&self, p: &[f64; 3], mut each: impl FnMut(f64, [f64; 3])) {
        let [a, temp, k] = *p;
        let bbs = blackbodies(temp);
        for o in self.0 {
            let (bb, dbb) = bbs[o.band];
            let e = (k * o.t).exp();
            let f = a * bb * e;
            each(o.flux - f, [bb * e, a * dbb * e, f * o.t]);
        }
    }
}

/// The fit of the time-sorted diaSources and forced sources, or `None` (too few points, or
/// neither model fits by Lasair's rules).
pub(crate) fn fit(sources: &[Source], forced: &[Source]) -> Option<Bbb> {
    if sources.len() < MIN_SOURCES {
        return None;
    }
    let discovery = sources[0].mjd;
    let obs = observations(sources, forced, discovery);
    // A start read off the data first, then Lasair's two (A, T, t0, kr, kf).
    [
        start_from_data(&obs)?,
        [100.0, 4.0, 6.0, 0.1, 0.01],
        [1000.0, 4.0, -5.0, 0.01, 0.01],
    ]
    .into_iter()
    .find_map(|start| best_of_two(&obs, start, discovery))
}

/// A first guess near a typical supernova's shape: 10 kK, rising at 0.3 and falling at
/// 0.05 per day, peaking (5.4 days after t0) at the brightest point. Lasair's own starts
/// are far from most lightcurves, and from them the fit often wanders into the flat valley
/// where kr is huge (a step) and stays there.
fn start_from_data(obs: &[Obs]) -> Option<[f64; 5]> {
    let peak = obs.iter().max_by(|a, b| a.flux.total_cmp(&b.flux))?;
    let (temp, kr, kf): (f64, f64, f64) = (10.0, 0.3, 0.05);
    let tau = -(kf / (kr - kf)).ln() / kr;
    let shape = (-kf * tau).exp() / (1.0 + (-kr * tau).exp());
    let a = peak.flux.max(1.0) / (planck(WAVELENGTH[peak.band], temp) * shape);
    Some([a, temp, peak.t - tau, kr, kf])
}

fn observations(sources: &[Source], forced: &[Source], discovery: f64) -> Vec<Obs> {
    let obs = |s: &Source| {
        let o = Obs {
            t: s.mjd - discovery,
            band: band_index(s.band)?,
            flux: s.flux,
        };
        o.flux.is_finite().then_some(o)
    };
    let before = forced.iter().filter(|f| f.mjd < discovery);
    let skip = before.clone().count().saturating_sub(FORCED_BEFORE);
    before.skip(skip).chain(sources).filter_map(obs).collect()
}

/// Both models from one starting point; the one with the lower AIC.
fn best_of_two(obs: &[Obs], start: [f64; 5], discovery: f64) -> Option<Bbb> {
    let [a, t, _, kr, kf] = start;
    let sst = sst(obs);
    let expit = fit_expit(obs, [a, t, kr - kf], sst);
    let bazin = fit_bazin(obs, start, sst, discovery);
    match (expit, bazin) {
        (Some((ae, e)), Some((ab, b))) => Some(if ae < ab { e } else { b }),
        (e, b) => e.or(b).map(|(_, f)| f),
    }
}

/// The total sum of squares about the mean flux.
fn sst(obs: &[Obs]) -> f64 {
    let mean = obs.iter().map(|o| o.flux).sum::<f64>() / obs.len() as f64;
    obs.iter().map(|o| (o.flux - mean).powi(2)).sum()
}

/// Akaike's information criterion as Lasair writes it.
fn aic(n: usize, sse: f64, params: usize) -> Option<f64> {
    let v = 100.0 + n as f64 * (sse / n as f64).ln() + 2.0 * params as f64;
    v.is_finite().then_some(v)
}

fn fit_bazin(obs: &[Obs], start: [f64; 5], sst: f64, discovery: f64) -> Option<(f64, Bbb)> {
    let fit = levenberg_marquardt(&Bazin(obs), start, MAX_STEPS)?;
    let aic = aic(obs.len(), fit.sse, 5)?;
    let [_, temp, t0, kr, kf] = fit.params;
    let rejected =
        fit.sse / sst > 0.25 || !(0.0..=15.0).contains(&kr) || !(0.0..=2.0).contains(&kf);
    if rejected {
        return None;
    }
    // The peak, where the rise and the fall balance: e^(-kr τ) = kf / (kr - kf).
    let peak_t = t0 - (kf / (kr - kf)).ln() / kr;
    let peak = peak_t.is_finite().then_some(peak_t);
    let peak_flux = peak.map(|t| Bazin::flux(&fit.params, t, brightest_wavelength(temp)));
    Some((
        aic,
        Bbb {
            rise_rate: kr,
            fall_rate: Some(kf),
            temp,
            peak_flux: peak_flux.filter(|f| f.is_finite()),
            peak_mjd: peak.map(|t| t + discovery),
        },
    ))
}

fn fit_expit(obs: &[Obs], start: [f64; 3], sst: f64) -> Option<(f64, Bbb)> {
    let fit = levenberg_marquardt(&Expit(obs), start, MAX_STEPS)?;
    let aic = aic(obs.len(), fit.sse, 3)?;
    let [_, temp, k] = fit.params;
    // Lasair's error: 10 times scipy's unscaled covariance.
    let k_err = 10.0 * fit.cov?[2][2].sqrt();
    let rejected = fit.sse / sst > 0.35 || !(0.0..=2.0).contains(&k) || k_err.is_nan() || k_err > k;
    if rejected {
        return None;
    }
    Some((
        aic,
        Bbb {
            rise_rate: k,
            fall_rate: None,
            temp,
            peak_flux: None,
            peak_mjd: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bazin_gradient_matches_finite_differences() {
        let p = [5000.0, 8.0, 3.0, 0.4, 0.05];
        for (t, wl) in [(-20.0, 0.5), (0.0, 0.62), (3.0, 0.38), (40.0, 1.0)] {
            let at = |p: &[f64; 5]| Bazin::eval(p, t, (planck(wl, p[1]), planck_dt(wl, p[1])));
            let (_, g) = at(&p);
            for k in 0..5 {
                let h = 1e-6 * p[k].abs().max(1e-3);
                let (mut hi, mut lo) = (p, p);
                hi[k] += h;
                lo[k] -= h;
                let numeric = (at(&hi).0 - at(&lo).0) / (2.0 * h);
                let scale = numeric.abs().max(1e-9);
                assert!(
                    (g[k] - numeric).abs() / scale < 1e-5,
                    "t {t} param {k}: {} vs {numeric}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn the_four_latest_forced_points_before_discovery_are_prepended() {
        let src = |mjd: f64, flux: f64| Source {
            mjd,
            band: "r",
            flux,
            reliability: None,
        };
        let sources = [src(100.0, 50.0), src(101.0, 60.0)];
        let forced: Vec<Source> = [94.0, 95.0, 96.0, 97.0, 98.0, 99.0, 100.5]
            .iter()
            .map(|&m| src(m, m))
            .collect();
        let obs = observations(&sources, &forced, 100.0);
        let times: Vec<f64> = obs.iter().map(|o| o.t).collect();
        assert_eq!(times, [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0]);
        assert_eq!(obs[0].flux, 96.0);
        assert!(obs.iter().all(|o| o.band == 2));
    }

    #[test]
    fn the_model_does_not_overflow_far_from_its_peak() {
        let p = [5000.0, 8.0, 3.0, 0.4, 0.05];
        for t in [-5000.0, 5000.0] {
            let (f, g) = Bazin::eval(&p, t, (planck(0.5, 8.0), planck_dt(0.5, 8.0)));
            assert!(f.is_finite() && g.iter().all(|v| v.is_finite()), "{t}");
        }
    }
}

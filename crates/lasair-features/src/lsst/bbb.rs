//! The Bazin x blackbody (BBB) fit of Lasair-LSST (its `BBBEngine` and `BBBCore`): the
//! lightcurve as a surface in time and wavelength, flux = A B(λ, T) e^(-kf τ) / (1 + e^(-kr τ))
//! with τ = t - t0 (a Bazin rise and fall), or A B(λ, T) e^(k t) (a pure exponential rise).
//!
//! As Lasair: at least 5 diaSources; t counts days from the first; the 4 latest forced
//! points before it are prepended; residuals are unweighted fluxes (nJy). Both models are
//! fitted by scipy's `leastsq` method ([`crate::fit`], 500 evaluations at most) from Lasair's
//! first guesses (A, T, t0, kr, kf) = (100, 4, 6, 0.1, 0.01), the exponential from (A, T,
//! kr - kf); a fit is rejected by Lasair's rules (both: 500 evaluations used, or SSE/SST
//! above 0.25 (Bazin) or 0.35 (exponential); Bazin: kr outside 0..15, kf outside 0..2;
//! exponential: k outside 0..2, no covariance, or 10 sigma of k larger than k); of two
//! fits the exponential is kept when its AIC is lower. When neither fits, the same again
//! from (1000, 4, -5, 0.01, 0.01). A Bazin fit with kr > kf > 0 has a peak, whose time and
//! flux (in the band where the blackbody is brightest) it gives.
//!
//! Where we differ: sources without a finite flux are left out (Lasair's fit takes a NaN
//! flux in and fails, and stops on a missing one); a Bazin fit with no peak has no peak MJD
//! (Lasair writes the discovery MJD). See docs/differences-from-lasair.md.

use super::blackbody::{band_index, WAVELENGTH};
use super::Source;
use crate::fit::{leastsq, Fit, Model};

/// Fewer diaSources than this are not fitted.
const MIN_SOURCES: usize = 5;
/// Forced-photometry points prepended before the first detection, at most.
const FORCED_BEFORE: usize = 4;
/// Model evaluations allowed each fit (Lasair's `maxfev`); a fit that uses them all is
/// rejected.
const MAX_EVALUATIONS: usize = 500;
/// Lasair's two first guesses, (A, T, t0, kr, kf), tried in turn.
const STARTS: [[f64; 5]; 2] = [
    [100.0, 4.0, 6.0, 0.1, 0.01],
    [1000.0, 4.0, -5.0, 0.01, 0.01],
];
/// hc/k in micron kilokelvin.
const HCK: f64 = 14.387;

/// A successful fit, as the `objects` columns give it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bbb {
    /// kr of a Bazin fit, k of an exponential one (per day).
    pub rise_rate: f64,
    /// kf of a Bazin fit (per day).
    pub fall_rate: Option<f64>,
    /// Temperature, kK.
    pub temp: f64,
    /// Bazin fits with a peak: the flux there, in the band where the blackbody is brightest
    /// (nJy).
    pub peak_flux: Option<f64>,
    /// Bazin fits with a peak: its MJD.
    pub peak_mjd: Option<f64>,
}

/// One point: days since discovery, band (index in [`WAVELENGTH`]), flux (nJy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Obs {
    pub t: f64,
    pub band: usize,
    pub flux: f64,
}

/// The blackbody as Lasair's `BBBCore.blackbody` writes it, λ⁻³ / (e^(hc/λkT) - 1), in the
/// same order of operations, so that a fit sees the numbers Lasair's sees (overflows
/// included).
fn blackbody(wl: f64, t: f64) -> f64 {
    wl.powf(-3.0) / ((HCK / (wl * t)).exp() - 1.0)
}

/// The blackbody in each band at temperature `t`: the same for every point of a band.
fn blackbodies(t: f64) -> [f64; 6] {
    WAVELENGTH.map(|wl| blackbody(wl, t))
}

/// Bazin in time x blackbody in wavelength; parameters A, T, t0, kr, kf.
pub(crate) struct Bazin<'a>(pub &'a [Obs]);

impl Bazin<'_> {
    /// The model flux at time `t` for blackbody `bb`, as `BBBCore.bazin` computes it.
    fn flux(p: &[f64; 5], t: f64, bb: f64) -> f64 {
        let [a, _, t0, kr, kf] = *p;
        let tau = t - t0;
        a * bb * (-kf * tau).exp() / (1.0 + (-kr * tau).exp())
    }
}

impl Model<5> for Bazin<'_> {
    fn residuals(&self, p: &[f64; 5], out: &mut [f64]) {
        let bbs = blackbodies(p[1]);
        for (r, o) in out.iter_mut().zip(self.0) {
            *r = o.flux - Bazin::flux(p, o.t, bbs[o.band]);
        }
    }
    fn points(&self) -> usize {
        self.0.len()
    }
}

/// Exponential rise x blackbody; parameters A, T, k.
struct Expit<'a>(&'a [Obs]);

impl Model<3> for Expit<'_> {
    fn residuals(&self, p: &[f64; 3], out: &mut [f64]) {
        let [a, temp, k] = *p;
        let bbs = blackbodies(temp);
        for (r, o) in out.iter_mut().zip(self.0) {
            *r = o.flux - a * bbs[o.band] * (k * o.t).exp();
        }
    }
    fn points(&self) -> usize {
        self.0.len()
    }
}

/// The fit of the time-sorted diaSources and forced sources, or `None` (too few sources, or
/// neither model fits by Lasair's rules from either start).
pub(crate) fn fit(sources: &[Source], forced: &[Source]) -> Option<Bbb> {
    if sources.len() < MIN_SOURCES {
        return None;
    }
    let discovery = sources[0].mjd;
    let obs = observations(sources, forced, discovery);
    STARTS
        .into_iter()
        .find_map(|start| best_of_two(&obs, start, discovery))
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

/// Both models from one start; the exponential when its AIC is lower, else the Bazin.
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

/// The sum of squared residuals and Akaike's information criterion as Lasair writes it,
/// 100 + n ln(SSE/n) + 2 k; `None` where Lasair's `math.log` fails (SSE 0) or the fit used
/// all its evaluations.
fn sse_aic<const P: usize>(fit: &Fit<P>) -> Option<(f64, f64)> {
    if fit.evaluations >= MAX_EVALUATIONS {
        return None;
    }
    let n = fit.residuals.len() as f64;
    let sse: f64 = fit.residuals.iter().map(|r| r * r).sum();
    let aic = 100.0 + n * (sse / n).ln() + 2.0 * P as f64;
    aic.is_finite().then_some((sse, aic))
}

fn fit_bazin(obs: &[Obs], start: [f64; 5], sst: f64, discovery: f64) -> Option<(f64, Bbb)> {
    let fit = leastsq(&Bazin(obs), start, MAX_EVALUATIONS)?;
    let (sse, aic) = sse_aic(&fit)?;
    let [_, temp, t0, kr, kf] = fit.params;
    let rejected = sse / sst > 0.25 || !(0.0..=15.0).contains(&kr) || !(0.0..=2.0).contains(&kf);
    if rejected {
        return None;
    }
    // The peak, where the rise and the fall balance: e^(-kr τ) = kf / (kr - kf); none unless
    // kr > kf > 0 (Lasair's math.log and division fail otherwise).
    let peak = (kf > 0.0 && kr > kf).then(|| t0 - (kf / (kr - kf)).ln() / kr);
    let peak_flux = peak.and_then(|t| {
        let wl = brightest_wavelength(temp)?;
        Some(Bazin::flux(&fit.params, t, blackbody(wl, temp)))
    });
    Some((
        aic,
        Bbb {
            rise_rate: kr,
            fall_rate: Some(kf),
            temp,
            peak_flux: peak_flux.filter(|f| f.is_finite()),
            peak_mjd: peak.map(|t| t + discovery).filter(|t| t.is_finite()),
        },
    ))
}

/// The band wavelength where a blackbody of temperature `t` is brightest, the first of equals
/// as Lasair takes it; `None` when it is nowhere positive (a negative temperature), where
/// Lasair reads the model at wavelength 0 and gets NaN.
fn brightest_wavelength(t: f64) -> Option<f64> {
    let mut best: Option<(f64, f64)> = None;
    for wl in WAVELENGTH {
        let q = blackbody(wl, t);
        if q > best.map_or(0.0, |b| b.1) {
            best = Some((wl, q));
        }
    }
    best.map(|b| b.0)
}

fn fit_expit(obs: &[Obs], start: [f64; 3], sst: f64) -> Option<(f64, Bbb)> {
    let fit = leastsq(&Expit(obs), start, MAX_EVALUATIONS)?;
    let (sse, aic) = sse_aic(&fit)?;
    let [_, temp, k] = fit.params;
    // Lasair's error: 10 times the square root of scipy's cov_x; no cov_x, no fit.
    let k_err = 10.0 * fit.cov?[2][2].sqrt();
    let rejected = sse / sst > 0.35 || !(0.0..=2.0).contains(&k) || k_err > k;
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
    fn hot_bodies_peak_blue_cool_ones_red_and_negative_ones_nowhere() {
        assert_eq!(brightest_wavelength(30.0), Some(0.38));
        assert_eq!(brightest_wavelength(2.5), Some(1.0));
        assert_eq!(brightest_wavelength(-3.0), None);
    }
}

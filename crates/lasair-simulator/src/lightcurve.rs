//! How bright each kind of object is over time: Bazin-shaped explosions, periodic variable
//! stars and AGN following a damped random walk.

use rand::Rng;

use crate::photometry::{mag_to_njy, Band};
use crate::random::{normal, uniform};

/// What an object is; decides its lightcurve and its context (host galaxy, star, none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Supernova,
    FastTransient,
    Variable,
    Agn,
    /// A known asteroid: seen once at a position, never again.
    Asteroid,
}

/// The flux at an object's position in nJy: what the reference image holds and what the new
/// image holds. Their difference is what difference imaging detects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flux {
    pub reference: f64,
    pub total: f64,
}

impl Flux {
    pub fn difference(&self) -> f64 {
        self.total - self.reference
    }
}

/// Colours relative to r, per band u..y: explosions near peak, then how much bluer bands have
/// faded after 30 days; stars; AGN.
const SN_PEAK_COLOUR: [f64; 6] = [0.3, 0.0, 0.0, 0.2, 0.3, 0.4];
const SN_REDDENING: [f64; 6] = [1.2, 0.8, 0.0, -0.1, 0.0, 0.1];
const STAR_COLOUR: [f64; 6] = [1.2, 0.4, 0.0, -0.15, -0.25, -0.3];
const AGN_COLOUR: [f64; 6] = [0.3, 0.2, 0.0, -0.1, -0.2, -0.25];
/// Variability is stronger in bluer bands.
const AMPLITUDE_SCALE: [f64; 6] = [1.4, 1.2, 1.0, 0.85, 0.75, 0.7];

/// A lightcurve model; `flux` must be called with non-decreasing times (the damped random
/// walk keeps its state between calls).
#[derive(Debug, Clone)]
pub enum Model {
    Bazin {
        peak_mjd: f64,
        rise: f64,
        fall: f64,
        peak_mag: f64,
        host: f64,
    },
    Periodic {
        mean_mag: f64,
        amplitude: f64,
        period: f64,
        phase: f64,
        sawtooth: bool,
    },
    Drw {
        mean_mag: f64,
        tau: f64,
        sigma: f64,
        last: Option<(f64, f64)>,
    },
    Steady {
        mag: f64,
    },
}

/// The Bazin function, unnormalised, at time t relative to its t0.
fn bazin(t: f64, rise: f64, fall: f64) -> f64 {
    (-t / fall).exp() / (1.0 + (-t / rise).exp())
}

impl Model {
    pub fn flux(&mut self, rng: &mut impl Rng, mjd: f64, band: Band) -> Flux {
        let b = band.index();
        match self {
            Model::Bazin {
                peak_mjd,
                rise,
                fall,
                peak_mag,
                host,
            } => {
                // Parameterised by its peak: t0 sits before the peak by rise * ln(fall/rise - 1).
                let to_peak = *rise * (*fall / *rise - 1.0).ln();
                let shape =
                    bazin(mjd - *peak_mjd + to_peak, *rise, *fall) / bazin(to_peak, *rise, *fall);
                let age = ((mjd - *peak_mjd) / 30.0).clamp(0.0, 2.0);
                let colour = SN_PEAK_COLOUR[b] + SN_REDDENING[b] * age;
                let sn = mag_to_njy(*peak_mag + colour) * shape;
                Flux {
                    reference: *host,
                    total: *host + sn,
                }
            }
            Model::Periodic {
                mean_mag,
                amplitude,
                period,
                phase,
                sawtooth,
            } => {
                let p = (mjd / *period + *phase).rem_euclid(1.0);
                // Brightness in [-0.5, 0.5]; RR Lyrae rise fast and decline slowly.
                let bright = if *sawtooth {
                    if p < 0.2 {
                        p / 0.2 - 0.5
                    } else {
                        0.5 - (p - 0.2) / 0.8
                    }
                } else {
                    0.5 * (std::f64::consts::TAU * p).sin()
                };
                let mean = *mean_mag + STAR_COLOUR[b];
                let mag = mean - *amplitude * AMPLITUDE_SCALE[b] * bright;
                Flux {
                    reference: mag_to_njy(mean),
                    total: mag_to_njy(mag),
                }
            }
            Model::Drw {
                mean_mag,
                tau,
                sigma,
                last,
            } => {
                let x = match *last {
                    None => *sigma * normal(rng),
                    Some((t, x)) => {
                        let decay = (-(mjd - t).max(0.0) / *tau).exp();
                        x * decay + *sigma * (1.0 - decay * decay).sqrt() * normal(rng)
                    }
                };
                *last = Some((mjd, x));
                let mean = *mean_mag + AGN_COLOUR[b];
                let mag = mean + x * AMPLITUDE_SCALE[b];
                Flux {
                    reference: mag_to_njy(mean),
                    total: mag_to_njy(mag),
                }
            }
            Model::Steady { mag } => Flux {
                reference: 0.0,
                total: mag_to_njy(*mag),
            },
        }
    }
}

/// What a model is drawn to fit: the survey's typical depth and the detections wanted.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub limit: f64,
    pub quota: usize,
    /// Mean days between visits of a field.
    pub days_per_visit: f64,
}

/// Draws a model of the kind whose detectable life is long enough for `fit.quota` alerts.
pub fn draw(rng: &mut impl Rng, kind: Kind, fit: Fit, start: f64, host_mag: f64) -> Model {
    let lim = fit.limit;
    match kind {
        Kind::Supernova | Kind::FastTransient => {
            let fast = kind == Kind::FastTransient;
            let peak_mag = uniform(rng, lim - 3.5, lim - 0.3);
            let rise = if fast {
                uniform(rng, 0.3, 1.0)
            } else {
                uniform(rng, 1.5, 5.0)
            };
            // Time above the limit must hold the quota: fading by (lim - peak) takes
            // fall * (lim - peak) / 1.0857 days.
            let needed = fit.quota as f64 * fit.days_per_visit * 1.3;
            let fall = (1.0857 * needed / (lim - peak_mag)).max(if fast { 1.0 } else { 12.0 });
            let fall = fall.min(if fast { 4.0 } else { 150.0 }).max(2.5 * rise);
            Model::Bazin {
                peak_mjd: start + uniform(rng, 12.0, 18.0),
                rise,
                fall,
                peak_mag,
                host: mag_to_njy(host_mag),
            }
        }
        Kind::Variable => Model::Periodic {
            mean_mag: uniform(rng, lim - 6.5, lim - 2.0),
            amplitude: uniform(rng, 0.4, 1.2),
            period: if rng.random::<f64>() < 0.6 {
                uniform(rng, 0.3, 0.9)
            } else {
                uniform(rng, 1.0, 60.0)
            },
            phase: rng.random(),
            sawtooth: rng.random::<f64>() < 0.6,
        },
        Kind::Agn => Model::Drw {
            mean_mag: uniform(rng, lim - 3.5, lim - 1.5),
            tau: uniform(rng, 100.0, 500.0),
            sigma: uniform(rng, 0.2, 0.4),
            last: None,
        },
        Kind::Asteroid => Model::Steady {
            mag: uniform(rng, lim - 3.5, lim - 0.4),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photometry::njy_to_mag;
    use crate::random::{keyed, Purpose};

    #[test]
    fn bazin_peaks_at_its_peak_magnitude() {
        let mut rng = keyed(1, Purpose::Object, &[]);
        let mut m = Model::Bazin {
            peak_mjd: 100.0,
            rise: 3.0,
            fall: 30.0,
            peak_mag: 18.0,
            host: 0.0,
        };
        let peak = m.flux(&mut rng, 100.0, Band::R).difference();
        assert!((njy_to_mag(peak) - 18.0).abs() < 1e-9);
        for t in [80.0, 95.0, 110.0, 160.0] {
            assert!(m.flux(&mut rng, t, Band::R).difference() < peak);
        }
        // g fades faster than r after the peak.
        let g = njy_to_mag(m.flux(&mut rng, 140.0, Band::G).difference());
        let r = njy_to_mag(m.flux(&mut rng, 140.0, Band::R).difference());
        assert!(g > r + 0.5, "{g} {r}");
    }

    #[test]
    fn variables_swing_around_their_reference() {
        let mut rng = keyed(2, Purpose::Object, &[]);
        let fit = Fit {
            limit: 20.5,
            quota: 10,
            days_per_visit: 1.7,
        };
        let mut m = draw(&mut rng, Kind::Variable, fit, 0.0, 0.0);
        let diffs: Vec<f64> = (0..200)
            .map(|i| m.flux(&mut rng, f64::from(i) * 0.37, Band::R).difference())
            .collect();
        assert!(diffs.iter().any(|d| *d > 0.0) && diffs.iter().any(|d| *d < 0.0));
    }

    #[test]
    fn supernova_fall_time_grows_with_quota() {
        let fall = |quota| {
            let mut rng = keyed(3, Purpose::Object, &[]);
            let fit = Fit {
                limit: 20.5,
                quota,
                days_per_visit: 1.7,
            };
            match draw(&mut rng, Kind::Supernova, fit, 0.0, 22.0) {
                Model::Bazin { fall, .. } => fall,
                _ => f64::NAN,
            }
        };
        assert!(fall(30) > fall(3));
    }
}

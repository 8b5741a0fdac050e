//! Bands, AB magnitudes and fluxes, and what a noisy measurement of a difference flux yields.

use rand::Rng;

use crate::random::normal;

/// The AB magnitude of 1 nJy.
pub const AB_NJY: f64 = 31.4;

/// Converts a magnitude in a survey's 1.0857 / SNR convention to and from fluxes.
const MAG_ERR_PER_SNR: f64 = 1.085_736;

/// A photometric band; the surveys use subsets (ZTF g and r, LSST all six).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Band {
    U,
    G,
    R,
    I,
    Z,
    Y,
}

impl Band {
    pub const ALL: [Band; 6] = [Band::U, Band::G, Band::R, Band::I, Band::Z, Band::Y];

    /// Position from blue to red, used to scale colours and amplitudes.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn letter(self) -> &'static str {
        ["u", "g", "r", "i", "z", "y"][self.index()]
    }
}

pub fn mag_to_njy(mag: f64) -> f64 {
    10f64.powf(-0.4 * (mag - AB_NJY))
}

pub fn njy_to_mag(flux: f64) -> f64 {
    AB_NJY - 2.5 * flux.abs().max(1e-9).log10()
}

/// The 1-sigma flux error of an image whose 5-sigma limiting magnitude is `limit`.
pub fn sigma_at_limit(limit: f64) -> f64 {
    mag_to_njy(limit) / 5.0
}

/// A measured difference flux and what the survey reports from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Difference flux in nJy, noise included; negative when the source faded below its
    /// reference.
    pub flux: f64,
    pub flux_err: f64,
}

impl Measurement {
    /// Measures a true difference flux on an image of the given depth.
    pub fn observe(rng: &mut impl Rng, true_flux: f64, limit: f64) -> Self {
        let flux_err = sigma_at_limit(limit);
        Measurement {
            flux: true_flux + flux_err * normal(rng),
            flux_err,
        }
    }

    pub fn snr(&self) -> f64 {
        self.flux.abs() / self.flux_err
    }

    /// Detected at 5 sigma, on either side of the reference.
    pub fn detected(&self) -> bool {
        self.snr() >= 5.0
    }

    /// The magnitude of the difference flux (ZTF magpsf) and its error (sigmapsf).
    pub fn mag(&self) -> (f64, f64) {
        (
            njy_to_mag(self.flux),
            MAG_ERR_PER_SNR / self.snr().max(1e-6),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{keyed, Purpose};

    #[test]
    fn magnitudes_and_fluxes_invert() {
        assert!((mag_to_njy(31.4) - 1.0).abs() < 1e-12);
        assert!((njy_to_mag(mag_to_njy(19.25)) - 19.25).abs() < 1e-9);
        assert!((njy_to_mag(-mag_to_njy(19.25)) - 19.25).abs() < 1e-9);
    }

    #[test]
    fn a_source_at_the_limit_has_snr_five() {
        let m = Measurement {
            flux: mag_to_njy(20.5),
            flux_err: sigma_at_limit(20.5),
        };
        assert!((m.snr() - 5.0).abs() < 1e-9);
        assert!((m.mag().1 - 0.217).abs() < 1e-3);
    }

    #[test]
    fn bright_sources_are_detected_faint_are_not() {
        let mut rng = keyed(1, Purpose::Detection, &[]);
        assert!(Measurement::observe(&mut rng, mag_to_njy(18.0), 20.5).detected());
        assert!(!Measurement::observe(&mut rng, mag_to_njy(24.0), 20.5).detected());
    }
}

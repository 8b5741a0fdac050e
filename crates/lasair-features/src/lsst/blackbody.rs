//! The blackbody as Lasair-LSST uses it: flux density per unit wavelength with wavelengths
//! in microns and temperatures in kilokelvin, and LSST's bands at their nominal wavelengths.

/// LSST's bands, bluest first.
pub(crate) const BANDS: [&str; 6] = ["u", "g", "r", "i", "z", "y"];
/// Each band's wavelength in microns (Lasair's round values).
pub(crate) const WAVELENGTH: [f64; 6] = [0.380, 0.500, 0.620, 0.740, 0.880, 1.000];
/// hc/k in micron kilokelvin.
const HCK: f64 = 14.387;

/// The index of a band in [`BANDS`].
pub(crate) fn band_index(band: &str) -> Option<usize> {
    BANDS.iter().position(|b| *b == band)
}

/// Planck's law up to a constant factor: λ⁻³ / (exp(hc/λkT) - 1).
pub(crate) fn planck(wl: f64, t: f64) -> f64 {
    wl.powi(-3) / (HCK / (wl * t)).exp_m1()
}

/// d[`planck`]/dT.
pub(crate) fn planck_dt(wl: f64, t: f64) -> f64 {
    // e^x / (e^x - 1)² written with e^-x, so that it tends to 0, not NaN, for cold bodies.
    let x = HCK / (wl * t);
    let em = (-x).exp();
    let one_minus = -(-x).exp_m1();
    wl.powi(-3) * (x / t) * em / (one_minus * one_minus)
}

/// The temperature (kK) of the blackbody whose flux ratio between a blue and a red
/// wavelength is `ratio`, by Newton's method from 12 kK as Lasair does: `None` when it does
/// not converge to 0.001 kK within 50 steps or goes negative.
pub(crate) fn colour_temperature(ratio: f64, wl_blue: f64, wl_red: f64) -> Option<f64> {
    let mut t = 12.0;
    for _ in 0..50 {
        let f = planck(wl_blue, t) - ratio * planck(wl_red, t);
        let df = planck_dt(wl_blue, t) - ratio * planck_dt(wl_red, t);
        let dt = f / df;
        if !dt.is_finite() {
            return None;
        }
        t -= dt;
        if dt.abs() < 0.001 {
            return Some(t);
        }
        if t < 0.0 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derivative_matches_a_finite_difference() {
        for (wl, t) in [(0.38, 4.0), (0.62, 12.0), (1.0, 30.0)] {
            let h = 1e-6 * t;
            let numeric = (planck(wl, t + h) - planck(wl, t - h)) / (2.0 * h);
            let rel = (planck_dt(wl, t) - numeric).abs() / numeric.abs();
            assert!(rel < 1e-7, "{wl} {t}: {rel}");
        }
    }

    #[test]
    fn a_colour_gives_back_its_temperature() {
        for t in [3.0, 6.0, 10.0, 15.0] {
            let ratio = planck(0.5, t) / planck(0.62, t);
            let got = colour_temperature(ratio, 0.5, 0.62).expect("converges");
            assert!((got - t).abs() < 0.01, "{t}: {got}");
        }
        assert_eq!(colour_temperature(-1.0, 0.5, 0.62), None);
        // Bluer than the Rayleigh-Jeans limit (0.62/0.5)^4 = 2.36: no blackbody has it.
        assert_eq!(colour_temperature(3.0, 0.5, 0.62), None);
    }
}

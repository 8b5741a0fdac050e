//! The distance ansatz of LIGO/Virgo/KAGRA sky maps (Singer et al. 2016): along each line of
//! sight the distance has the density `DISTNORM · r² · N(r; DISTMU, DISTSIGMA)`. Its moments,
//! the whole map's distance mean and spread, and the probability density per unit volume at a
//! position and distance, as ligo.skymap defines them.

use std::f64::consts::{PI, SQRT_2};

/// One pixel's distance parameters (Mpc, Mpc, Mpc⁻²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ansatz {
    pub mu: f64,
    pub sigma: f64,
    pub norm: f64,
}

impl Ansatz {
    /// The parameters of a line of sight without distance (LVK's convention: DISTMU = inf,
    /// DISTNORM = 0).
    pub const NONE: Ansatz = Ansatz {
        mu: f64::INFINITY,
        sigma: 1.0,
        norm: 0.0,
    };

    /// The mean and standard deviation of the distance along this line of sight (what Lasair
    /// calls the GW distance at a position); `None` where the map has no distance there.
    pub fn moments(&self) -> Option<(f64, f64)> {
        let (mu, sigma) = (self.mu, self.sigma);
        if !(mu.is_finite() && sigma.is_finite() && sigma > 0.0) {
            return None;
        }
        // With t = (r - mu) / sigma and x = mu / sigma, the moments of r²·N are sums of the
        // truncated normal moments J_k = ∫_{-x}^∞ t^k φ(t) dt, over sigma^k.
        let x = mu / sigma;
        let (cdf, pdf) = (normal_cdf(x), normal_pdf(x));
        let j = [
            cdf,
            pdf,
            cdf - x * pdf,
            (x * x + 2.0) * pdf,
            3.0 * cdf - (x * x * x + 3.0 * x) * pdf,
        ];
        let m0 = x * x * j[0] + 2.0 * x * j[1] + j[2];
        let m1 = x * x * x * j[0] + 3.0 * x * x * j[1] + 3.0 * x * j[2] + j[3];
        let m2 =
            x.powi(4) * j[0] + 4.0 * x.powi(3) * j[1] + 6.0 * x * x * j[2] + 4.0 * x * j[3] + j[4];
        if m0.is_nan() || m0 <= 0.0 {
            return None;
        }
        let mean = m1 / m0;
        let var = (m2 / m0 - mean * mean).max(0.0);
        let (mean, std) = (sigma * mean, sigma * var.sqrt());
        (mean.is_finite() && std.is_finite()).then_some((mean, std))
    }

    /// The posterior probability density per unit volume (Mpc⁻³) at distance `r` Mpc along
    /// a line of sight whose 2-D density is `probdensity` (sr⁻¹): ligo.skymap's
    /// `probdensity_vol`, `probdensity · DISTNORM · N(r; DISTMU, DISTSIGMA)`. 0 where the
    /// map has no distance; `None` for a distance that is not positive.
    pub fn density3(&self, probdensity: f64, r: f64) -> Option<f64> {
        if !(r > 0.0 && r.is_finite()) {
            return None;
        }
        let z = (r - self.mu) / self.sigma;
        let value =
            probdensity * self.norm * (-0.5 * z * z).exp() / (self.sigma * (2.0 * PI).sqrt());
        Some(if value.is_finite() { value } else { 0.0 })
    }
}

/// The mean and standard deviation of distance over the whole sky: each pixel's moments
/// weighted by its probability (ligo.skymap's `parameters_to_marginal_moments`); a pixel
/// without distance adds its probability but no distance, as there. `None` if no pixel has
/// a distance.
pub fn marginal_moments(pixels: impl Iterator<Item = (f64, Ansatz)>) -> Option<(f64, f64)> {
    let (mut p_sum, mut r1, mut r2, mut any) = (0.0, 0.0, 0.0, false);
    for (prob, ansatz) in pixels.filter(|(p, _)| p.is_finite()) {
        p_sum += prob;
        if let Some((mean, std)) = ansatz.moments() {
            any = true;
            r1 += prob * mean;
            r2 += prob * (std * std + mean * mean);
        }
    }
    if !(any && p_sum > 0.0) {
        return None;
    }
    let (r1, r2) = (r1 / p_sum, r2 / p_sum);
    Some((r1, (r2 - r1 * r1).max(0.0).sqrt()))
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// The standard normal distribution function.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// The complementary error function to about 1e-15 relative: the Taylor series of erf
/// below 2, the continued fraction of erfc above (both textbook, Abramowitz & Stegun 7.1.5
/// and 7.1.14).
fn erfc(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z < 0.0 {
        return 2.0 - erfc(-z);
    }
    if z < 2.0 {
        // erf(z) = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
        let (mut term, mut sum, z2) = (z, z, z * z);
        for n in 1..200 {
            term *= -z2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        return 1.0 - 2.0 / PI.sqrt() * sum;
    }
    if z > 27.0 {
        return 0.0;
    }
    // erfc(z) = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...))))), by the
    // modified Lentz method.
    let tiny = 1e-300;
    let mut f = z;
    let (mut c, mut d) = (z, 0.0);
    for n in 1..500 {
        let a = n as f64 / 2.0;
        d = z + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = z + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-z * z).exp() / PI.sqrt() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // Reference values from scipy.special.erfc.
        for (z, v) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_16),
            (1.999, 0.004_698_443_348_629_486_5),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (6.0, 2.151_973_671_249_891_3e-17),
            (-1.0, 1.842_700_792_949_715),
        ] {
            let got = erfc(z);
            assert!(((got - v) / v).abs() < 2e-12, "erfc({z}) = {got}, not {v}");
        }
    }

    #[test]
    fn moments_of_a_far_narrow_ansatz_are_its_gaussian() {
        // Far from 0 and narrow, r² barely tilts the Gaussian: mean ≈ mu + 2σ²/mu.
        let a = Ansatz {
            mu: 1000.0,
            sigma: 10.0,
            norm: 1.0,
        };
        let (mean, std) = a.moments().unwrap();
        assert!(
            (mean - (1000.0 + 2.0 * 100.0 / 1000.0)).abs() < 1e-3,
            "{mean}"
        );
        assert!((std - 10.0).abs() < 0.01, "{std}");
        let none = Ansatz {
            mu: f64::INFINITY,
            sigma: 1.0,
            norm: 0.0,
        };
        assert_eq!(none.moments(), None);
        assert_eq!(none.density3(1.0, 100.0), Some(0.0));
        assert_eq!(a.density3(1.0, -1.0), None);
    }

    #[test]
    fn the_volume_density_integrates_to_the_sky_density() {
        // ∫ density3 r² dr over r = the 2-D density, when DISTNORM normalises r²·N.
        let mut a = Ansatz {
            mu: 100.0,
            sigma: 40.0,
            norm: 1.0,
        };
        let dr = 0.01;
        let mass: f64 = (1..100_000)
            .map(|i| {
                let r = i as f64 * dr;
                a.density3(1.0, r).unwrap() * r * r * dr
            })
            .sum();
        a.norm = 1.0 / mass;
        let sky: f64 = (1..100_000)
            .map(|i| {
                let r = i as f64 * dr;
                a.density3(2.5, r).unwrap() * r * r * dr
            })
            .sum();
        assert!((sky - 2.5).abs() < 1e-6, "{sky}");
    }
}

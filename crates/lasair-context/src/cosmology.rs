//! Distances from redshifts in a flat ΛCDM cosmology (Sherlock's H0 = 70, Ωm = 0.3, ΩΛ = 0.7),
//! for the physical separation of a transient from its host galaxy.

/// The speed of light, km/s.
const C_KM_S: f64 = 299_792.458;
/// Arcseconds in a radian divided by 1000 (kpc per Mpc): a distance in Mpc divided by this is
/// the projected size of one arcsecond in kpc.
const MPC_TO_KPC_PER_ARCSEC: f64 = 206.264_806_247;
/// Simpson intervals for the comoving-distance integral (even): error < 1e-9 relative to z = 10.
const STEPS: usize = 256;

/// A flat ΛCDM cosmology (radiation neglected, as Sherlock and most calculators do at z < 10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cosmology {
    /// Hubble constant, km/s/Mpc.
    pub h0: f64,
    /// Matter density parameter.
    pub omega_m: f64,
    /// Dark-energy density parameter.
    pub omega_lambda: f64,
}

/// Sherlock's (and Lasair's) cosmology: H0 = 70, Ωm = 0.3, ΩΛ = 0.7.
pub const SHERLOCK: Cosmology = Cosmology {
    h0: 70.0,
    omega_m: 0.3,
    omega_lambda: 0.7,
};

impl Default for Cosmology {
    fn default() -> Self {
        SHERLOCK
    }
}

impl Cosmology {
    /// 1 / E(z), the integrand of the comoving distance.
    fn inverse_e(&self, z: f64) -> f64 {
        let zp = 1.0 + z;
        let curvature = 1.0 - self.omega_m - self.omega_lambda;
        1.0 / (self.omega_m * zp * zp * zp + curvature * zp * zp + self.omega_lambda).sqrt()
    }

    /// Line-of-sight comoving distance, Mpc, by Simpson's rule (equal to the transverse
    /// comoving distance in a flat universe).
    pub fn comoving_mpc(&self, z: f64) -> f64 {
        if z.is_nan() || z <= 0.0 {
            return 0.0;
        }
        let h = z / STEPS as f64;
        let mut sum = self.inverse_e(0.0) + self.inverse_e(z);
        for i in 1..STEPS {
            let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += weight * self.inverse_e(i as f64 * h);
        }
        C_KM_S / self.h0 * sum * h / 3.0
    }

    /// Luminosity distance, Mpc.
    pub fn luminosity_mpc(&self, z: f64) -> f64 {
        (1.0 + z) * self.comoving_mpc(z)
    }

    /// Angular-diameter distance, Mpc.
    pub fn angular_diameter_mpc(&self, z: f64) -> f64 {
        self.comoving_mpc(z) / (1.0 + z)
    }

    /// The distances a redshift gives, or `None` for a redshift that is not positive.
    pub fn at(&self, z: f64) -> Option<Distances> {
        if !(z > 0.0 && z.is_finite()) {
            return None;
        }
        let comoving = self.comoving_mpc(z);
        let luminosity = (1.0 + z) * comoving;
        Some(Distances {
            luminosity_mpc: luminosity,
            kpc_per_arcsec: comoving / (1.0 + z) / MPC_TO_KPC_PER_ARCSEC,
        })
    }
}

/// What the classifier needs of a distance: the luminosity distance (reported as `distance`,
/// and for the distance modulus) and the projected scale (for the physical separation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distances {
    pub luminosity_mpc: f64,
    pub kpc_per_arcsec: f64,
}

impl Distances {
    /// A redshift-independent distance (Cepheids, Tully-Fisher...): nearby, so the luminosity
    /// and angular-diameter distances are taken as equal, as Sherlock does.
    pub fn direct(mpc: f64) -> Option<Distances> {
        (mpc > 0.0 && mpc.is_finite()).then(|| Distances {
            luminosity_mpc: mpc,
            kpc_per_arcsec: mpc / MPC_TO_KPC_PER_ARCSEC,
        })
    }

    /// The distance modulus m - M.
    pub fn modulus(&self) -> f64 {
        5.0 * (self.luminosity_mpc * 1e6).log10() - 5.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: Ned Wright's cosmology calculator (Wright 2006, PASP 118, 1711) for
    // H0 = 70, ΩM = 0.3, flat: z = 0.1 gives D_L = 460.0 Mpc, D_A = 380.2 Mpc and a scale of
    // 1.843 kpc/"; z = 1 gives D_L = 6607.7 Mpc and D_A = 1651.9 Mpc. (The calculator keeps a
    // little radiation, which lowers D at z = 0.1 by ~0.07%: hence the tolerances.)
    #[test]
    fn published_distances_for_sherlocks_cosmology() {
        let c = SHERLOCK;
        assert!(
            (c.luminosity_mpc(0.1) - 460.0).abs() < 0.5,
            "{}",
            c.luminosity_mpc(0.1)
        );
        assert!((c.angular_diameter_mpc(0.1) - 380.2).abs() < 0.5);
        let d = c.at(0.1).expect("z > 0");
        assert!(
            (d.kpc_per_arcsec - 1.843).abs() < 0.002,
            "{}",
            d.kpc_per_arcsec
        );
        assert!(
            (c.luminosity_mpc(1.0) - 6607.7).abs() < 3.0,
            "{}",
            c.luminosity_mpc(1.0)
        );
        assert!((c.angular_diameter_mpc(1.0) - 1651.9).abs() < 1.0);
    }

    // Expected values: numpy's trapezoid rule with 100,000 intervals, no radiation:
    //   x = linspace(0, z, 100001); dc = 299792.458/70 * trapezoid(1/sqrt(0.3(1+x)^3+0.7), x)
    // z = 0.1: D_L = 460.29994, D_A = 380.41317; z = 1: D_L = 6607.6576, D_A = 1651.9144.
    #[test]
    fn matches_an_independent_integration() {
        let c = SHERLOCK;
        assert!((c.luminosity_mpc(0.1) - 460.29994).abs() < 1e-3);
        assert!((c.angular_diameter_mpc(0.1) - 380.41317).abs() < 1e-3);
        assert!((c.luminosity_mpc(1.0) - 6607.6576).abs() < 1e-2);
        assert!((c.angular_diameter_mpc(1.0) - 1651.9144).abs() < 1e-2);
    }

    #[test]
    fn small_redshifts_follow_hubbles_law() {
        // D ≈ cz/H0 (1 + (1 - q0) z / 2) with q0 = Ωm/2 - ΩΛ = -0.55: at z = 0.001 that is
        // 4.2827 Mpc * (1 + 0.000775) = 4.2861 Mpc.
        let d = SHERLOCK.luminosity_mpc(0.001);
        assert!((d - 4.2861).abs() < 0.001, "{d}");
    }

    #[test]
    fn no_distance_for_no_redshift() {
        assert!(SHERLOCK.at(0.0).is_none());
        assert!(SHERLOCK.at(-0.1).is_none());
        assert!(SHERLOCK.at(f64::NAN).is_none());
        assert!(Distances::direct(0.0).is_none());
        // 10 Mpc: m - M = 5 log10(1e7) - 5 = 30.
        let d = Distances::direct(10.0).expect("positive");
        assert!((d.modulus() - 30.0).abs() < 1e-12);
    }
}

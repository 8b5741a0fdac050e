//! Deterministic randomness: generators derived from the seed and a key, and the few
//! distributions `rand` itself lacks.
//!
//! Every draw that must agree wherever it is made (a detection's real-bogus score appears in
//! its own alert and again in later alerts' history) comes from a generator keyed by what it
//! describes, never from a shared stream whose state depends on the order of generation.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Separates the purposes keys are drawn for, so two purposes never share a generator.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Population = 1,
    Object = 2,
    Visit = 3,
    Detection = 4,
    Stamp = 5,
    Catalogue = 6,
}

/// SplitMix64's finaliser: spreads any input over all 64 bits.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A hash of the seed, the purpose and the key parts.
pub fn hash(seed: u64, purpose: Purpose, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(mix(seed ^ mix(purpose as u64)), |h, &p| mix(h ^ p))
}

/// A generator for one purpose and key.
pub fn keyed(seed: u64, purpose: Purpose, parts: &[u64]) -> StdRng {
    StdRng::seed_from_u64(hash(seed, purpose, parts))
}

/// A uniform draw in [0, 1) from a hash, for draws too cheap to deserve a generator.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal draw (Box-Muller).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A uniform draw in [lo, hi); tolerates lo == hi.
pub fn uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Picks an index with probability proportional to its weight.
pub fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_generators_repeat_and_differ() {
        let a: u64 = keyed(7, Purpose::Object, &[1, 2]).random();
        let b: u64 = keyed(7, Purpose::Object, &[1, 2]).random();
        let c: u64 = keyed(7, Purpose::Object, &[2, 1]).random();
        let d: u64 = keyed(7, Purpose::Visit, &[1, 2]).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn normal_has_unit_spread() {
        let mut rng = keyed(1, Purpose::Population, &[]);
        let xs: Vec<f64> = (0..20_000).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let mut rng = keyed(3, Purpose::Population, &[]);
        for _ in 0..1000 {
            assert_eq!(weighted(&mut rng, &[0.0, 1.0, 0.0]), 1);
        }
    }
}

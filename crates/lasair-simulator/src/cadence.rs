//! When a survey looks at a field: visit nights a few nights apart, one or two exposures a
//! night, their bands, depths and seeing. Every object in a field shares its visits.

use rand::Rng;

use crate::photometry::Band;
use crate::random::{self, keyed, normal, uniform, Purpose};

/// A survey's observing pattern.
#[derive(Debug, Clone)]
pub struct Cadence {
    /// The first and last nights of the simulation (integer MJDs).
    pub first_night: i64,
    pub last_night: i64,
    /// Nights between visits of a field, inclusive range.
    pub gap_nights: (i64, i64),
    /// Chance that a visit night has a second exposure (in another band) the same night.
    pub pair_probability: f64,
    /// Bands in use, with their share of exposures.
    pub bands: &'static [(Band, f64)],
    /// ZTF alternates g and r from one visit to the next instead of drawing bands.
    pub alternate: bool,
    /// Fraction of the MJD day when observing starts, exposure slot length, slots per night.
    pub night_start: f64,
    pub slot_seconds: f64,
    pub slots: u32,
    /// Mean 5-sigma depth per band (indexed by `Band::index`) and its night-to-night scatter.
    pub depth: [f64; 6],
    pub depth_scatter: f64,
    /// Seeing FWHM in arcseconds: mean, scatter, best.
    pub seeing: (f64, f64, f64),
}

/// One exposure of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit {
    pub mjd: f64,
    pub night: i64,
    pub slot: u32,
    /// 0 for the night's first exposure of the field, 1 for the second.
    pub pass: u8,
    pub band: Band,
    /// 5-sigma limiting magnitude of the difference image.
    pub limit: f64,
    pub seeing: f64,
}

impl Cadence {
    /// Mean days between two exposures of a field.
    pub fn days_per_visit(&self) -> f64 {
        let gap = (self.gap_nights.0 + self.gap_nights.1) as f64 / 2.0;
        gap / (1.0 + self.pair_probability)
    }

    /// The mean depth over the bands in use, weighted by their share.
    pub fn mean_depth(&self) -> f64 {
        let total: f64 = self.bands.iter().map(|b| b.1).sum();
        self.bands
            .iter()
            .map(|(b, w)| self.depth[b.index()] * w)
            .sum::<f64>()
            / total
    }

    /// The visits of a field from `from_mjd` on, in time order, without end.
    pub fn visits(&self, seed: u64, field: u32, from_mjd: f64) -> impl Iterator<Item = Visit> + '_ {
        let key = move |n: u64| random::hash(seed, Purpose::Visit, &[u64::from(field), n]);
        let span = (self.gap_nights.1 - self.gap_nights.0 + 1) as u64;
        let mut night = self.first_night + (key(u64::MAX) % span) as i64;
        let mut count = 0u64;
        std::iter::from_fn(move || {
            let nights = (night, count);
            night += self.gap_nights.0 + (key(count) % span) as i64;
            count += 1;
            Some(nights)
        })
        .skip_while(move |&(n, _)| (n as f64) + 1.0 < from_mjd)
        .flat_map(move |(n, c)| self.night_visits(seed, field, n, c))
        .filter(move |v| v.mjd >= from_mjd)
    }

    /// The one or two exposures of a field on one of its visit nights.
    fn night_visits(&self, seed: u64, field: u32, night: i64, count: u64) -> Vec<Visit> {
        let mut rng = keyed(seed, Purpose::Visit, &[u64::from(field), night as u64]);
        let slot = rng.random_range(0..self.slots);
        let paired = rng.random::<f64>() < self.pair_probability;
        let bands = self.night_bands(&mut rng, paired, count);
        let first =
            night as f64 + self.night_start + f64::from(slot) * self.slot_seconds / 86_400.0;
        let second = first + uniform(&mut rng, 0.015, 0.04);
        bands
            .into_iter()
            .zip([first, second])
            .enumerate()
            .map(|(pass, (band, mjd))| {
                let (mean, sd, best) = self.seeing;
                let seeing = (mean + sd * normal(&mut rng)).max(best);
                let limit = self.depth[band.index()] + self.depth_scatter * normal(&mut rng)
                    - 1.25 * (seeing / mean).log10();
                Visit {
                    mjd,
                    night,
                    slot,
                    pass: pass as u8,
                    band,
                    limit,
                    seeing,
                }
            })
            .collect()
    }

    fn night_bands(&self, rng: &mut impl Rng, paired: bool, count: u64) -> Vec<Band> {
        let weights: Vec<f64> = self.bands.iter().map(|b| b.1).collect();
        if self.alternate {
            let first = self.bands[(count % self.bands.len() as u64) as usize].0;
            let other = self.bands[((count + 1) % self.bands.len() as u64) as usize].0;
            if paired {
                vec![first, other]
            } else {
                vec![first]
            }
        } else {
            let first = random::weighted(rng, &weights);
            let mut out = vec![self.bands[first].0];
            if paired && self.bands.len() > 1 {
                let mut second = random::weighted(rng, &weights);
                while second == first {
                    second = random::weighted(rng, &weights);
                }
                out.push(self.bands[second].0);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ztf_like() -> Cadence {
        Cadence {
            first_night: 59_400,
            last_night: 60_990,
            gap_nights: (2, 3),
            pair_probability: 0.5,
            bands: &[(Band::G, 1.0), (Band::R, 1.0)],
            alternate: true,
            night_start: 0.15,
            slot_seconds: 40.0,
            slots: 700,
            depth: [0.0, 20.6, 20.4, 0.0, 0.0, 0.0],
            depth_scatter: 0.3,
            seeing: (2.0, 0.4, 1.2),
        }
    }

    #[test]
    fn visits_are_ordered_and_a_few_nights_apart() {
        let c = ztf_like();
        let v: Vec<Visit> = c.visits(1, 300, 59_420.0).take(60).collect();
        assert!(v[0].mjd >= 59_420.0);
        assert!(v.windows(2).all(|w| w[1].mjd > w[0].mjd));
        let nights: Vec<i64> = v.iter().filter(|x| x.pass == 0).map(|x| x.night).collect();
        assert!(nights.windows(2).all(|w| (2..=3).contains(&(w[1] - w[0]))));
        assert!(v.iter().any(|x| x.band == Band::G) && v.iter().any(|x| x.band == Band::R));
    }

    #[test]
    fn objects_in_a_field_share_its_visits() {
        let c = ztf_like();
        let a: Vec<Visit> = c.visits(1, 300, 59_400.0).skip(10).take(5).collect();
        let b: Vec<Visit> = c.visits(1, 300, a[0].mjd).take(5).collect();
        assert_eq!(a, b);
    }
}

//! Where objects are: positions drawn from a survey's sky, denser near the Galactic plane,
//! and the coordinate conversions alerts report (Galactic, ecliptic) or use (field grids).

use lasair_sky::galactic;
use rand::Rng;

use crate::random::uniform;

/// The declination band a survey sees, and how strongly the Galactic plane is favoured.
#[derive(Debug, Clone, Copy)]
pub struct SkyRegion {
    pub dec_min: f64,
    pub dec_max: f64,
    /// Extra density at b = 0 relative to the poles (the plane holds most variable stars).
    pub plane_boost: f64,
}

/// Obliquity of the ecliptic, J2000 (degrees).
pub const OBLIQUITY: f64 = 23.439_291;

/// Draws a position (ra, dec in degrees) from the region, by rejection on Galactic latitude.
pub fn sample(rng: &mut impl Rng, region: &SkyRegion) -> (f64, f64) {
    let (s_min, s_max) = (
        region.dec_min.to_radians().sin(),
        region.dec_max.to_radians().sin(),
    );
    loop {
        let ra = uniform(rng, 0.0, 360.0);
        let dec = uniform(rng, s_min, s_max).asin().to_degrees();
        let (_, b) = galactic(ra, dec);
        let weight = 1.0 + region.plane_boost * (-b.abs() / 8.0).exp();
        if rng.random::<f64>() * (1.0 + region.plane_boost) < weight {
            return (ra, dec);
        }
    }
}

/// Ecliptic longitude and latitude (degrees) of an equatorial position.
pub fn ecliptic(ra: f64, dec: f64) -> (f64, f64) {
    let (ra, dec, eps) = (ra.to_radians(), dec.to_radians(), OBLIQUITY.to_radians());
    let sin_beta = dec.sin() * eps.cos() - dec.cos() * eps.sin() * ra.sin();
    let y = ra.sin() * eps.cos() + dec.tan() * eps.sin();
    let lambda = y.atan2(ra.cos()).to_degrees().rem_euclid(360.0);
    (lambda, sin_beta.clamp(-1.0, 1.0).asin().to_degrees())
}

/// A survey's tiling of the sky into fields, each cut into a `sub` x `sub` grid of
/// readout channels (ZTF: 64 quadrants) or detectors (LSST: 189 CCDs).
#[derive(Debug, Clone, Copy)]
pub struct FieldGrid {
    pub first_field: u32,
    pub size_deg: f64,
    pub sub: u32,
    pub sub_count: u32,
}

impl FieldGrid {
    /// The field and sub-field of a position.
    pub fn locate(&self, ra: f64, dec: f64) -> (u32, u32) {
        let row = ((dec + 90.0) / self.size_deg).floor();
        let row_dec = (row + 0.5) * self.size_deg - 90.0;
        let per_row = (360.0 * row_dec.to_radians().cos() / self.size_deg)
            .ceil()
            .max(1.0);
        let col = (ra / 360.0 * per_row).floor().min(per_row - 1.0);
        let rows_before = row as u32 * 60;
        let field = self.first_field + rows_before + col as u32;
        let fx = ra / 360.0 * per_row - col;
        let fy = (dec + 90.0) / self.size_deg - row;
        let sx = ((fx * f64::from(self.sub)) as u32).min(self.sub - 1);
        let sy = ((fy * f64::from(self.sub)) as u32).min(self.sub - 1);
        (field, (sy * self.sub + sx) % self.sub_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{keyed, Purpose};

    #[test]
    fn ecliptic_of_the_vernal_equinox() {
        let (lambda, beta) = ecliptic(0.0, 0.0);
        assert!(lambda.abs() < 1e-9 && beta.abs() < 1e-9);
        let (_, beta) = ecliptic(270.0, 66.560_708);
        assert!((beta - 90.0).abs() < 1e-3, "{beta}");
    }

    #[test]
    fn samples_stay_in_band_and_favour_the_plane() {
        let region = SkyRegion {
            dec_min: -30.0,
            dec_max: 90.0,
            plane_boost: 4.0,
        };
        let mut rng = keyed(1, Purpose::Population, &[]);
        let points: Vec<_> = (0..4000).map(|_| sample(&mut rng, &region)).collect();
        assert!(points
            .iter()
            .all(|&(ra, dec)| (0.0..360.0).contains(&ra) && dec >= -30.0));
        let low = points
            .iter()
            .filter(|&&(ra, dec)| galactic(ra, dec).1.abs() < 10.0)
            .count();
        // |b| < 10 is about 17% of the sphere; the boost must make it clearly more.
        assert!(low as f64 > 0.3 * points.len() as f64, "{low}");
    }

    #[test]
    fn fields_and_subfields_are_in_range() {
        let grid = FieldGrid {
            first_field: 200,
            size_deg: 6.9,
            sub: 8,
            sub_count: 64,
        };
        for (ra, dec) in [(0.0, -30.0), (359.999, 89.9), (180.0, 0.0)] {
            let (field, sub) = grid.locate(ra, dec);
            assert!(field >= 200 && sub < 64);
        }
    }
}

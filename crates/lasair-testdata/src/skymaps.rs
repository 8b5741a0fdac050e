//! What ligo.skymap and mocpy say of the real gravitational-wave sky maps (and two flat maps
//! derived from one): the fixtures `crates/lasair-sky/tests/fixtures/skymaps/*.csv`, made by
//! `expected.py` there. Every GW test takes its expected answers from here.

/// `file,ra,dec,distance,contour,probdensity,probdensity_vol,in10,in50,in90`.
const POSITIONS: &str = include_str!("../../lasair-sky/tests/fixtures/skymaps/positions.csv");
/// `file,level,area_deg2,sky_fraction`.
const AREAS: &str = include_str!("../../lasair-sky/tests/fixtures/skymaps/areas.csv");

/// A position and what the map says there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub ra: f64,
    pub dec: f64,
    /// A host distance drawn for the place, Mpc.
    pub distance: f64,
    /// The credible level of its pixel, 0..1.
    pub contour: f64,
    /// The 2-D density, sr⁻¹.
    pub probdensity: f64,
    /// The 3-D density at `distance`, Mpc⁻³ (NaN for a map without distances).
    pub vol: f64,
    /// Whether it is in the 10%, 50% and 90% regions.
    pub inside: [bool; 3],
}

fn rows<'m>(text: &'static str, map: &'m str) -> impl Iterator<Item = Vec<&'static str>> + 'm {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(move |r| r[0] == map)
}

fn number(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("{cell:?} in the sky map fixtures is not a number"))
}

/// The places of map `map` (its name in the fixtures: `skymaps/S200129m_bayestar.multiorder.fits`
/// under ../shared/data, or `fixtures/ring_vector.fits.gz`).
pub fn places(map: &str) -> Vec<Place> {
    rows(POSITIONS, map)
        .map(|r| Place {
            ra: number(r[1]),
            dec: number(r[2]),
            distance: number(r[3]),
            contour: number(r[4]),
            probdensity: number(r[5]),
            vol: number(r[6]),
            inside: [r[7] == "1", r[8] == "1", r[9] == "1"],
        })
        .collect()
}

/// The (level, area in deg², sky fraction) of each credible region of `map`.
pub fn areas(map: &str) -> Vec<(f64, f64, f64)> {
    rows(AREAS, map)
        .map(|r| (number(r[1]), number(r[2]), number(r[3])))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_map_has_places_and_three_areas() {
        let mock = super::places("skymaps/MS181101ab_mock_map.fits");
        assert!(mock.len() > 200 && mock.iter().any(|p| p.inside[2]));
        assert_eq!(super::areas("skymaps/MS181101ab_mock_map.fits").len(), 3);
        assert!(super::places("nothing").is_empty());
    }
}

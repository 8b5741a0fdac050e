//! Every real gravitational-wave sky map (multi-order and flat) and two flat forms derived
//! from one of them: pixels, distances, credible areas and what the map says at a thousand
//! positions, against ligo.skymap's and mocpy's answers (tests/fixtures/skymaps/expected.py
//! and its committed output, read through lasair-testdata's `skymaps`); Lasair's own 90% MOC
//! of the mock event, cell for cell.

use std::path::PathBuf;
use std::sync::OnceLock;

use lasair_sky::skymap::{Credible, Skymap};
use lasair_sky::Area;
use lasair_testdata::skymaps;

const MAPS: &str = include_str!("fixtures/skymaps/maps.csv");

fn map_path(name: &str) -> Option<PathBuf> {
    match name.strip_prefix("fixtures/") {
        Some(local) => Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/skymaps")
                .join(local),
        ),
        None => lasair_testdata::shared_data(name),
    }
}

fn csv_rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).map(|l| l.split(',').collect())
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("{s} is not a number"))
}

/// Equal within `rel` of the larger, or both NaN (absent).
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

/// Every map of the fixtures whose file is here, read once for all the tests (the flat
/// GW190814 map is 400 MB unzipped).
fn maps() -> &'static [(String, Skymap)] {
    static MAPS_READ: OnceLock<Vec<(String, Skymap)>> = OnceLock::new();
    MAPS_READ.get_or_init(|| {
        csv_rows(MAPS)
            .filter_map(|row| {
                let path = map_path(row[0])?;
                let map = Skymap::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
                Some((row[0].to_owned(), map))
            })
            .collect()
    })
}

#[test]
fn pixels_distances_and_the_most_probable_place_match_ligo_skymap() {
    let maps = maps();
    for row in csv_rows(MAPS) {
        let Some((name, map)) = maps.iter().find(|(n, _)| n == row[0]) else {
            continue;
        };
        let all = map.all();
        assert_eq!(
            all.pixels().len(),
            row[1].parse::<usize>().unwrap(),
            "{name}"
        );
        assert_eq!(all.depth(), row[2].parse::<u8>().unwrap(), "{name}");
        let meta = map.meta();
        let header = (
            meta.distmean.unwrap_or(f64::NAN),
            meta.diststd.unwrap_or(f64::NAN),
        );
        assert!(close(header.0, num(row[3]), 1e-15) && close(header.1, num(row[4]), 1e-15));
        let (mean, std) = map.marginal_distance().unwrap_or((f64::NAN, f64::NAN));
        assert!(
            close(mean, num(row[5]), 1e-9),
            "{name}: {mean} vs {}",
            row[5]
        );
        assert!(close(std, num(row[6]), 1e-9), "{name}: {std} vs {}", row[6]);
        let (ra, dec) = map.max_location().unwrap();
        assert!(
            (ra - num(row[7])).abs() < 1e-9 && (dec - num(row[8])).abs() < 1e-9,
            "{name}"
        );
        assert!(
            close(meta.mjd_obs.unwrap_or(f64::NAN), num(row[9]), 1e-15),
            "{name}"
        );
        // The distance reported is the header's where it has one, else the computed one.
        let (m, _) = map.distance().unwrap_or((f64::NAN, f64::NAN));
        assert!(close(
            m,
            if header.0.is_nan() { mean } else { header.0 },
            0.0
        ));
    }
}

#[test]
fn credible_areas_match_mocpy() {
    let maps = maps();
    let mut checked = 0;
    for (name, map) in maps {
        for (level, area, fraction) in skymaps::areas(name) {
            let region = map.credible(level);
            assert!(
                close(region.area_deg2(), area, 1e-12),
                "{name} {level}: {} vs {area}",
                region.area_deg2()
            );
            let moc = region.area(name);
            assert!(close(moc.sky_fraction(), fraction, 1e-12), "{name} {level}");
            // At the map's own order; stored and read back, the same cells (an empty MOC is
            // no watchmap).
            if fraction > 0.0 {
                assert_eq!(moc.depth(), map.all().depth(), "{name}");
                let back = Area::from_bytes(&moc.to_fits(), name).unwrap();
                assert_eq!(back.ranges(), moc.ranges());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * maps.len());
}

#[test]
fn levels_and_densities_at_positions_match_ligo_skymap() {
    let (mut checked, mut inside) = (0, 0);
    for (name, map) in maps() {
        let levels = [0.1, 0.5, 0.9].map(|l| map.credible(l));
        // ligo.skymap scales a float32 map's PROB to a density in float32; we do it in f64.
        let rel: f64 = if name.contains("ring_vector") {
            1e-6
        } else {
            1e-12
        };
        for p in skymaps::places(name) {
            let (ra, dec) = (p.ra, p.dec);
            let at = map
                .locate(ra, dec)
                .unwrap_or_else(|| panic!("{name}: {ra} {dec} located"));
            let where_ = format!("{name} at {ra} {dec}");
            assert!(
                close(at.contour, p.contour, rel.max(1e-9)),
                "{where_}: {} vs {}",
                at.contour,
                p.contour
            );
            assert!(
                close(at.probdensity, p.probdensity, rel),
                "{where_}: {} vs {}",
                at.probdensity,
                p.probdensity
            );
            let vol = at.density3(p.distance).unwrap_or(f64::NAN);
            assert!(close(vol, p.vol, 1e-9), "{where_}: {vol} vs {}", p.vol);
            for (region, flag) in levels.iter().zip(p.inside) {
                assert_eq!(region.contains(ra, dec), flag, "{where_}");
                if let Some(here) = region.locate(ra, dec) {
                    assert_eq!(here, at, "a region says what its map says");
                }
            }
            checked += 1;
            inside += usize::from(p.inside[2]);
        }
    }
    if !maps().is_empty() {
        assert!(checked >= 200 * maps().len() && inside > checked / 4 && inside < checked);
    }
}

#[test]
fn the_90_region_of_the_mock_event_is_lasairs_own_moc() {
    let (Some(map), Some(moc)) = (
        lasair_testdata::shared_data("skymaps/MS181101ab_mock_map.fits"),
        lasair_testdata::shared_data("skymaps/MS181101ab_mock_90.moc"),
    ) else {
        return;
    };
    let ours = Skymap::from_path(map).unwrap().credible(0.9).area("ours");
    let lasair = Area::from_path(moc).unwrap();
    assert_eq!(ours.ranges(), lasair.ranges());
    assert_eq!(ours.depth(), lasair.depth());
}

#[test]
fn a_stored_region_answers_as_the_map() {
    for (name, map) in maps() {
        let region = map.credible(0.9);
        let back = Credible::from_bytes(&region.to_bytes(), name).unwrap();
        assert_eq!(back, region, "{name}");
    }
}

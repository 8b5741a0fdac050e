//! The index against brute force (every point's separation by `separation_arcsec`) on seeded
//! random skies, with the hard places: RA 0/360, the poles, radii from 0.1" to degrees.

use super::*;

use lasair_testdata::Rng;

type Point = (f64, f64, f32);

fn brute_within(points: &[Point], ra: f64, dec: f64, r: f64) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, separation_arcsec(ra, dec, p.0, p.1)))
        .filter(|&(_, s)| s <= r)
        .collect();
    v.sort_by_key(|m| m.0);
    v
}

fn brute_containing(points: &[Point], ra: f64, dec: f64) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, separation_arcsec(ra, dec, p.0, p.1), p.2))
        .filter(|&(_, s, r)| s <= f64::from(r))
        .map(|(i, s, _)| (i, s))
        .collect();
    v.sort_by_key(|m| m.0);
    v
}

fn indexed_within(index: &PointIndex, ra: f64, dec: f64, r: f64) -> Vec<(u32, f64)> {
    let mut v = Vec::new();
    index.within(ra, dec, r, &mut v);
    v.sort_by_key(|m| m.0);
    v
}

fn indexed_containing(index: &PointIndex, ra: f64, dec: f64) -> Vec<(u32, f64)> {
    let mut v = Vec::new();
    index.containing(ra, dec, &mut v);
    v.sort_by_key(|m| m.0);
    v
}

/// Checks `within` for every query and radius; returns how many matches were found in all, so
/// a test can insist that it checked something.
fn check_within(points: &[Point], queries: &[(f64, f64)], radii: &[f64]) -> usize {
    let index = PointIndex::build(points.iter().copied());
    assert_eq!(index.len(), points.len());
    let mut found = 0;
    for &(ra, dec) in queries {
        for &r in radii {
            let want = brute_within(points, ra, dec, r);
            let got = indexed_within(&index, ra, dec, r);
            assert_eq!(got, want, "within({ra}, {dec}, {r}\")");
            found += want.len();
        }
    }
    found
}

/// `n` points in a cluster around (ra, dec) within `spread` degrees in each coordinate,
/// folded into [0, 360) and [-90, 90] as a catalogue would hold them.
fn cluster(rng: &mut Rng, n: usize, ra: f64, dec: f64, spread: f64, r: f32) -> Vec<Point> {
    (0..n)
        .map(|_| {
            let mut d = dec + rng.range(-spread, spread);
            let mut a = ra + rng.range(-spread, spread);
            if d > 90.0 {
                d = 180.0 - d;
                a += 180.0;
            } else if d < -90.0 {
                d = -180.0 - d;
                a += 180.0;
            }
            (a.rem_euclid(360.0), d, r)
        })
        .collect()
}

#[test]
fn within_matches_brute_force_on_a_random_sky() {
    let mut rng = Rng(1);
    let points: Vec<Point> = (0..20_000)
        .map(|_| {
            let (ra, dec) = rng.sky();
            (ra, dec, 0.0)
        })
        .collect();
    // Queries on top of points (so small radii find something) and at random places.
    let mut queries: Vec<(f64, f64)> = points.iter().take(50).map(|p| (p.0, p.1)).collect();
    queries.extend((0..50).map(|_| rng.sky()));
    let found = check_within(&points, &queries, &[0.1, 2.0, 30.0, 1800.0, 3.0 * 3600.0]);
    assert!(
        found > 1000,
        "only {found} matches: the test checked too little"
    );
}

#[test]
fn within_across_ra_zero() {
    let mut rng = Rng(2);
    // 3000 points within 0.05 deg of RA 0 (both sides), dec near 0 and near +-60.
    let mut points = cluster(&mut rng, 3000, 0.0, 0.0, 0.05, 0.0);
    points.extend(cluster(&mut rng, 3000, 0.0, 60.0, 0.05, 0.0));
    points.extend(cluster(&mut rng, 3000, 360.0, -60.0, 0.05, 0.0));
    let queries = [
        (0.0, 0.0),
        (359.999, 0.001),
        (0.0005, -0.002),
        (359.9999, 60.0),
        (0.01, -60.01),
        (360.0, 0.0),
    ];
    let found = check_within(&points, &queries, &[0.1, 2.0, 30.0, 180.0, 1800.0]);
    assert!(found > 1000, "only {found} matches");
}

#[test]
fn within_at_the_poles() {
    let mut rng = Rng(3);
    let mut points = cluster(&mut rng, 4000, 0.0, 90.0, 0.2, 0.0);
    points.extend(cluster(&mut rng, 4000, 123.0, -90.0, 0.2, 0.0));
    points.push((17.0, 90.0, 0.0));
    points.push((250.0, -90.0, 0.0));
    let queries = [
        (0.0, 90.0),
        (200.0, 90.0),
        (45.0, 89.999),
        (300.0, 89.95),
        (0.0, -90.0),
        (90.0, -89.9995),
    ];
    let found = check_within(&points, &queries, &[0.1, 2.0, 30.0, 600.0, 1800.0, 7200.0]);
    assert!(found > 1000, "only {found} matches");
}

#[test]
fn containing_matches_brute_force_with_mixed_radii() {
    let mut rng = Rng(4);
    let radii = [0.1f32, 0.7, 2.0, 3.0, 30.0, 100.0, 600.0, 1800.0];
    let mut points: Vec<Point> = (0..5000)
        .map(|i| {
            let (ra, dec) = rng.sky();
            (ra, dec, radii[i % radii.len()])
        })
        .collect();
    // Cones crowding RA 0 and the poles, and some points without a radius.
    points.extend(cluster(&mut rng, 500, 0.0, 0.0, 0.3, 30.0));
    points.extend(cluster(&mut rng, 500, 0.0, 89.9, 0.3, 1800.0));
    points.extend(cluster(&mut rng, 500, 0.0, -90.0, 0.1, 2.0));
    points.extend(cluster(&mut rng, 200, 10.0, 10.0, 0.1, 0.0));
    let index = PointIndex::build(points.iter().copied());
    let mut queries: Vec<(f64, f64)> = points
        .iter()
        .step_by(7)
        .map(|p| (p.0 + 0.0001, (p.1 - 0.0001).max(-90.0)))
        .collect();
    queries.extend((0..300).map(|_| rng.sky()));
    queries.extend([(0.0, 90.0), (0.0, -90.0), (359.9999, 0.0), (0.0001, 89.95)]);
    let mut found = 0;
    for &(ra, dec) in &queries {
        let want = brute_containing(&points, ra, dec);
        assert_eq!(
            indexed_containing(&index, ra, dec),
            want,
            "containing({ra}, {dec})"
        );
        found += want.len();
    }
    assert!(found > 500, "only {found} matches");
}

#[test]
fn entry_numbers_follow_the_order_given() {
    let points = [(10.0, 10.0, 0.0), (10.0, 10.001, 0.0), (200.0, -30.0, 5.0)];
    let index = PointIndex::build(points);
    let got = indexed_within(&index, 10.0, 10.0, 10.0);
    // 0.001 deg of declination along a meridian is 3.6 arcsec.
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], (0, 0.0));
    assert_eq!(got[1].0, 1);
    assert!((got[1].1 - 3.6).abs() < 1e-9, "{}", got[1].1);
    let cones = indexed_containing(&index, 200.0, -30.001);
    assert_eq!(cones.len(), 1);
    assert_eq!(cones[0].0, 2);
}

#[test]
fn bad_positions_are_kept_but_never_match() {
    let points = [(f64::NAN, 0.0, 1.0), (10.0, 95.0, 1.0), (10.0, 10.0, 1.0)];
    let index = PointIndex::build(points);
    assert_eq!(index.len(), 3);
    assert_eq!(
        indexed_within(&index, 10.0, 10.0, 180.0 * 3600.0),
        vec![(2, 0.0)]
    );
    assert_eq!(indexed_containing(&index, 10.0, 10.0), vec![(2, 0.0)]);
    // Bad queries find nothing rather than panic.
    assert!(indexed_within(&index, f64::NAN, 10.0, 10.0).is_empty());
    assert!(indexed_within(&index, 10.0, 91.0, 10.0).is_empty());
    assert!(indexed_within(&index, 10.0, 10.0, -1.0).is_empty());
}

#[test]
fn an_empty_index_finds_nothing() {
    let index = PointIndex::build(std::iter::empty());
    assert!(index.is_empty());
    assert!(indexed_within(&index, 0.0, 0.0, 3600.0).is_empty());
    assert!(indexed_containing(&index, 0.0, 0.0).is_empty());
}

#[test]
fn memory_is_about_twenty_bytes_an_entry_without_radii() {
    let mut rng = Rng(5);
    let points: Vec<Point> = (0..100_000)
        .map(|_| {
            let (ra, dec) = rng.sky();
            (ra, dec, 0.0)
        })
        .collect();
    let index = PointIndex::build(points);
    let per_entry = index.memory_bytes() as f64 / 100_000.0;
    assert!(
        (20.0..26.0).contains(&per_entry),
        "{per_entry} bytes an entry"
    );
}

#[test]
fn the_index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<PointIndex>();
}

#[test]
fn within_radii_of_tens_of_degrees_up_to_the_whole_sky() {
    let mut rng = Rng(6);
    let points: Vec<Point> = (0..3000)
        .map(|_| {
            let (ra, dec) = rng.sky();
            (ra, dec, 0.0)
        })
        .collect();
    let queries = [(0.0, 0.0), (200.0, 89.0), (10.0, -45.0)];
    let degrees = [10.0, 47.0, 89.9, 95.0, 179.0, 180.0];
    let radii: Vec<f64> = degrees.iter().map(|d| d * 3600.0).collect();
    let found = check_within(&points, &queries, &radii);
    // The 180-degree cones alone hold every point, once per query.
    assert!(found > 3 * 3000, "only {found} matches");
}

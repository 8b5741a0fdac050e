//! Watchmaps and watchlists on real data: containment and sky fractions against mocpy's
//! answers (tests/fixtures/watchmaps/expected.py and its committed output), every bad MOC
//! refused, and watchlist hits against brute force at positions placed on, just inside and
//! just outside each cone.

use lasair_testdata::Rng;
use std::path::PathBuf;

use lasair_sky::{
    parse_cones, read_cones, separation_arcsec, Area, AreaError, AreaId, AreaSet, Cone, ConeError,
    ConeId, Watchlist, WatchlistId, WatchlistSet, WatchlistSetBuilder,
};

const FRACTIONS: &str = include_str!("fixtures/watchmaps/fractions.csv");
const CONTAINS: &str = include_str!("fixtures/watchmaps/contains.csv");

/// A MOC named as in the fixtures: `fixtures/...` is ours, anything else is in shared data.
fn moc_path(name: &str) -> Option<PathBuf> {
    match name.strip_prefix("fixtures/") {
        Some(local) => Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/watchmaps")
                .join(local),
        ),
        None => lasair_testdata::shared_data(name),
    }
}

fn csv_rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).map(|l| l.split(',').collect())
}

/// (name, area) of every MOC in the fixtures whose file is present.
fn fixture_areas() -> Vec<(String, Area, f64, u8)> {
    let mut out = Vec::new();
    for row in csv_rows(FRACTIONS) {
        let Some(path) = moc_path(row[0]) else {
            continue;
        };
        let area = Area::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        out.push((
            row[0].to_owned(),
            area,
            row[1].parse().expect("fraction"),
            row[2].parse().expect("order"),
        ));
    }
    out
}

#[test]
fn sky_fractions_and_orders_match_mocpy() {
    for (name, area, fraction, order) in fixture_areas() {
        assert_eq!(area.depth(), order, "{name}");
        let rel = (area.sky_fraction() - fraction).abs() / fraction;
        assert!(
            rel < 1e-12,
            "{name}: {} vs mocpy {fraction}",
            area.sky_fraction()
        );
    }
}

#[test]
fn containment_matches_mocpy_at_positions_near_every_edge() {
    let areas = fixture_areas();
    let (mut checked, mut inside) = (0, 0);
    for row in csv_rows(CONTAINS) {
        let Some((_, area, _, _)) = areas.iter().find(|a| a.0 == row[0]) else {
            continue;
        };
        let (ra, dec): (f64, f64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let expected = row[3] == "1";
        assert_eq!(area.contains(ra, dec), expected, "{} at {ra} {dec}", row[0]);
        checked += 1;
        inside += usize::from(expected);
    }
    if !areas.is_empty() {
        assert!(checked >= 180 * areas.len() && inside > 0 && inside < checked);
    }
}

#[test]
fn an_area_set_finds_each_area_where_mocpy_does() {
    let areas = fixture_areas();
    let set = AreaSet::build(
        areas
            .iter()
            .enumerate()
            .map(|(i, a)| (AreaId(100 + i as u32), a.1.clone())),
    );
    assert_eq!(set.len(), areas.len());
    let mut hits = Vec::new();
    for row in csv_rows(CONTAINS) {
        let Some(i) = areas.iter().position(|a| a.0 == row[0]) else {
            continue;
        };
        hits.clear();
        set.hits(row[1].parse().unwrap(), row[2].parse().unwrap(), &mut hits);
        let found = hits.contains(&AreaId(100 + i as u32));
        assert_eq!(found, row[3] == "1", "{} at {} {}", row[0], row[1], row[2]);
    }
}

#[test]
fn every_file_that_is_not_a_moc_is_refused_and_named() {
    // orion29.fits is the twin of the valid mocs/orion.fits (a MOC 2.0 Lasair's own tests
    // accept; mocpy reads it, see fixtures/watchmaps) with MOCORDER = 29.
    let cases = [
        ("mocs/bad/gbpusd.png", "PNG image"),
        ("mocs/bad/not_a_moc.txt", "is not a MOC"),
        ("mocs/bad/ar_2.fits", "is not a MOC"),
        (
            "mocs/bad/orion29.fits",
            "MOCORDER = 29 contradicts MOCORD_S = 9",
        ),
        ("ztf/alerts/ztf_public_20200202", "reading watchmap"),
        (
            "ztf/alerts/ZTF20abyfpze/ZTF20abyfpze.avro",
            "an Avro container file",
        ),
        ("skymaps/GW190814_LALInference.v1.fits.gz", "gzip"),
        (
            "skymaps/S200129m_bayestar.multiorder.fits",
            "a table of 5 columns",
        ),
        ("skymaps/MS181101ab_mock_map.fits", "not a valid FITS MOC"),
        ("cutouts/lsst_sample_cutout.fits", "FITS image (NAXIS = 2"),
        ("catalogues/gcvs.csv", "is not a MOC"),
    ];
    for (rel, why) in cases {
        let Some(path) = lasair_testdata::shared_data(rel) else {
            continue;
        };
        let err = match Area::from_path(&path) {
            Ok(area) => panic!("{rel} was read as a MOC of {} ranges", area.ranges().len()),
            Err(e) => e,
        };
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(why), "{rel}: {text}");
        if rel.ends_with(".png") || rel.ends_with(".txt") {
            assert!(matches!(err, AreaError::NotAMoc { .. }), "{err:?}");
        }
    }
    if let Some(dir) = lasair_testdata::shared_data("mocs/bad") {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(Area::from_path(&path).is_err(), "{name} was read as a MOC");
        }
    }
}

#[test]
fn containment_agrees_with_the_moc_crate_at_every_order() {
    use moc::moc::range::{CellSelection, RangeMOC};
    let mut rng = Rng(7);
    for depth in [0u8, 3, 8, 11, 14, 20, 29] {
        let (ra, dec) = (360.0 * rng.unit(), -80.0 + 160.0 * rng.unit());
        // A few to a few tens of cells across, so deep orders stay small MOCs.
        let cell_deg = 58.6 / f64::from(1u32 << depth);
        let radius = (cell_deg * (3.0 + 30.0 * rng.unit()))
            .min(10.0)
            .to_radians();
        let (lon, lat) = (ra.to_radians(), dec.to_radians());
        let moc: RangeMOC<u64, moc::qty::Hpx<u64>> =
            RangeMOC::from_cone(lon, lat, radius, depth, 0, CellSelection::All);
        let area = Area::from_moc("cone", &moc);
        let mut inside = 0;
        for _ in 0..2000 {
            // Half the probes within twice the radius, half anywhere.
            let (pra, pdec) = if rng.unit() < 0.5 {
                let r = 2.0 * radius.to_degrees();
                (
                    ra + r * (2.0 * rng.unit() - 1.0),
                    dec + r * (2.0 * rng.unit() - 1.0),
                )
            } else {
                (
                    360.0 * rng.unit(),
                    (2.0 * rng.unit() - 1.0).asin().to_degrees(),
                )
            };
            let (pra, pdec) = (pra.rem_euclid(360.0), pdec.clamp(-90.0, 90.0));
            let expected = moc.is_in(pra.to_radians(), pdec.to_radians());
            assert_eq!(
                area.contains(pra, pdec),
                expected,
                "order {depth} at {pra} {pdec}"
            );
            inside += usize::from(expected);
        }
        assert!(inside > 50, "order {depth}: only {inside} probes inside");
        let fraction = moc.coverage_percentage();
        assert!(
            (area.sky_fraction() - fraction).abs() < 1e-12,
            "order {depth}"
        );
    }
}

#[test]
fn lasair_cache_folders_load_by_id() {
    // mocs/ holds ar_1.fits (a watchmap) beside MOCs of other names; mocs/bad holds ar_2.fits,
    // which is text.
    if let Some(dir) = lasair_testdata::shared_data("mocs") {
        let (set, bad) = AreaSet::load_dir(&dir).unwrap();
        assert_eq!((set.len(), bad.len()), (1, 0));
        let area = set.get(AreaId(1)).expect("ar_1.fits is area 1");
        assert!(area.name().ends_with("ar_1.fits"));
    }
    if let Some(dir) = lasair_testdata::shared_data("mocs/bad") {
        let (set, bad) = AreaSet::load_dir(&dir).unwrap();
        assert!(set.is_empty());
        assert_eq!(bad.len(), 1);
        assert!(bad[0].to_string().contains("ar_2.fits"), "{}", bad[0]);
    }
}

#[test]
fn ascii_and_json_of_one_moc_are_the_same_area() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/watchmaps");
    let ascii = Area::from_path(dir.join("cone.ascii.txt")).unwrap();
    let json = Area::from_path(dir.join("cone.json")).unwrap();
    assert_eq!(ascii.ranges(), json.ranges());
    // The cone of 2 degrees at (359.5, -1) straddles RA 0.
    assert!(ascii.contains(0.5, -1.0) && ascii.contains(358.5, -1.0));
    assert!(!ascii.contains(2.0, -1.0) && !ascii.contains(359.5, 1.5));
}

// ---------------------------------------------------------------- watchlists

fn bllac() -> Option<Vec<Cone>> {
    let path = lasair_testdata::shared_data("watchlists/BLLac.txt")?;
    let (cones, report) = read_cones(&path).expect("BLLac.txt is readable");
    assert!(report.is_clean(), "{report}");
    Some(cones)
}

#[test]
fn reads_the_real_watchlists() {
    if let Some(cones) = bllac() {
        assert_eq!(cones.len(), 42);
        // First and last lines of the file, read by eye.
        assert_eq!(cones[0].name, "SHBL J001355.9-185406");
        assert_eq!((cones[0].ra, cones[0].dec), (3.4835, -18.9018056));
        assert_eq!(cones[41].name, "H 2356-309");
        assert_eq!((cones[41].ra, cones[41].dec), (359.7828333, -30.6279167));
        assert!(cones.iter().all(|c| c.radius_arcsec.is_none()));
    }
    if let Some(path) = lasair_testdata::shared_data("watchlists/sample_watchlist.csv") {
        let (wl, report) = Watchlist::from_path(WatchlistId(3), 2.0, &path).unwrap();
        assert!(report.is_clean() && !report.header, "{report}");
        assert!(report.source.ends_with("sample_watchlist.csv"));
        let cones = wl.cones;
        let names: Vec<&str> = cones.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "TST19aagkpou",
                "TST22aajbxge",
                "TST22aajbxiu",
                "TST22aajbxiv",
                "TST22aajbxlk"
            ]
        );
        assert_eq!((cones[4].ra, cones[4].dec), (170.115, -13.454));
    }
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_skipped() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/watchlists/mixed.txt");
    let (cones, report) = read_cones(&path).unwrap();
    let names: Vec<&str> = cones.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["good one", "good sexagesimal", "good near the pole"]
    );
    // 12:30:00 is 187.5 degrees; -45:30:00 is -45.5.
    assert_eq!(
        (cones[1].ra, cones[1].dec, cones[1].radius_arcsec),
        (187.5, -45.5, Some(30.0))
    );
    assert!(report.header);
    let lines: Vec<usize> = report.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [4, 5, 6, 8]);
    assert_eq!(report.bad[0].why, ConeError::RadiusTooLarge(3600.0));
    assert!(matches!(report.bad[1].why, ConeError::Dec(_)));
    assert!(matches!(report.bad[2].why, ConeError::Ra(_)));
    assert_eq!(report.bad[3].why, ConeError::Fields(2));
    let shown = report.to_string();
    let file = path.display().to_string();
    assert!(
        shown.contains(&format!(
            "{file}:4: radius 3600\" is above the 1800\" limit"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{file}:8: expected ra, dec, name")),
        "{shown}"
    );
}

#[test]
fn sexagesimal_lines_give_the_same_cones_as_degrees() {
    // 3C 66A: 02h22m39.6s +43d02m07.8s = 35.665 +43.0355 (the BLLac file's degrees).
    let (cones, report) = parse_cones("02:22:39.6|+43:02:07.8|3C 66A|5\n", "s.txt");
    assert!(report.is_clean(), "{report}");
    assert!((cones[0].ra - 35.665).abs() < 1e-9 && (cones[0].dec - 43.0355).abs() < 1e-9);
    assert_eq!(cones[0].radius_arcsec, Some(5.0));
}

/// Every (watchlist, cone, separation) within the cone's radius: the answer by brute force.
fn brute(lists: &[Watchlist], ra: f64, dec: f64) -> Vec<(WatchlistId, ConeId, f64)> {
    let mut out = Vec::new();
    for wl in lists {
        for (i, c) in wl.cones.iter().enumerate() {
            let r = c.radius_arcsec.unwrap_or(wl.radius_arcsec) as f32;
            let sep = separation_arcsec(ra, dec, c.ra, c.dec);
            if sep <= f64::from(r) {
                let id = wl.cone_ids.as_ref().map_or(ConeId(i as u32), |ids| ids[i]);
                out.push((wl.id, id, sep));
            }
        }
    }
    out.sort_by_key(|a| (a.0, a.1));
    out
}

fn found(set: &WatchlistSet, ra: f64, dec: f64) -> Vec<(WatchlistId, ConeId, f64)> {
    let hits = set.hits(ra, dec);
    assert!(
        hits.windows(2).all(|w| w[0].arcsec <= w[1].arcsec),
        "nearest first"
    );
    let mut out: Vec<_> = hits
        .iter()
        .map(|h| (h.wl_id, h.cone_id, h.arcsec))
        .collect();
    out.sort_by_key(|a| (a.0, a.1));
    out
}

fn assert_same(set: &WatchlistSet, lists: &[Watchlist], ra: f64, dec: f64) {
    let (got, want) = (found(set, ra, dec), brute(lists, ra, dec));
    let ids = |v: &[(WatchlistId, ConeId, f64)]| v.iter().map(|h| (h.0, h.1)).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&want), "at {ra} {dec}");
    for (g, w) in got.iter().zip(&want) {
        assert!((g.2 - w.2).abs() < 1e-9, "separation {g:?} vs {w:?}");
    }
}

/// Queries at exactly r - 0.01", r and r + 0.01" north and south of a cone's centre.
fn probe_cone(set: &WatchlistSet, lists: &[Watchlist], wl: usize, cone: usize) {
    let c = &lists[wl].cones[cone];
    let r = c.radius_arcsec.unwrap_or(lists[wl].radius_arcsec);
    let id = lists[wl]
        .cone_ids
        .as_ref()
        .map_or(ConeId(cone as u32), |ids| ids[cone]);
    for sign in [1.0, -1.0] {
        for (offset, inside) in [(r - 0.01, Some(true)), (r, None), (r + 0.01, Some(false))] {
            let dec = c.dec + sign * offset / 3600.0;
            if dec.abs() > 90.0 {
                continue;
            }
            assert_same(set, lists, c.ra, dec);
            let hit = set
                .hits(c.ra, dec)
                .into_iter()
                .find(|h| h.wl_id == lists[wl].id && h.cone_id == id);
            if let Some(inside) = inside {
                assert_eq!(
                    hit.is_some(),
                    inside,
                    "{} at {offset}\" of r = {r}\"",
                    c.name
                );
            }
            if let Some(h) = hit {
                assert_eq!(h.name, c.name);
                assert!((h.arcsec - offset).abs() < 1e-6, "{} vs {offset}", h.arcsec);
            }
        }
    }
}

#[test]
fn bllac_cones_hit_inside_on_and_not_outside_their_radius() {
    let Some(cones) = bllac() else {
        return;
    };
    // Own radii of every size, and the same list again under a second id with database ids.
    let mut own = cones.clone();
    for (i, c) in own.iter_mut().enumerate() {
        c.radius_arcsec = [None, Some(1.0), Some(60.0), Some(1800.0), Some(0.5)][i % 5];
    }
    let lists = vec![
        Watchlist {
            id: WatchlistId(7),
            radius_arcsec: 2.5,
            cones: own,
            cone_ids: None,
        },
        Watchlist {
            id: WatchlistId(12),
            radius_arcsec: 15.0,
            cones,
            cone_ids: Some((0..42).map(|i| ConeId(5000 + 3 * i)).collect()),
        },
    ];
    let set = WatchlistSet::build(&lists);
    assert_eq!((set.len(), set.watchlists()), (84, 2));
    for wl in 0..lists.len() {
        for cone in 0..lists[wl].cones.len() {
            probe_cone(&set, &lists, wl, cone);
        }
    }
    // Markarian 421 itself: in both lists, and with the database id in the second.
    let hits = set.hits(166.1138333, 38.2088611);
    let ids: Vec<(u32, u32)> = hits.iter().map(|h| (h.wl_id.0, h.cone_id.0)).collect();
    assert_eq!(ids.len(), 2, "{hits:?}");
    assert!(
        ids.contains(&(7, 21)) && ids.contains(&(12, 5063)),
        "{ids:?}"
    );
    assert!(hits
        .iter()
        .all(|h| h.name == "Markarian 421" && h.arcsec < 1e-9));
}

fn synthetic(id: u32, radius: f64, cones: &[(f64, f64, f64)]) -> Watchlist {
    Watchlist {
        id: WatchlistId(id),
        radius_arcsec: radius,
        cones: cones
            .iter()
            .enumerate()
            .map(|(i, &(ra, dec, r))| Cone {
                ra,
                dec,
                name: format!("s{id}-{i}"),
                radius_arcsec: (r > 0.0).then_some(r),
            })
            .collect(),
        cone_ids: None,
    }
}

#[test]
fn cones_across_ra_zero_and_at_the_pole() {
    let lists = vec![
        synthetic(
            1,
            5.0,
            &[
                (359.9995, 0.0, 0.0),
                (0.0, -30.0, 2.0),
                (0.0002, 45.0, 1800.0),
            ],
        ),
        synthetic(
            2,
            30.0,
            &[
                (0.0, 89.995, 0.0),
                (90.0, 89.995, 0.0),
                (180.0, 89.995, 0.0),
                (270.0, 89.995, 0.0),
            ],
        ),
        synthetic(3, 10.0, &[(0.0, 90.0, 0.0), (123.0, -89.9999, 0.0)]),
    ];
    let set = WatchlistSet::build(&lists);
    for (wl, list) in lists.iter().enumerate() {
        for cone in 0..list.cones.len() {
            probe_cone(&set, &lists, wl, cone);
        }
    }
    // By hand: at dec 0 an RA step is the separation; at dec -30 it shrinks by cos 30.
    let names = |ra, dec| -> Vec<String> {
        let mut v: Vec<String> = set
            .hits(ra, dec)
            .iter()
            .map(|h| h.name.to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(0.0008, 0.0), ["s1-0"]); // 4.68" of a 5" cone
    assert!(names(0.0012, 0.0).is_empty()); // 6.12"
    assert_eq!(names(359.9995, -30.0), ["s1-1"]); // 1.56" of 2"
    assert!(names(359.999, -30.0).is_empty()); // 3.12"
    assert_eq!(names(359.5, 45.0), ["s1-2"]); // 1271" of 1800" across RA 0
                                              // The pole is 18" from the four cones at 89.995 (30") and the centre of s3-0 (10").
    assert_eq!(names(0.0, 90.0), ["s2-0", "s2-1", "s2-2", "s2-3", "s3-0"]);
    assert_eq!(names(200.0, 90.0), ["s2-0", "s2-1", "s2-2", "s2-3", "s3-0"]);
    for ra in [0.0, 77.0, 180.0, 359.9] {
        assert_same(&set, &lists, ra, 89.999);
        assert_same(&set, &lists, ra, -89.99999);
    }
    assert_eq!(names(303.0, -89.9999), ["s3-1"]); // across the south pole: 0.72"
}

#[test]
fn crowded_overlapping_cones_match_brute_force() {
    let mut rng = Rng(42);
    // Three watchlists in a 2-degree field across RA 0, radii from 0.5" to 1800".
    let lists: Vec<Watchlist> = (0..3)
        .map(|w| {
            let cones: Vec<(f64, f64, f64)> = (0..700)
                .map(|_| {
                    let ra = (359.0 + 2.0 * rng.unit()).rem_euclid(360.0);
                    let dec = -1.0 + 2.0 * rng.unit();
                    let r = if rng.unit() < 0.8 {
                        0.5 + 10.0 * rng.unit()
                    } else {
                        1800.0 * rng.unit()
                    };
                    (ra, dec, if rng.unit() < 0.3 { 0.0 } else { r.max(0.1) })
                })
                .collect();
            synthetic(w, 3.0 + w as f64, &cones)
        })
        .collect();
    let set = WatchlistSet::build(&lists);
    let mut total = 0;
    for _ in 0..1500 {
        let ra = (359.0 + 2.0 * rng.unit()).rem_euclid(360.0);
        let dec = -1.0 + 2.0 * rng.unit();
        assert_same(&set, &lists, ra, dec);
        total += set.hits(ra, dec).len();
    }
    assert!(total > 1500, "the field is crowded: {total} hits");
    // And right beside small cones.
    for wl in 0..3 {
        for cone in (0..700).step_by(37) {
            probe_cone(&set, &lists, wl, cone);
        }
    }
}

#[test]
fn the_builder_refuses_bad_cones() {
    let mut b = WatchlistSetBuilder::new();
    assert_eq!(
        b.push_cone(1.0, 2.0, "x", None),
        Err(ConeError::NoWatchlist)
    );
    assert_eq!(
        b.start_watchlist(WatchlistId(1), 1800.5, None),
        Err(ConeError::RadiusTooLarge(1800.5))
    );
    assert_eq!(
        b.push_cone(1.0, 2.0, "x", None),
        Err(ConeError::NoWatchlist)
    );
    b.start_watchlist(WatchlistId(1), 2.0, None).unwrap();
    assert!(matches!(
        b.push_cone(1.0, 90.5, "x", None),
        Err(ConeError::Dec(_))
    ));
    assert!(matches!(
        b.push_cone(f64::NAN, 0.0, "x", None),
        Err(ConeError::Ra(_))
    ));
    assert_eq!(
        b.push_cone(1.0, 2.0, "x", Some(0.0)),
        Err(ConeError::Radius("0".into()))
    );
    assert_eq!(
        b.push_cone(1.0, 2.0, &"n".repeat(256), None),
        Err(ConeError::NameTooLong)
    );
    b.push_cone(-10.0, 2.0, "ok", None).unwrap();
    let set = b.build();
    assert_eq!(set.len(), 1);
    assert_eq!(set.hits(350.0, 2.0)[0].name, "ok");
}

#[test]
fn the_sets_are_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<WatchlistSet>();
    shared::<AreaSet>();
    shared::<Area>();
}

//! The classifier against real catalogues (expected answers from fixtures/expected.py) and on
//! edge cases derived by hand.

#[path = "fixtures/catalogues.rs"]
mod catalogues;

use std::sync::Arc;

use lasair_context::catalogue::{CatalogueKind, Source};
use lasair_context::classify::{Classifier, Context, Label, SearchConfig};
use lasair_context::memory::{point_source, MemoryCatalogues};

fn default_classifier(set: Arc<MemoryCatalogues>) -> Classifier {
    Classifier::new(SearchConfig::default_config(), set)
}

fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= tol)
}

/// Every ztf_public_20181129 alert against GCVS: within 1.3" of a star it is VS (synonym,
/// reliability 1), within 1.5" VS (association, 2), else ORPHAN; separations and offsets as
/// numpy computes them.
#[test]
fn ztf_alerts_on_gcvs_stars_are_variable_stars() {
    let Some(set) = catalogues::real(&["gcvs"]) else {
        return;
    };
    let classifier = default_classifier(set);
    let expected = catalogues::expected();
    let alerts = expected["gcvs"].as_array().expect("gcvs cases");
    assert_eq!(alerts.len(), 499);
    let mut variables = 0;
    for a in alerts {
        let (ra, dec) = (
            a["ra"].as_f64().expect("ra"),
            a["dec"].as_f64().expect("dec"),
        );
        let c = classifier.classify(ra, dec).expect("classify");
        let id = &a["objectId"];
        assert_eq!(c.classification, a["classification"], "{id}");
        if c.classification == "ORPHAN" {
            assert_eq!(c.best.association_type, None, "{id}");
            continue;
        }
        variables += 1;
        let star = &a["gcvs"][0];
        assert_eq!(
            c.best.classificationReliability.map(u64::from),
            a["reliability"].as_u64(),
            "{id}"
        );
        assert_eq!(c.best.catalogue_table_name.as_deref(), Some("gcvs"));
        assert!(close(
            c.best.separationArcsec,
            star["sep"].as_f64().expect("sep"),
            1e-4
        ));
        assert!(close(
            c.best.northSeparationArcsec,
            star["north"].as_f64().expect("n"),
            1e-4
        ));
        assert!(close(
            c.best.eastSeparationArcsec,
            star["east"].as_f64().expect("e"),
            1e-4
        ));
        assert!(close(c.best.raDeg, star["ra"].as_f64().expect("ra"), 1e-12));
        assert_eq!(
            c.best.catalogue_object_type.as_deref(),
            Some("variable star")
        );
        let vartype = star["vartype"].as_str().expect("vartype");
        assert!(
            c.best.description.contains(vartype),
            "{}",
            c.best.description
        );
        let summary = format!(
            "{:.1}\" from VS in gcvs",
            star["sep"].as_f64().unwrap_or(0.0)
        );
        assert_eq!(c.best.summary, summary);
    }
    assert_eq!(variables, 4, "the fixture has four alerts on GCVS stars");
}

/// Positions offset from real CLU galaxies (direct distances) and GLADE galaxies (redshifts):
/// NT on the nucleus, SN further out within 50 kpc, ORPHAN beyond (fixtures/expected.py).
#[test]
fn positions_in_real_galaxies_are_sn_or_nt_by_their_distance_from_the_nucleus() {
    let Some(set) = catalogues::real(&["clu", "glade"]) else {
        return;
    };
    let classifier = default_classifier(set);
    let expected = catalogues::expected();
    for case in expected["galaxies"].as_array().expect("galaxy cases") {
        let (ra, dec) = (
            case["ra"].as_f64().expect("ra"),
            case["dec"].as_f64().expect("dec"),
        );
        let c = classifier.classify(ra, dec).expect("classify");
        let what = format!("{} {} at {ra}, {dec}", case["catalogue"], case["id"]);
        assert_eq!(c.classification, case["classification"], "{what}");
        if c.classification == "ORPHAN" {
            continue;
        }
        let nuclear = c.classification == "NT";
        assert_eq!(
            c.best.classificationReliability,
            Some(if nuclear { 1 } else { 2 })
        );
        assert_eq!(
            c.best.catalogue_table_name.as_ref(),
            case["catalogue"].as_str().map(String::from).as_ref()
        );
        assert_eq!(
            c.best.catalogue_object_id.as_deref(),
            case["id"].as_str(),
            "{what}"
        );
        let sep = case["sep"].as_f64().expect("sep");
        assert!(close(c.best.separationArcsec, sep, 1e-4), "{what}");
        let kpc = case["kpc"].as_f64().expect("kpc");
        assert!(
            close(c.best.physical_separation_kpc, kpc, 1e-4 * kpc + 1e-6),
            "{what}: {:?} vs {kpc}",
            c.best.physical_separation_kpc
        );
        let distance = case["distance"].as_f64().expect("distance");
        assert!(close(c.best.distance, distance, 1e-4 * distance), "{what}");
        assert_eq!(c.best.z, case["z"].as_f64(), "{what}");
        if let Some(z) = case["z"].as_f64() {
            assert!(
                c.best.description.contains(&format!("z={z:.3}")),
                "{}",
                c.best.description
            );
        }
    }
}

/// On a real BSC5 star: BS (synonym); 10" north of it: BS (association, inside the 20" halo
/// cap), the star 10" to the south; 25" away: nothing.
#[test]
fn a_position_on_a_bright_star_is_bs() {
    let Some(set) = catalogues::real(&["bsc5"]) else {
        return;
    };
    let Some(path) = lasair_testdata::shared_data("catalogues/bsc5.csv") else {
        return;
    };
    // Betelgeuse, HR 2061, from the file itself.
    let star = catalogues::bsc5(&path)
        .into_iter()
        .find(|s| s.id == "HR 2061")
        .expect("HR 2061");
    let classifier = default_classifier(set);
    let on = classifier.classify(star.ra, star.dec).expect("classify");
    assert_eq!(on.classification, "BS");
    assert_eq!(on.best.classificationReliability, Some(1));
    assert_eq!(on.best.catalogue_object_id.as_deref(), Some("HR 2061"));
    assert!(close(on.best.separationArcsec, 0.0, 1e-9));
    // Straight north along the meridian: the separation is the Dec offset, 10".
    let north = classifier
        .classify(star.ra, star.dec + 10.0 / 3600.0)
        .expect("classify");
    assert_eq!(north.classification, "BS");
    assert_eq!(north.best.classificationReliability, Some(2));
    assert!(close(north.best.separationArcsec, 10.0, 1e-6));
    assert!(close(north.best.northSeparationArcsec, -10.0, 1e-6));
    assert!(
        north.best.description.contains("10.00\" N"),
        "{}",
        north.best.description
    );
    let away = classifier
        .classify(star.ra, star.dec + 25.0 / 3600.0)
        .expect("classify");
    assert_eq!(away.classification, "ORPHAN");
}

/// A position with no source of any loaded catalogue within 1000" (checked here by brute
/// force) is ORPHAN, with Sherlock's sentence.
#[test]
fn empty_sky_is_orphan() {
    let Some(set) = catalogues::real(&["gcvs", "bsc5", "clu", "glade"]) else {
        return;
    };
    let (ra, dec) = (77.7, -61.3);
    for name in ["gcvs", "bsc5", "clu", "glade"] {
        let near = lasair_context::catalogue::ConeSearch::cone(&*set, name, ra, dec, 1000.0)
            .expect("cone");
        assert!(
            near.is_empty(),
            "{name} has a source near the test position"
        );
    }
    let c = default_classifier(set).classify(ra, dec).expect("classify");
    assert_eq!(c.classification, "ORPHAN");
    assert_eq!(c.best.summary, "No catalogued match");
    assert!(c.crossmatches.is_empty());
}

fn one(name: &str, kind: CatalogueKind, sources: Vec<Source>) -> Arc<MemoryCatalogues> {
    let mut set = MemoryCatalogues::new();
    set.add(name, kind, sources);
    Arc::new(set)
}

/// A star just west of RA 0 and a transient just east of it: one arcsecond-scale
/// separation, not 360 degrees. Hand: ΔRA = 0.00015° at Dec 20°:
/// 0.00015 * 3600 * cos 20° = 0.507434"; the star is to the west (east offset negative).
#[test]
fn ra_wraps_at_zero() {
    let set = one(
        "gcvs",
        CatalogueKind::Variable,
        vec![point_source("wrap", 359.9999, 20.0)],
    );
    let c = default_classifier(set)
        .classify(0.00005, 20.0)
        .expect("classify");
    assert_eq!(c.classification, "VS");
    assert!(
        close(c.best.separationArcsec, 0.507434, 1e-5),
        "{:?}",
        c.best.separationArcsec
    );
    assert!(close(c.best.eastSeparationArcsec, -0.507434, 1e-5));
    // An RA given as 360.00005 is the same position.
    let set = one(
        "gcvs",
        CatalogueKind::Variable,
        vec![point_source("wrap", 359.9999, 20.0)],
    );
    let again = default_classifier(set)
        .classify(360.00005, 20.0)
        .expect("classify");
    assert_eq!(again.best.separationArcsec, c.best.separationArcsec);
}

/// Near the pole, RA means little: a star at (0, 89.9999) and a transient at (180, 89.9999)
/// are 2 * 0.0001° = 0.72" apart; at a pole itself every RA is the same point, so a star at
/// (123, 90) is 0.00005° = 0.18" from (300, 89.99995).
#[test]
fn poles() {
    let classify = |star: Source, ra: f64, dec: f64| {
        let set = one("gcvs", CatalogueKind::Variable, vec![star]);
        default_classifier(set).classify(ra, dec)
    };
    let c = classify(point_source("near-pole", 0.0, 89.9999), 180.0, 89.9999).expect("near");
    assert_eq!(c.classification, "VS");
    assert!(
        close(c.best.separationArcsec, 0.72, 1e-6),
        "{:?}",
        c.best.separationArcsec
    );
    let c = classify(point_source("pole", 123.0, 90.0), 300.0, 89.99995).expect("pole");
    assert_eq!(c.best.catalogue_object_id.as_deref(), Some("pole"));
    assert!(
        close(c.best.separationArcsec, 0.18, 1e-6),
        "{:?}",
        c.best.separationArcsec
    );
    let c = classify(point_source("south", 45.0, -90.0), 300.0, -90.0).expect("south");
    assert!(close(c.best.separationArcsec, 0.0, 1e-9));
    assert!(
        classify(point_source("x", 0.0, 0.0), 0.0, 90.5).is_err(),
        "Dec beyond the pole"
    );
    assert!(classify(point_source("x", 0.0, 0.0), f64::NAN, 0.0).is_err());
}

fn galaxy(id: &str, ra: f64, dec: f64) -> Source {
    point_source(id, ra, dec)
}

/// Galaxies without size and without any distance match no physical search (as in
/// Sherlock); with a photometric redshift only, it is used for the physical separation.
/// Hand: photo-z 0.1 gives 1.84430 kpc/" (cosmology tests), so 10" is 18.443 kpc.
#[test]
fn galaxies_without_sizes_or_redshifts() {
    let bare = galaxy("bare", 150.0, 2.0);
    let mut photo = galaxy("photo", 151.0, 2.0);
    photo.photo_z = Some(0.1);
    photo.photo_z_err = Some(0.02);
    let set = one("glade", CatalogueKind::Galaxy, vec![bare, photo]);
    let classifier = default_classifier(set);
    let c = classifier
        .classify(150.0, 2.0 + 0.5 / 3600.0)
        .expect("classify");
    assert_eq!(
        c.classification, "ORPHAN",
        "no size, no distance: no physical match"
    );
    let c = classifier
        .classify(151.0, 2.0 + 10.0 / 3600.0)
        .expect("classify");
    assert_eq!(c.classification, "SN");
    assert!(
        close(c.best.physical_separation_kpc, 18.443, 2e-3),
        "{:?}",
        c.best.physical_separation_kpc
    );
    assert_eq!(c.best.photoZ, Some(0.1));
    assert_eq!(c.best.photoZErr, Some(0.02));
    assert_eq!(c.best.z, None);
    assert!(
        c.best.description.contains("photoZ=0.100 (±0.020)"),
        "{}",
        c.best.description
    );
}

/// An angular search with `within_major_axis` keeps a sizeless galaxy, and cuts a sized one
/// at 2.5 semi-major axes (hand: 4" * 2.5 = 10").
#[test]
fn angular_galaxy_search_with_and_without_sizes() {
    let config = SearchConfig::parse(
        "[[search]]\ncatalogue = \"gal\"\nradius_arcsec = 30.0\nwithin_major_axis = true\nsynonym = \"NT\"\nassociation = \"SN\"\n",
        "test",
    )
    .expect("config");
    let sizeless = galaxy("sizeless", 10.0, 0.0);
    let mut sized = galaxy("sized", 20.0, 0.0);
    sized.major_axis_arcsec = Some(4.0);
    let set = one("gal", CatalogueKind::Galaxy, vec![sizeless, sized]);
    let classifier = Classifier::new(config, set);
    let at = |ra: f64, off: f64| classifier.classify(ra, off / 3600.0).expect("classify");
    assert_eq!(at(10.0, 25.0).classification, "SN");
    assert_eq!(at(20.0, 9.0).classification, "SN");
    assert_eq!(at(20.0, 11.0).classification, "ORPHAN");
    let nt = at(20.0, 1.0);
    assert_eq!(
        (
            nt.classification.as_str(),
            nt.best.classificationReliability
        ),
        ("NT", Some(1))
    );
    assert_eq!(nt.best.major_axis_arcsec, Some(4.0));
}

/// Searches of catalogues the store lacks are left out and reported.
#[test]
fn missing_catalogues_are_reported_not_fatal() {
    let set = one(
        "gcvs",
        CatalogueKind::Variable,
        vec![point_source("v", 1.0, 1.0)],
    );
    let classifier = default_classifier(set);
    assert!(classifier.missing().iter().any(|m| m == "glade"));
    assert!(!classifier.missing().iter().any(|m| m == "gcvs"));
    assert_eq!(
        classifier
            .classify(1.0, 1.0)
            .expect("classify")
            .classification,
        "VS"
    );
}

/// A VS and a galaxy both in reach: the ranking puts the synonym first and keeps the other
/// (stop_on_synonym off so both passes run): hand-ranked as in rank.rs's tests.
#[test]
fn the_others_are_kept_as_ranked_crossmatches() {
    let config = SearchConfig::parse(
        "stop_on_synonym = false\n[[search]]\ncatalogue = \"stars\"\nradius_arcsec = 1.5\nsynonym = \"VS\"\nassociation = \"VS\"\n[[search]]\ncatalogue = \"gal\"\nradius_arcsec = 60.0\nassociation = \"SN\"\n",
        "test",
    )
    .expect("config");
    let mut set = MemoryCatalogues::new();
    set.add(
        "stars",
        CatalogueKind::Variable,
        vec![point_source("v1", 30.0, 5.0)],
    );
    set.add(
        "gal",
        CatalogueKind::Galaxy,
        vec![galaxy("g1", 30.0, 5.0 + 20.0 / 3600.0)],
    );
    let c: Context = Classifier::new(config, Arc::new(set))
        .classify(30.0, 5.0 + 0.3 / 3600.0)
        .expect("classify");
    // The star: synonym (1000 + 0.3 + 2), merged with its own association match; the
    // galaxy: association without distance (2000 + 2 + 19.7/60).
    assert_eq!(c.classification, "VS");
    assert_eq!(c.best.classificationReliability, Some(1));
    assert_eq!(c.crossmatches.len(), 1);
    assert_eq!(c.crossmatches[0].association_type, Some(Label::SN));
    assert!(close(c.crossmatches[0].separationArcsec, 19.7, 1e-6));
    let json = serde_json::to_value(&c).expect("json");
    assert_eq!(json["crossmatches"][0]["association_type"], "SN");
}

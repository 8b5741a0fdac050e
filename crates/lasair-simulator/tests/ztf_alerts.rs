//! ZTF payloads: valid Avro containers with the expected content, growing lightcurves,
//! gzipped FITS cutouts, determinism.

mod common;

use std::collections::HashMap;

use apache_avro::types::Value;
use apache_avro::Reader;
use common::{array, bytes, check_fits, double, field, gunzip, long, string};
use lasair_alert::Survey;
use lasair_simulator::{simulate, SimAlert, SimConfig, Simulation};

fn config(alerts: usize, objects: usize, cutouts: bool) -> SimConfig {
    SimConfig {
        survey: Survey::Ztf,
        alerts,
        objects,
        seed: 42,
        cutouts,
        ..SimConfig::default()
    }
}

fn read(alert: &SimAlert) -> Value {
    let reader = Reader::new(alert.payload.as_slice()).expect("container header");
    let schema = reader.writer_schema().clone();
    assert!(matches!(schema, apache_avro::Schema::Record(_)));
    let mut values: Vec<Value> = reader.map(|v| v.expect("datum")).collect();
    assert_eq!(values.len(), 1, "one alert per file");
    values.remove(0)
}

#[test]
fn every_payload_is_a_container_with_the_expected_alert() {
    let alerts: Vec<SimAlert> = simulate(&config(300, 40, false)).collect();
    assert_eq!(alerts.len(), 300);
    let mut last_jd = 0.0;
    for alert in &alerts {
        let v = read(alert);
        let candidate = field(&v, "candidate");
        assert_eq!(
            string(field(&v, "objectId")),
            Some(alert.object_id.as_str())
        );
        assert_eq!(long(field(&v, "candid")), Some(alert.source_id));
        assert_eq!(long(field(candidate, "candid")), Some(alert.source_id));
        let jd = double(field(candidate, "jd")).expect("jd");
        assert!((2_459_000.0..2_461_000.0).contains(&jd), "{jd}");
        assert!(jd >= last_jd, "alerts in time order");
        last_jd = jd;
        assert!(double(field(candidate, "dec")).expect("dec") > -30.0);
        assert!(matches!(long(field(candidate, "fid")), Some(1 | 2)));
        assert!(matches!(
            string(field(candidate, "isdiffpos")),
            Some("t" | "f")
        ));
        let mag = double(field(candidate, "magpsf")).expect("magpsf");
        assert!((12.0..22.5).contains(&mag), "{mag}");
        let name = &alert.object_id;
        assert!(
            name.len() == 12
                && name.starts_with("ZTF")
                && name[3..5].chars().all(|c| c.is_ascii_digit())
        );
        assert!(name[5..].chars().all(|c| c.is_ascii_lowercase()), "{name}");
        assert!((18..=19).contains(&alert.source_id.to_string().len()));
        assert_eq!(field(&v, "cutoutScience"), &Value::Null);
    }
}

#[test]
fn cutouts_are_gzipped_fits_images() {
    for alert in simulate(&config(20, 5, true)) {
        let v = read(&alert);
        for kind in ["cutoutScience", "cutoutTemplate", "cutoutDifference"] {
            let cutout = field(&v, kind);
            assert!(string(field(cutout, "fileName")).is_some_and(|n| n.ends_with(".fits.gz")));
            let fits = gunzip(bytes(field(cutout, "stampData")).expect("stampData"));
            check_fits(&fits, 63);
        }
    }
}

#[test]
fn difference_cutout_holds_a_source_of_the_alerts_brightness() {
    let alert = simulate(&config(5, 5, true)).next().expect("an alert");
    let v = read(&alert);
    let fits = gunzip(bytes(field(field(&v, "cutoutDifference"), "stampData")).expect("stampData"));
    let pixels: Vec<f32> = fits[2880..2880 + 63 * 63 * 4]
        .chunks(4)
        .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let centre: f32 = (-3..=3)
        .flat_map(|dy| (-3..=3).map(move |dx| (31 + dy) * 63 + 31 + dx))
        .map(|i: i32| pixels[i as usize])
        .sum();
    let magzp = double(field(field(&v, "candidate"), "magzpsci")).expect("magzpsci");
    let magpsf = double(field(field(&v, "candidate"), "magpsf")).expect("magpsf");
    let expected = 10f64.powf(-0.4 * (magpsf - magzp));
    let positive = string(field(field(&v, "candidate"), "isdiffpos")) == Some("t");
    let measured = if positive {
        f64::from(centre)
    } else {
        -f64::from(centre)
    };
    // The 7x7 box holds nearly all the PSF; noise and the 0.25 mag bins leave some slack.
    assert!(
        measured > 0.5 * expected && measured < 1.6 * expected,
        "{measured} vs {expected}"
    );
}

#[test]
fn lightcurves_grow_with_each_alert() {
    let alerts: Vec<SimAlert> = simulate(&config(400, 20, false)).collect();
    let mut by_object: HashMap<&str, Vec<(f64, i64, Value)>> = HashMap::new();
    for a in &alerts {
        let v = read(a);
        let jd = double(field(field(&v, "candidate"), "jd")).expect("jd");
        by_object
            .entry(&a.object_id)
            .or_default()
            .push((jd, a.source_id, v));
    }
    assert!(by_object.len() <= 20);
    let mut checked = 0;
    for list in by_object.values().filter(|l| l.len() >= 3) {
        for (j, (jd_j, _, later)) in list.iter().enumerate() {
            let prv = array(field(later, "prv_candidates"));
            let prv_candids: Vec<i64> = prv
                .iter()
                .filter_map(|p| long(field(p, "candid")))
                .collect();
            for (jd_i, candid_i, _) in &list[..j] {
                if jd_j - jd_i < 30.0 {
                    assert!(
                        prv_candids.contains(candid_i),
                        "{candid_i} missing from a later alert"
                    );
                    checked += 1;
                }
            }
            // Limits carry no candid and no magnitude, only the limit.
            for p in prv.iter().filter(|p| long(field(p, "candid")).is_none()) {
                assert_eq!(field(p, "magpsf"), &Value::Null);
                assert!(double(field(p, "diffmaglim")).is_some());
            }
            assert!(prv
                .iter()
                .all(|p| jd_j - double(field(p, "jd")).expect("jd") <= 30.0));
            assert_eq!(array(field(later, "fp_hists")).len(), prv.len());
        }
    }
    assert!(checked > 50, "only {checked} repeated candids checked");
}

#[test]
fn about_three_percent_are_known_asteroids() {
    let alerts: Vec<SimAlert> = simulate(&config(1000, 200, false)).collect();
    let named = alerts
        .iter()
        .filter(|a| string(field(field(&read(a), "candidate"), "ssnamenr")).is_some())
        .count();
    assert_eq!(named, 30);
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a: Vec<SimAlert> = simulate(&config(50, 10, true)).collect();
    let b: Vec<SimAlert> = simulate(&config(50, 10, true)).collect();
    assert_eq!(a, b);
    let c: Vec<SimAlert> = simulate(&SimConfig {
        seed: 43,
        ..config(50, 10, true)
    })
    .collect();
    assert_ne!(a[0].payload, c[0].payload);
}

#[test]
fn each_object_has_its_own_name() {
    let cfg = config(500, 60, false);
    let objects = Simulation::new(&cfg).expect("simulation").objects();
    let names: std::collections::HashSet<String> = simulate(&cfg).map(|a| a.object_id).collect();
    assert_eq!(names.len(), objects);
    assert_eq!(objects, 60);
}

#[test]
fn no_alerts_is_an_empty_stream() {
    assert_eq!(simulate(&config(0, 10, true)).count(), 0);
}

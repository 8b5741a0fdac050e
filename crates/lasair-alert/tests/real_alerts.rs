//! The decoder against real ZTF and LSST alerts from ../shared/data, compared with values read
//! independently by fastavro (tests/fixtures/*_expected.py). Skips when the data is absent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lasair_alert::avro::CompiledSchema;
use lasair_alert::{Alert, Decoder, PointKind, Survey, WireSchemas};
use serde_json::Value;

fn data() -> Option<PathBuf> {
    lasair_testdata::shared_data("")
}

fn decode_one(decoder: &Decoder, path: &Path) -> Vec<Alert> {
    let bytes = std::fs::read(path).expect("read");
    decoder
        .decode(&bytes)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

#[test]
fn every_real_ztf_alert_decodes() {
    let Some(data) = data() else { return };
    let files = lasair_testdata::avro_files(&data.join("ztf/alerts"));
    assert!(
        files.len() > 600,
        "expected ~700 real alerts, found {}",
        files.len()
    );
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut alerts = 0;
    for f in &files {
        for a in decode_one(&decoder, f) {
            assert!(
                a.object_id.0.starts_with("ZTF"),
                "{}: {}",
                f.display(),
                a.object_id
            );
            assert!((0.0..360.0).contains(&a.ra) && (-90.0..=90.0).contains(&a.dec));
            assert_eq!(
                a.points(PointKind::Detection)
                    .filter(|p| p.id == a.source_id)
                    .count(),
                1
            );
            alerts += 1;
        }
    }
    assert!(alerts >= files.len());
}

#[test]
fn ztf_fields_match_fastavro() {
    let Some(data) = data() else { return };
    let expected: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/ztf_expected.json")).expect("fixture");
    let decoder = Decoder::new(Survey::Ztf, None);
    for exp in &expected {
        let file = exp["file"].as_str().expect("file");
        let alerts = decode_one(&decoder, &data.join(file));
        let a = alerts
            .iter()
            .find(|a| Some(a.source_id) == exp["candid"].as_i64())
            .unwrap_or_else(|| panic!("{file}: candid {} not decoded", exp["candid"]));
        assert_eq!(
            a.object_id.0,
            exp["objectId"].as_str().expect("id"),
            "{file}"
        );
        assert_eq!(
            a.trigger().expect("trigger").f64("jd"),
            exp["jd"].as_f64(),
            "{file}"
        );
        let magpsf = a.trigger().expect("trigger").f64("magpsf").expect("magpsf");
        assert!(
            (magpsf - exp["magpsf"].as_f64().expect("mag")).abs() < 1e-6,
            "{file}"
        );
        assert_eq!(
            a.band,
            ["?", "g", "r", "i"][exp["fid"].as_u64().expect("fid") as usize]
        );
        // The trigger is one more detection than the prv_candidates with a candid.
        let det = a.points(PointKind::Detection).count() as u64;
        assert_eq!(
            det,
            exp["prv_with_candid"].as_u64().expect("n") + 1,
            "{file}"
        );
        let non = a.points(PointKind::Nondetection).count() as u64;
        assert_eq!(
            non,
            exp["prv_without_candid"].as_u64().expect("n"),
            "{file}"
        );
        let fp = a.points(PointKind::Forced).count() as u64;
        assert_eq!(fp, exp["fp_hists"].as_u64().expect("n"), "{file}");
    }
}

#[test]
fn bad_ztf_files_are_errors_not_panics() {
    let Some(data) = data() else { return };
    let files = lasair_testdata::avro_files(&data.join("ztf/bad"));
    assert!(!files.is_empty());
    let decoder = Decoder::new(Survey::Ztf, None);
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        let results = decoder.decode(&bytes);
        assert!(
            results.iter().any(Result::is_err),
            "{} decoded cleanly",
            f.display()
        );
    }
}

fn lsst_expected() -> Vec<Value> {
    serde_json::from_str(include_str!("fixtures/lsst_expected.json")).expect("fixture")
}

fn check_lsst(a: &Alert, exp: &Value) {
    assert_eq!(Some(a.source_id), exp["diaSourceId"].as_i64());
    assert_eq!(a.object_id.0, exp["objectId"].as_str().expect("objectId"));
    assert_eq!(Some(a.solar_system), exp["solarSystem"].as_bool());
    // serde_json parses decimal text to within an ulp or two, hence the tolerance.
    let close = |v: f64, key: &str| (v - exp[key].as_f64().expect(key)).abs() < 1e-9;
    assert!(close(a.ra, "ra") && close(a.dec, "dec") && close(a.mjd, "midpointMjdTai"));
    assert_eq!(a.band, exp["band"].as_str().expect("band"));
    assert_eq!(Some(a.cutouts.len() as u64), exp["cutouts"].as_u64());
    let det = a.points(PointKind::Detection).count() as u64;
    assert_eq!(Some(det), exp["prvDiaSources"].as_u64().map(|n| n + 1));
}

#[test]
fn real_lsst_alerts_decode_from_the_container() {
    let Some(data) = data() else { return };
    let decoder = Decoder::new(Survey::Lsst, None);
    let alerts = decode_one(&decoder, &data.join("lsst/alerts/rubin_v10_0/alerts.avro"));
    let expected = lsst_expected();
    assert_eq!(alerts.len(), expected.len());
    for (a, exp) in alerts.iter().zip(&expected) {
        check_lsst(a, exp);
    }
}

#[test]
fn real_lsst_alerts_decode_from_wire_payloads() {
    let Some(data) = data() else { return };
    let schemas = WireSchemas::from_path(&data.join("lsst/schema/10/0")).expect("schema folder");
    let decoder = Decoder::new(Survey::Lsst, Some(schemas));
    let expected = lsst_expected();
    let mut seen = 0;
    for exp in &expected {
        let path = data.join(format!(
            "lsst/alerts/rubin_v10_0/wire/{}.bin",
            exp["diaSourceId"]
        ));
        let bytes = std::fs::read(&path).expect("wire payload");
        assert_eq!(lasair_alert::split_wire(&bytes).expect("frame").0, 1000);
        let alerts = decode_one(&decoder, &path);
        check_lsst(&alerts[0], exp);
        seen += 1;
    }
    assert_eq!(seen, 25);
}

#[test]
fn wire_payload_with_wrong_schema_is_a_clear_error() {
    let Some(data) = data() else { return };
    let ztf = std::fs::read_to_string(data.join("ztf/schema/4.02/cutout.avsc")).expect("avsc");
    let wrong = Arc::new(CompiledSchema::parse(&ztf).expect("parse"));
    let decoder = Decoder::new(Survey::Lsst, Some(WireSchemas::Fixed(wrong)));
    let wire = data.join("lsst/alerts/rubin_v10_0/wire");
    let first = std::fs::read_dir(&wire)
        .expect("dir")
        .flatten()
        .next()
        .expect("a file")
        .path();
    let result = decoder.decode(&std::fs::read(first).expect("read"));
    let err = result
        .into_iter()
        .next()
        .expect("one")
        .expect_err("must not decode");
    assert!(err.to_string().contains("schema id 1000"), "{err}");
}

/// `decode_shared` gives the alerts `decode` gives, their cutouts views into the payload: the
/// real ZTF containers, LSST's container, and LSST's wire payloads.
#[test]
fn shared_cutouts_are_views_into_the_payload_and_equal_the_copies() {
    let Some(data) = data() else { return };
    let wire = WireSchemas::from_path(&data.join("lsst/schema/10/0")).expect("schema folder");
    let mut payloads: Vec<(Decoder, PathBuf)> =
        lasair_testdata::avro_files(&data.join("ztf/alerts"))
            .into_iter()
            .take(40)
            .map(|f| (Decoder::new(Survey::Ztf, None), f))
            .collect();
    payloads.push((
        Decoder::new(Survey::Lsst, None),
        data.join("lsst/alerts/rubin_v10_0/alerts.avro"),
    ));
    let wire_file = std::fs::read_dir(data.join("lsst/alerts/rubin_v10_0/wire"))
        .expect("wire folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "bin"))
        .expect("a wire payload");
    payloads.push((Decoder::new(Survey::Lsst, Some(wire)), wire_file));
    let mut cutouts = 0;
    for (decoder, path) in &payloads {
        let payload = bytes::Bytes::from(std::fs::read(path).expect("read"));
        let copied = decode_one(decoder, path);
        let shared: Vec<Alert> = decoder
            .decode_shared(&payload)
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .collect();
        assert_eq!(copied.len(), shared.len(), "{}", path.display());
        let within = payload.as_ptr_range();
        for (c, s) in copied.iter().zip(&shared) {
            let line = |a: &Alert| lasair_alert::AlertJson::new(a, Default::default()).to_line();
            assert_eq!(line(c), line(s), "{}", path.display());
            assert_eq!(c.cutouts, s.cutouts, "{}", path.display());
            for cutout in &s.cutouts {
                let view = cutout.data.as_ptr_range();
                assert!(
                    within.start <= view.start && view.end <= within.end,
                    "{}: a {:?} cutout copied, not shared",
                    path.display(),
                    cutout.kind
                );
                cutouts += 1;
            }
        }
    }
    assert!(cutouts > 100, "only {cutouts} cutouts seen");
}

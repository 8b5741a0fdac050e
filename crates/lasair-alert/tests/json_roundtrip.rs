//! The JSON alert line read back (`read_alert_line`) is the alert that was written: real ZTF
//! and LSST alerts are decoded, written as ingest writes them, read back and written again,
//! and both lines must carry the same JSON. Skips when ../shared/data is absent.

use std::collections::BTreeMap;
use std::path::Path;

use lasair_alert::{read_alert_line, Alert, AlertJson, Decoder, LineReader, Point, Survey};

fn line(alert: &Alert, cutouts: BTreeMap<&'static str, String>) -> Vec<u8> {
    AlertJson::new(alert, cutouts).to_line()
}

fn round_trip(alert: &Alert, name: &str) {
    let cutouts = BTreeMap::from([("science", "ZTF/ab/cd/x.fits.gz".to_owned())]);
    let first = line(alert, cutouts);
    let back = read_alert_line(&first).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(back.alert.object_id, alert.object_id, "{name}");
    assert_eq!(back.alert.source_id, alert.source_id, "{name}");
    assert_eq!(
        (back.alert.ra, back.alert.dec),
        (alert.ra, alert.dec),
        "{name}"
    );
    assert_eq!(
        back.alert.lightcurve.len(),
        alert.lightcurve.len(),
        "{name}"
    );
    for (a, b) in alert.lightcurve.iter().zip(&back.alert.lightcurve) {
        assert_eq!(
            (a.kind, a.id, a.mjd, &a.band),
            (b.kind, b.id, b.mjd, &b.band),
            "{name}"
        );
        assert_eq!((a.mag, a.flux), (b.mag, b.flux), "{name}");
    }
    assert!(
        back.alert.trigger().is_some(),
        "{name}: the trigger is found again"
    );
    assert_eq!(back.extra["cutouts"]["science"], "ZTF/ab/cd/x.fits.gz");
    let cutouts = BTreeMap::from([("science", "ZTF/ab/cd/x.fits.gz".to_owned())]);
    let second = line(&back.alert, cutouts);
    let parse = |l: &[u8]| serde_json::from_slice::<serde_json::Value>(l).expect("JSON");
    assert_eq!(
        parse(&first),
        parse(&second),
        "{name}: the same JSON after a round trip"
    );
}

/// The alert's lightcurve as the lightcurve store keeps it (each point's fields as JSON,
/// read back) makes the same alert again through `lightcurve_alert`: the same trigger,
/// position, time, band, solar-system flag and points, since an alert's trigger is its
/// latest detection.
fn same_from_the_store(alert: &Alert) {
    let mut reader = LineReader::default();
    let points: Vec<Point> = alert
        .lightcurve
        .iter()
        .map(|p| Point {
            fields: reader
                .read_record(p.fields.to_json().as_bytes())
                .expect("fields"),
            ..p.clone()
        })
        .collect();
    let model = alert.survey.model();
    let back = model
        .lightcurve_alert(&alert.object_id.0, points)
        .expect("an alert from the lightcurve");
    let name = &alert.object_id.0;
    assert_eq!(back.source_id, alert.source_id, "{name}");
    assert_eq!(
        (back.ra, back.dec, back.mjd),
        (alert.ra, alert.dec, alert.mjd),
        "{name}"
    );
    assert_eq!(back.band, alert.band, "{name}");
    assert_eq!(back.solar_system, alert.solar_system, "{name}");
    // Avro's ints and floats come back from JSON as longs and doubles: the same JSON values.
    let json = |r: &lasair_alert::avro::Record| -> serde_json::Value {
        serde_json::from_str(&r.to_json()).expect("JSON")
    };
    assert_eq!(back.lightcurve.len(), alert.lightcurve.len(), "{name}");
    for (i, (b, a)) in back.lightcurve.iter().zip(&alert.lightcurve).enumerate() {
        let head = |p: &Point| {
            (
                p.kind,
                p.id,
                p.mjd,
                p.band.clone(),
                p.mag,
                p.mag_err,
                p.flux,
                p.flux_err,
                p.rank,
            )
        };
        assert_eq!(head(b), head(a), "{name} point {i}");
        assert!(
            json(&b.fields) == json(&a.fields),
            "{name} point {i}: fields differ"
        );
    }
    let (b, a) = (
        back.trigger().expect("trigger"),
        alert.trigger().expect("trigger"),
    );
    assert!(json(b) == json(a), "{name}: the trigger's record differs");
    let no_detection: Vec<Point> = alert
        .lightcurve
        .iter()
        .filter(|p| p.kind != lasair_alert::PointKind::Detection)
        .cloned()
        .collect();
    let err = model
        .lightcurve_alert(name, no_detection)
        .expect_err("no detection, no alert");
    assert_eq!(err.to_string(), "alert has no usable detection");
    assert!(model
        .lightcurve_alert("../x", alert.lightcurve.clone())
        .is_err());
}

#[test]
fn real_ztf_alerts_survive_the_round_trip() {
    let Some(dir) = lasair_testdata::shared_data("ztf/alerts/ZTF21abiuvdk") else {
        return;
    };
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read");
        for alert in decoder.decode(&bytes) {
            let alert = alert.expect("decodes");
            round_trip(&alert, &entry.path().display().to_string());
            same_from_the_store(&alert);
            seen += 1;
        }
    }
    assert_eq!(seen, 34);
}

#[test]
fn real_lsst_alerts_survive_the_round_trip() {
    let Some(path) = lasair_testdata::shared_data("lsst/alerts/rubin_v10_0/alerts.avro") else {
        return;
    };
    let decoder = Decoder::new(Survey::Lsst, None);
    let bytes = std::fs::read(Path::new(&path)).expect("read");
    let alerts: Vec<Alert> = decoder
        .decode(&bytes)
        .into_iter()
        .map(|a| a.expect("decodes"))
        .collect();
    assert_eq!(alerts.len(), 25);
    for a in &alerts {
        round_trip(a, &a.object_id.0);
        same_from_the_store(a);
    }
}

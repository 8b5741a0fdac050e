//! The JSON alert line read back (`read_alert_line`) is the alert that was written: real ZTF
//! and LSST alerts are decoded, written as ingest writes them, read back and written again,
//! and both lines must carry the same JSON. Skips when ../shared/data is absent.

use std::collections::BTreeMap;
use std::path::Path;

use lasair_alert::{read_alert_line, Alert, AlertJson, Decoder, Survey};

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
            round_trip(
                &alert.expect("decodes"),
                &entry.path().display().to_string(),
            );
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
    }
}

//! LSST payloads: Confluent wire messages whose body decodes with the published schema,
//! plain FITS cutouts, growing lightcurves, asteroids, determinism.

mod common;

use std::collections::HashMap;

use apache_avro::types::Value;
use apache_avro::{from_avro_datum, Schema};
use common::{array, bytes, check_fits, double, field, long, string};
use lasair_alert::Survey;
use lasair_simulator::{
    lsst_schema_json, set_schema_id, simulate, SimAlert, SimConfig, LSST_SCHEMA_ID,
};

fn config(alerts: usize, objects: usize, cutouts: bool) -> SimConfig {
    SimConfig {
        survey: Survey::Lsst,
        alerts,
        objects,
        seed: 7,
        cutouts,
    }
}

fn read(schema: &Schema, alert: &SimAlert) -> Value {
    assert_eq!(alert.payload[0], 0, "magic byte");
    assert_eq!(
        u32::from_be_bytes(alert.payload[1..5].try_into().expect("4 bytes")),
        LSST_SCHEMA_ID
    );
    let mut body = &alert.payload[5..];
    let value = from_avro_datum(schema, &mut body, None).expect("datum");
    assert!(body.is_empty(), "{} bytes left over", body.len());
    value
}

/// The alerts of `cfg`, each with its body as read with the published schema.
fn decoded(cfg: &SimConfig) -> impl Iterator<Item = (SimAlert, Value)> {
    let schema = schema();
    simulate(cfg).map(move |alert| {
        let v = read(&schema, &alert);
        (alert, v)
    })
}

fn schema() -> Schema {
    Schema::parse_str(&lsst_schema_json()).expect("schema parses")
}

#[test]
fn the_schema_is_one_self_contained_document() {
    let json: serde_json::Value = serde_json::from_str(&lsst_schema_json()).expect("JSON");
    assert_eq!(json["name"], "alert");
    assert_eq!(json["namespace"], "lsst.v10_0");
    assert!(matches!(schema(), Schema::Record(r) if r.name.fullname(None) == "lsst.v10_0.alert"));
}

#[test]
fn every_payload_decodes_with_the_schema() {
    let mut last = 0.0;
    for (alert, v) in decoded(&config(300, 40, false)) {
        let source = field(&v, "diaSource");
        assert_eq!(long(field(&v, "diaSourceId")), Some(alert.source_id));
        assert_eq!(long(field(source, "diaSourceId")), Some(alert.source_id));
        assert!(alert.source_id > 100_000_000_000_000_000);
        let object = long(field(source, "diaObjectId")).or(long(field(source, "ssObjectId")));
        assert_eq!(object.map(|o| o.to_string()), Some(alert.object_id.clone()));
        let mjd = double(field(source, "midpointMjdTai")).expect("mjd");
        assert!((60_800.0..61_500.0).contains(&mjd), "{mjd}");
        assert!(mjd >= last, "alerts in time order");
        last = mjd;
        assert!(double(field(source, "dec")).expect("dec") < 30.0);
        assert!(matches!(
            string(field(source, "band")),
            Some("u" | "g" | "r" | "i" | "z" | "y")
        ));
        assert!(
            double(field(source, "psfFlux")).is_some()
                && double(field(source, "psfFluxErr")).is_some()
        );
    }
}

#[test]
fn cutouts_are_plain_fits() {
    for (_, v) in decoded(&config(10, 5, true)) {
        for kind in ["cutoutDifference", "cutoutScience", "cutoutTemplate"] {
            check_fits(bytes(field(&v, kind)).expect("cutout"), 30);
        }
    }
}

#[test]
fn lightcurves_grow_and_objects_summarise_them() {
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut checked = 0;
    for (alert, v) in decoded(&config(300, 15, false)) {
        let prv: Vec<i64> = array(field(&v, "prvDiaSources"))
            .iter()
            .filter_map(|p| long(field(p, "diaSourceId")))
            .collect();
        let earlier = seen.entry(alert.object_id.clone()).or_default();
        assert_eq!(
            &prv, earlier,
            "prvDiaSources are exactly the earlier detections"
        );
        checked += earlier.len();
        let object = field(&v, "diaObject");
        if !matches!(object, Value::Null) {
            assert_eq!(
                long(field(object, "nDiaSources")),
                Some(earlier.len() as i64 + 1)
            );
            assert!(array(field(&v, "prvDiaForcedSources")).len() >= earlier.len());
        }
        earlier.push(alert.source_id);
    }
    assert!(checked > 100);
}

#[test]
fn asteroids_have_an_ss_source_and_no_dia_object() {
    let mut asteroids = 0;
    for (alert, v) in decoded(&config(500, 100, false)) {
        let ss = field(&v, "ssSource");
        if matches!(ss, Value::Null) {
            continue;
        }
        asteroids += 1;
        assert_eq!(field(&v, "diaObject"), &Value::Null);
        assert_eq!(field(field(&v, "diaSource"), "diaObjectId"), &Value::Null);
        assert_eq!(
            long(field(ss, "ssObjectId")).map(|i| i.to_string()),
            Some(alert.object_id.clone())
        );
        assert!(string(field(ss, "designation")).is_some());
    }
    assert_eq!(asteroids, 15);
}

#[test]
fn schema_id_can_be_rewritten() {
    let mut alert = simulate(&config(1, 1, false)).next().expect("an alert");
    set_schema_id(&mut alert.payload, 77);
    assert_eq!(&alert.payload[..5], &[0, 0, 0, 0, 77]);
}

#[test]
fn same_seed_same_bytes() {
    let a: Vec<SimAlert> = simulate(&config(40, 8, true)).collect();
    let b: Vec<SimAlert> = simulate(&config(40, 8, true)).collect();
    assert_eq!(a, b);
}

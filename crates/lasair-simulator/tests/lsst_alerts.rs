//! LSST payloads: Confluent wire messages whose body decodes with the published schema,
//! plain FITS cutouts, growing lightcurves, asteroids, determinism.

mod common;

use std::collections::HashMap;

use apache_avro::types::Value;
use apache_avro::{from_avro_datum, Schema};
use common::{array, bytes, check_fits, double, field, long, string};
use lasair_alert::Survey;
use lasair_simulator::{
    lsst_schema_json, lsst_schema_json_of, set_schema_id, simulate, LsstSchema, SimAlert,
    SimConfig, LSST_SCHEMA_ID,
};

fn config(alerts: usize, objects: usize, cutouts: bool) -> SimConfig {
    SimConfig {
        survey: Survey::Lsst,
        alerts,
        objects,
        seed: 7,
        cutouts,
        lsst_schema: LsstSchema::V10_0,
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

/// Rubin's own schema files of a version, parsed together; the alert's is the root. None
/// (saying so) when `../shared/data` is absent.
fn rubins_schema(version: LsstSchema) -> Option<(Schema, Vec<Schema>)> {
    let (dir, prefix) = match version {
        LsstSchema::V10_0 => ("lsst/schema/10/0", "lsst.v10_0"),
        LsstSchema::V11_0 => ("lsst/schema/11/0", "lsst.v11_0"),
    };
    let dir = lasair_testdata::shared_data(dir)?;
    let records = [
        "diaSource",
        "diaForcedSource",
        "diaObject",
        "ssSource",
        "mpc_orbits",
        "alert",
    ];
    let texts: Vec<String> = records
        .iter()
        .map(|r| std::fs::read_to_string(dir.join(format!("{prefix}.{r}.avsc"))).expect("read"))
        .collect();
    let mut list = Schema::parse_list(texts.iter().map(String::as_str)).expect("Rubin's parse");
    let root = list.pop().expect("the alert");
    Some((root, list))
}

fn field_names(v: &Value) -> Vec<&str> {
    match common::unwrap_union(v) {
        Value::Record(fields) => fields.iter().map(|(n, _)| n.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn record_names(schema: &Schema) -> Vec<String> {
    match schema {
        Schema::Record(r) => r.fields.iter().map(|f| f.name.clone()).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn payloads_decode_with_rubins_own_schema_of_each_version() {
    for version in LsstSchema::ALL {
        let Some((root, named)) = rubins_schema(version) else {
            return;
        };
        let named_refs: Vec<&Schema> = named.iter().collect();
        let cfg = SimConfig {
            lsst_schema: version,
            ..config(400, 60, true)
        };
        let (mut objects, mut asteroids) = (0, 0);
        for alert in simulate(&cfg) {
            assert_eq!(alert.payload[1..5], version.schema_id().to_be_bytes());
            let mut body = &alert.payload[5..];
            let v =
                apache_avro::from_avro_datum_schemata(&root, named_refs.clone(), &mut body, None)
                    .unwrap_or_else(|e| panic!("{version}: alert {}: {e}", alert.source_id));
            assert!(body.is_empty(), "{version}: {} bytes left over", body.len());
            assert_eq!(field_names(&v), record_names(&root));
            for (record, schema) in [
                ("diaSource", &named[0]),
                ("diaObject", &named[2]),
                ("ssSource", &named[3]),
                ("mpc_orbits", &named[4]),
            ] {
                let value = field(&v, record);
                if !matches!(value, Value::Null) {
                    assert_eq!(field_names(value), record_names(schema), "{record}");
                }
            }
            objects += usize::from(!matches!(field(&v, "diaObject"), Value::Null));
            asteroids += usize::from(!matches!(field(&v, "mpc_orbits"), Value::Null));
        }
        assert!(objects > 300 && asteroids > 5, "{objects} {asteroids}");
    }
}

#[test]
fn each_version_is_its_own_namespace() {
    let v11: serde_json::Value =
        serde_json::from_str(&lsst_schema_json_of(LsstSchema::V11_0)).expect("JSON");
    assert_eq!(v11["namespace"], "lsst.v11_0");
    assert_eq!(lsst_schema_json(), lsst_schema_json_of(LsstSchema::V10_0));
}

/// The inverse-variance weighted mean and its error, recomputed from the alert's own sources.
fn weighted(points: &[(f64, f64)]) -> (f64, f64) {
    let w: f64 = points.iter().map(|(_, e)| 1.0 / (e * e)).sum();
    let mean = points.iter().map(|(f, e)| f / (e * e)).sum::<f64>() / w;
    (mean, 1.0 / w.sqrt())
}

fn close(a: Option<f64>, b: f64, what: &str) {
    let a = a.unwrap_or_else(|| panic!("{what} is null"));
    assert!(
        (a - b).abs() <= 1e-4 * b.abs().max(1.0),
        "{what}: {a} against {b} from the alert's diaSources"
    );
}

#[test]
fn dia_objects_summarise_the_lightcurve_they_carry() {
    let mut checked = 0;
    for (_, v) in decoded(&config(600, 40, false)) {
        let object = field(&v, "diaObject");
        if matches!(object, Value::Null) {
            continue;
        }
        let mut sources: Vec<&Value> = array(field(&v, "prvDiaSources")).iter().collect();
        sources.push(field(&v, "diaSource"));
        // Only where the alert carries every detection the summary is over.
        if long(field(object, "nDiaSources")) != Some(sources.len() as i64) {
            continue;
        }
        for band in ["u", "g", "r", "i", "z", "y"] {
            let of_band: Vec<&Value> = sources
                .iter()
                .copied()
                .filter(|s| string(field(s, "band")) == Some(band))
                .collect();
            let get = |name: &str| double(field(object, &format!("{band}_{name}")));
            let n = long(field(object, &format!("{band}_psfFluxNdata")));
            assert_eq!(n, Some(of_band.len() as i64), "{band}_psfFluxNdata");
            if of_band.is_empty() {
                for name in [
                    "psfFluxMean",
                    "psfFluxMeanErr",
                    "psfFluxMin",
                    "psfFluxErrMean",
                ] {
                    assert_eq!(get(name), None, "{band}_{name} of no detection");
                }
                continue;
            }
            let pair = |f: &str, e: &str| -> Vec<(f64, f64)> {
                of_band
                    .iter()
                    .map(|s| (double(field(s, f)).expect(f), double(field(s, e)).expect(e)))
                    .collect()
            };
            let psf = pair("psfFlux", "psfFluxErr");
            let (mean, err) = weighted(&psf);
            close(get("psfFluxMean"), mean, "psfFluxMean");
            close(get("psfFluxMeanErr"), err, "psfFluxMeanErr");
            let (smean, serr) = weighted(&pair("scienceFlux", "scienceFluxErr"));
            close(get("scienceFluxMean"), smean, "scienceFluxMean");
            close(get("scienceFluxMeanErr"), serr, "scienceFluxMeanErr");
            let fluxes: Vec<f64> = psf.iter().map(|p| p.0).collect();
            close(
                get("psfFluxMin"),
                fluxes.iter().copied().fold(f64::MAX, f64::min),
                "min",
            );
            close(
                get("psfFluxMax"),
                fluxes.iter().copied().fold(f64::MIN, f64::max),
                "max",
            );
            let err_mean = psf.iter().map(|p| p.1).sum::<f64>() / psf.len() as f64;
            close(get("psfFluxErrMean"), err_mean, "psfFluxErrMean");
            assert_eq!(get("psfFluxSigma").is_some(), psf.len() > 1, "psfFluxSigma");
            assert!(get("fpFluxMean").is_some() && get("fpFluxMeanErr").is_some());
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

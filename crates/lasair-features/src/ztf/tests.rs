//! Edge cases of the ZTF features on hand-made lightcurves; the real alerts are compared
//! with independently computed values in `tests/ztf_real.rs`.

use std::sync::Arc;

use lasair_alert::avro::{CompiledSchema, Datum, Record, RecordNode};
use lasair_alert::{Alert, ObjectId, Point, PointKind, Survey};
use lasair_sql::catalog::ZTF_OBJECTS;
use lasair_sql::Value;

use super::Ztf;
use crate::{Context, NoRow, Options, SurveyFeatures};

const FIELDS: [&str; 15] = [
    "candid",
    "jd",
    "fid",
    "magpsf",
    "sigmapsf",
    "ra",
    "dec",
    "isdiffpos",
    "rb",
    "drb",
    "nid",
    "ssnamenr",
    "distpsnr1",
    "sgscore1",
    "sgmag1",
];

fn schema() -> Arc<RecordNode> {
    let fields: Vec<String> = FIELDS
        .iter()
        .map(|f| format!(r#"{{"name":"{f}","type":["null","double","long","string"]}}"#))
        .collect();
    let json = format!(
        r#"{{"type":"record","name":"c","fields":[{}]}}"#,
        fields.join(",")
    );
    let compiled = CompiledSchema::parse(&json).expect("schema");
    compiled.root_record().expect("record").clone()
}

/// A ZTF detection: (candid, jd, fid, mag, isdiffpos, rb, nid).
struct D(i64, f64, i64, f64, &'static str, f64, i64);

fn detection(d: &D, schema: &Arc<RecordNode>) -> Point {
    let D(candid, jd, fid, mag, pos, rb, nid) = *d;
    let values = vec![
        Datum::Long(candid),
        Datum::Double(jd),
        Datum::Long(fid),
        Datum::Float(mag as f32),
        Datum::Float(0.1),
        Datum::Double(10.0 + candid as f64 * 1e-5),
        Datum::Double(-5.0),
        Datum::String(pos.into()),
        Datum::Float(rb as f32),
        Datum::Null,
        Datum::Long(nid),
        Datum::String("null".into()),
        Datum::Float(1.5),
        Datum::Float(0.25),
        Datum::Float(18.0),
    ];
    let fields = Record {
        schema: schema.clone(),
        values,
    };
    Point {
        kind: PointKind::Detection,
        id: candid,
        mjd: jd - 2_400_000.5,
        band: if fid == 1 { "g" } else { "r" }.into(),
        mag: fields.f64("magpsf"),
        mag_err: fields.f64("sigmapsf"),
        flux: None,
        flux_err: None,
        rank: 1,
        fields,
    }
}

fn limit(jd: f64, schema: &Arc<RecordNode>) -> Point {
    let mut values = vec![Datum::Null; FIELDS.len()];
    values[1] = Datum::Double(jd);
    values[2] = Datum::Long(1);
    values[3] = Datum::Null;
    Point {
        kind: PointKind::Nondetection,
        id: jd as i64,
        mjd: jd - 2_400_000.5,
        band: "g".into(),
        mag: Some(20.5),
        mag_err: None,
        flux: None,
        flux_err: None,
        rank: 1,
        fields: Record {
            schema: schema.clone(),
            values,
        },
    }
}

fn alert(dets: &[D], limits: &[f64]) -> Alert {
    let s = schema();
    let mut lightcurve: Vec<Point> = dets.iter().map(|d| detection(d, &s)).collect();
    lightcurve.extend(limits.iter().map(|&jd| limit(jd, &s)));
    lightcurve.sort_by(|a, b| a.mjd.total_cmp(&b.mjd));
    let last = dets.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    Alert {
        survey: Survey::Ztf,
        object_id: ObjectId("ZTF00test".into()),
        source_id: last.map_or(0, |d| d.0),
        ra: 10.0,
        dec: -5.0,
        mjd: last.map_or(0.0, |d| d.1 - 2_400_000.5),
        band: "g".into(),
        solar_system: false,
        ss_name: None,
        envelope: Record {
            schema: s.clone(),
            values: vec![Datum::Null; FIELDS.len()],
        },
        lightcurve,
        cutouts: Vec::new(),
    }
}

fn row(a: &Alert) -> Vec<Value> {
    Ztf.object_row(a, &Context::default(), &Options::default())
        .expect("a row")
}

fn col<'a>(row: &'a [Value], name: &str) -> &'a Value {
    let i = ZTF_OBJECTS
        .columns
        .iter()
        .position(|c| c.name == name)
        .expect("column");
    &row[i]
}

fn real(row: &[Value], name: &str) -> f64 {
    match col(row, name) {
        Value::Real(v) => *v,
        other => panic!("{name} = {other:?}"),
    }
}

const JD: f64 = 2_460_000.5;

#[test]
fn a_single_detection_has_its_own_values_and_no_rates() {
    let r = row(&alert(&[D(1, JD, 1, 18.5, "t", 0.9, 100)], &[JD - 3.0]));
    assert_eq!(r.len(), ZTF_OBJECTS.columns.len());
    assert_eq!(col(&r, "objectId"), &Value::Text("ZTF00test".into()));
    assert_eq!(col(&r, "ncand"), &Value::Int(1));
    assert_eq!(col(&r, "ncandgp"), &Value::Int(1));
    assert_eq!(real(&r, "rastd"), 0.0);
    assert_eq!(real(&r, "jdmin"), JD);
    assert_eq!(real(&r, "jdmax"), JD);
    for c in [
        "gmag",
        "mag_g02",
        "mag_g28",
        "maggmin",
        "maggmedian",
        "maggmax",
    ] {
        assert_eq!(real(&r, c), 18.5, "{c}");
    }
    for c in [
        "dmdt_g",
        "dmdt_g_err",
        "g_minus_r",
        "rmag",
        "mag_r08",
        "magrmean",
    ] {
        assert_eq!(col(&r, c), &Value::Null, "{c}");
    }
    assert_eq!(real(&r, "sgmag1"), 18.0);
    assert_eq!(col(&r, "srmag1"), &Value::Null, "not in this record");
    assert_eq!(col(&r, "ssnamenr"), &Value::Null, "'null' means none");
}

#[test]
fn only_upper_limits_make_no_row() {
    let a = alert(&[], &[JD, JD + 1.0]);
    let got = Ztf.object_row(&a, &Context::default(), &Options::default());
    assert_eq!(got, Err(NoRow::NoDetection));
}

#[test]
fn one_band_only_leaves_the_other_null() {
    let r = row(&alert(
        &[
            D(1, JD, 2, 18.0, "t", 0.9, 100),
            D(2, JD + 2.0, 2, 17.0, "t", 0.9, 102),
        ],
        &[],
    ));
    assert_eq!(real(&r, "rmag"), 17.0);
    assert_eq!(real(&r, "dmdt_r"), 0.5, "brightening 1 mag in 2 days");
    let err = (2.0 * 0.1f32 as f64 * 0.1f32 as f64).sqrt() / 2.0;
    assert!((real(&r, "dmdt_r_err") - err).abs() < 1e-12);
    assert_eq!(real(&r, "magrmedian"), 17.5);
    // r02 after 2 days: 18 e^-1 + 17 (1 - e^-1)
    let ema = 18.0 * (-1.0f64).exp() + 17.0 * (1.0 - (-1.0f64).exp());
    assert!((real(&r, "mag_r02") - ema).abs() < 1e-12);
    for c in [
        "gmag",
        "jdgmax",
        "dmdt_g",
        "mag_g02",
        "maggmin",
        "g_minus_r",
    ] {
        assert_eq!(col(&r, c), &Value::Null, "{c}");
    }
}

#[test]
fn no_positive_detection_means_no_rates_nor_colour() {
    let r = row(&alert(
        &[
            D(1, JD, 1, 18.0, "f", 0.9, 100),
            D(2, JD + 0.1, 2, 17.5, "0", 0.9, 100),
            D(3, JD + 1.0, 1, 18.2, "f", 0.9, 101),
        ],
        &[],
    ));
    assert_eq!(col(&r, "ncand"), &Value::Int(3));
    assert_eq!(col(&r, "ncandgp"), &Value::Int(0));
    assert_eq!(col(&r, "ncandgp_7"), &Value::Int(0));
    assert_eq!(col(&r, "dmdt_g"), &Value::Null);
    assert_eq!(col(&r, "g_minus_r"), &Value::Null);
    assert_eq!(
        real(&r, "maggmax"),
        18.2f32 as f64,
        "negative detections still count"
    );
}

#[test]
fn recent_counts_are_relative_to_the_latest_detection() {
    let ages = [14.0, 13.9, 7.0, 6.9, 0.0];
    let dets: Vec<D> = ages
        .iter()
        .enumerate()
        .map(|(i, age)| D(i as i64 + 1, JD - age, 1, 18.0, "t", 0.8, 100 + i as i64))
        .collect();
    let mut dets = dets;
    dets.push(D(9, JD - 1.0, 1, 18.0, "t", 0.5, 200)); // not good: rb 0.5 and no drb
    let r = row(&alert(&dets, &[JD + 30.0]));
    assert_eq!(col(&r, "ncandgp"), &Value::Int(5));
    assert_eq!(col(&r, "ncandgp_14"), &Value::Int(4));
    assert_eq!(col(&r, "ncandgp_7"), &Value::Int(2));
    assert_eq!(real(&r, "jdmax"), JD, "upper limits are not detections");
}

#[test]
fn colour_is_from_the_latest_night_with_both_bands() {
    let r = row(&alert(
        &[
            D(1, JD, 1, 18.0, "t", 0.9, 100),
            D(2, JD + 0.05, 2, 17.0, "t", 0.9, 100),
            D(3, JD + 1.0, 1, 18.4, "t", 0.9, 101),
            D(4, JD + 1.04, 2, 17.9, "t", 0.9, 101),
            D(5, JD + 1.08, 2, 17.8, "t", 0.9, 101),
            D(6, JD + 2.0, 1, 18.6, "t", 0.9, 102),
        ],
        &[],
    ));
    let expected = 18.4f32 as f64 - 17.8f32 as f64;
    assert!((real(&r, "g_minus_r") - expected).abs() < 1e-12);
    assert_eq!(real(&r, "jd_g_minus_r"), JD + 1.0);
}

#[test]
fn solar_system_objects_are_skipped_unless_kept() {
    let mut a = alert(&[D(1, JD, 1, 18.0, "t", 0.9, 100)], &[]);
    let i = a.lightcurve[0]
        .fields
        .schema
        .position("ssnamenr")
        .expect("field");
    a.lightcurve[0].fields.values[i] = Datum::String("12345".into());
    let skip = Ztf.object_row(&a, &Context::default(), &Options::default());
    assert_eq!(skip, Err(NoRow::SolarSystem));
    let keep = Options {
        keep_solar_system: true,
        ..Options::default()
    };
    let r = Ztf
        .object_row(&a, &Context::default(), &keep)
        .expect("kept");
    assert_eq!(col(&r, "ssnamenr"), &Value::Text("12345".into()));
}

//! The ZTF features of every one of ZTF21abiuvdk's 34 real alerts, column by column, against
//! values computed independently from the Avro files by
//! `fixtures/ztf21abiuvdk_expected.py` (fastavro and numpy). Skips when the data is absent.

use lasair_alert::{Decoder, Survey};
use lasair_features::{for_survey, Context, NoRow, Options};
use lasair_sql::catalog::{ColType, ZTF_OBJECTS};
use lasair_sql::Value;
use serde_json::Value as Json;

/// How far a float may be from the expected value: galactic coordinates come from a rotation
/// matrix here and from the pole's coordinates in the script, so they agree to ~1e-8 degrees.
fn tolerance(column: &str, expected: f64) -> f64 {
    match column {
        "glonmean" | "glatmean" => 1e-6,
        _ => 1e-10 * expected.abs().max(1.0),
    }
}

fn check(column: &str, got: &Value, expected: &Json, file: &str) {
    let place = format!("{file}: {column}");
    match (got, expected) {
        (Value::Null, Json::Null) => {}
        (Value::Int(g), Json::Number(e)) => assert_eq!(Some(*g), e.as_i64(), "{place}"),
        (Value::Real(g), Json::Number(e)) => {
            let e = e.as_f64().expect("a number");
            assert!(
                (g - e).abs() <= tolerance(column, e),
                "{place}: got {g}, expected {e}"
            );
        }
        (Value::Text(g), Json::String(e)) => assert_eq!(g, e, "{place}"),
        _ => panic!("{place}: got {got:?}, expected {expected}"),
    }
}

#[test]
fn every_column_of_every_alert_matches_the_independent_computation() {
    let Some(dir) = lasair_testdata::shared_data("ztf/alerts/ZTF21abiuvdk") else {
        return;
    };
    let expected: Vec<Json> =
        serde_json::from_str(include_str!("fixtures/ztf21abiuvdk_expected.json")).expect("json");
    assert_eq!(expected.len(), 34);
    let decoder = Decoder::new(Survey::Ztf, None);
    let features = for_survey(Survey::Ztf);
    assert_eq!(features.columns(), ZTF_OBJECTS.columns);
    let mut non_null = vec![false; ZTF_OBJECTS.columns.len()];
    for exp in &expected {
        let file = exp["file"].as_str().expect("file");
        let bytes = std::fs::read(dir.join(file)).expect("read alert");
        let alerts: Vec<_> = decoder.decode(&bytes).into_iter().collect();
        assert_eq!(alerts.len(), 1, "{file}");
        let alert = alerts.into_iter().next().expect("one").expect("decodes");
        assert_eq!(Some(alert.source_id), exp["candid"].as_i64());
        let row = features
            .object_row(&alert, &Context::default(), &Options::default())
            .expect("a row");
        assert_eq!(row.len(), ZTF_OBJECTS.columns.len());
        for (i, (col, got)) in ZTF_OBJECTS.columns.iter().zip(&row).enumerate() {
            let want = exp["row"].get(col.name);
            let want = want.unwrap_or_else(|| panic!("{} not in the fixture", col.name));
            check(col.name, got, want, file);
            let typed = matches!(
                (col.ty, got),
                (_, Value::Null)
                    | (ColType::Int, Value::Int(_))
                    | (ColType::Real, Value::Real(_))
                    | (ColType::Text, Value::Text(_))
            );
            assert!(typed, "{file}: {} has the wrong type", col.name);
            non_null[i] |= *got != Value::Null;
        }
    }
    // Over the whole history every column but ssnamenr (not a solar-system object) is filled.
    for (col, seen) in ZTF_OBJECTS.columns.iter().zip(non_null) {
        assert_eq!(seen, col.name != "ssnamenr", "{} never filled", col.name);
    }
}

/// Every real ZTF alert of every schema version (2.0 to 4.02) gives a full, well-typed row, or
/// says why not: a known solar-system object (its latest detection has an ssnamenr).
#[test]
fn every_real_ztf_alert_makes_a_row_or_says_why_not() {
    let Some(root) = lasair_testdata::shared_data("ztf/alerts") else {
        return;
    };
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "avro") {
                files.push(path);
            }
        }
    }
    let decoder = Decoder::new(Survey::Ztf, None);
    let features = for_survey(Survey::Ztf);
    let (mut rows, mut solar) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(file).expect("read alert");
        for alert in decoder
            .decode(&bytes)
            .into_iter()
            .map(|a| a.expect("decodes"))
        {
            match features.object_row(&alert, &Context::default(), &Options::default()) {
                Ok(row) => {
                    rows += 1;
                    assert_eq!(row.len(), ZTF_OBJECTS.columns.len());
                    assert_eq!(row[0], Value::Text(alert.object_id.0.clone()));
                    let ncand = ZTF_OBJECTS.column("ncand").map(|c| c.name);
                    for (col, v) in ZTF_OBJECTS.columns.iter().zip(&row) {
                        if Some(col.name) == ncand {
                            assert!(matches!(v, Value::Int(n) if *n >= 1), "{}", file.display());
                        }
                        if let Value::Real(x) = v {
                            assert!(x.is_finite(), "{}: {}", file.display(), col.name);
                        }
                    }
                }
                Err(NoRow::SolarSystem) => {
                    solar += 1;
                    assert!(alert.solar_system, "{}", file.display());
                }
                Err(e) => panic!("{}: {e}", file.display()),
            }
        }
    }
    eprintln!("{rows} rows, {solar} solar-system alerts skipped");
    assert!(
        rows + solar >= files.len(),
        "{rows} + {solar} from {} files",
        files.len()
    );
    assert!(rows > 500 && solar > 0, "{rows} rows, {solar} skipped");
}

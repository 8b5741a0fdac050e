//! `SurveyFeatures::point_fields` names every field of a point's record the features read:
//! each alert is written as lasair-ingest writes its line, read back whole and read back
//! keeping only those fields (as lasair-filter reads its batch), and the two `objects` rows
//! must be the same. On every real ZTF and Rubin alert of ../shared/data (skipped when absent)
//! and on simulated alerts of both surveys, whose supernovae run the Bazin x blackbody fit.

use std::sync::Arc;

use lasair_alert::avro::CompiledSchema;
use lasair_alert::{read_alert_line, Alert, AlertJson, Decoder, LineReader, Survey, WireSchemas};
use lasair_features::{for_survey, Context, Options};
use lasair_simulator::{simulate, SimConfig};

/// Checks every alert; returns how many made a row.
fn same_rows(survey: Survey, alerts: &[Alert]) -> usize {
    let features = for_survey(survey);
    let mut kept = LineReader::keeping_point_fields(features.point_fields());
    let ctx = Context {
        distance_mpc: Some(100.0),
        classification: Some("SN"),
        tns_name: None,
    };
    let opts = Options {
        keep_solar_system: true,
        ..Options::default()
    };
    let mut rows = 0;
    for alert in alerts {
        let line = AlertJson::new(alert, Default::default()).to_line();
        let whole = read_alert_line(&line).expect("reads whole");
        let some = kept.read(&line).expect("reads keeping some fields");
        assert!(
            some.alert.lightcurve.iter().all(|p| p
                .fields
                .schema
                .field_names
                .iter()
                .all(|n| features.point_fields().contains(&&**n))),
            "{}: a field not named was kept",
            alert.object_id.0
        );
        let a = features.object_row(&whole.alert, &ctx, &opts);
        let b = features.object_row(&some.alert, &ctx, &opts);
        assert_eq!(a, b, "{} {}", alert.object_id.0, alert.source_id);
        rows += usize::from(a.is_ok());
    }
    rows
}

fn decode(decoder: &Decoder, payloads: impl Iterator<Item = Vec<u8>>) -> Vec<Alert> {
    payloads
        .flat_map(|p| decoder.decode(&p))
        .map(|a| a.expect("decodes"))
        .collect()
}

#[test]
fn real_alerts_make_the_same_rows_from_the_fields_named() {
    for (survey, rel) in [(Survey::Ztf, "ztf/alerts"), (Survey::Lsst, "lsst/alerts")] {
        let Some(dir) = lasair_testdata::shared_data(rel) else {
            continue;
        };
        let paths = lasair_testdata::avro_files(&dir);
        let alerts = decode(
            &Decoder::new(survey, None),
            paths.iter().map(|p| std::fs::read(p).expect("read")),
        );
        let rows = same_rows(survey, &alerts);
        assert!(
            rows > 20,
            "{survey:?}: only {rows} rows of {}",
            alerts.len()
        );
    }
}

#[test]
fn simulated_alerts_make_the_same_rows_from_the_fields_named() {
    for survey in [Survey::Ztf, Survey::Lsst] {
        let sims = simulate(&SimConfig {
            survey,
            alerts: 600,
            objects: 60,
            seed: 5,
            cutouts: false,
            ..SimConfig::default()
        });
        let wire = (survey == Survey::Lsst).then(|| {
            let schema = CompiledSchema::parse(&lasair_simulator::lsst_schema_json());
            WireSchemas::Fixed(Arc::new(schema.expect("Rubin's schema")))
        });
        let alerts = decode(&Decoder::new(survey, wire), sims.map(|s| s.payload));
        let rows = same_rows(survey, &alerts);
        assert!(
            rows > 400,
            "{survey:?}: only {rows} rows of {}",
            alerts.len()
        );
    }
}

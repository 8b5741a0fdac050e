//! The project's own decoder (lasair-alert) on simulated alerts agrees with what the
//! simulator wrote: object, source, and every point of the lightcurve.

mod common;

use std::sync::Arc;

use lasair_alert::avro::CompiledSchema;
use lasair_alert::{Alert, Decoder, PointKind, Survey, WireSchemas};
use lasair_simulator::{lsst_schema_json, simulate, SimAlert, SimConfig};

fn decode(decoder: &Decoder, alert: &SimAlert) -> Alert {
    let mut out = decoder.decode(&alert.payload);
    assert_eq!(out.len(), 1);
    out.remove(0)
        .unwrap_or_else(|e| panic!("{}: {e}", alert.source_id))
}

/// The alerts simulated for `survey`, each with what `decoder` made of it: the simulator's
/// object and source.
fn decoded(survey: Survey, decoder: &Decoder) -> impl Iterator<Item = (SimAlert, Alert)> + '_ {
    let cfg = SimConfig {
        survey,
        alerts: 200,
        objects: 20,
        seed: 3,
        cutouts: true,
        ..SimConfig::default()
    };
    simulate(&cfg).map(move |sim| {
        let alert = decode(decoder, &sim);
        assert_eq!(alert.object_id.0, sim.object_id);
        assert_eq!(alert.source_id, sim.source_id);
        (sim, alert)
    })
}

#[test]
fn ztf_alerts_decode_with_their_whole_lightcurve() {
    let decoder = Decoder::new(Survey::Ztf, None);
    for (sim, alert) in decoded(Survey::Ztf, &decoder) {
        let reader = apache_avro::Reader::new(sim.payload.as_slice()).expect("container");
        let value = reader
            .into_iter()
            .next()
            .expect("one datum")
            .expect("datum");
        let prv = common::array(common::field(&value, "prv_candidates")).len();
        let fp = common::array(common::field(&value, "fp_hists")).len();
        assert_eq!(alert.lightcurve.len(), 1 + prv + fp);
        let detections = alert.points(PointKind::Detection).count();
        let limits = alert.points(PointKind::Nondetection).count();
        assert_eq!(detections + limits, 1 + prv);
        assert_eq!(alert.points(PointKind::Forced).count(), fp);
        assert_eq!(alert.cutouts.len(), 3);
        assert!(alert.cutouts.iter().all(|c| c.extension() == "fits.gz"));
        assert!(alert.lightcurve.iter().any(|p| p.id == sim.source_id));
        for prv in common::array(common::field(&value, "prv_candidates")) {
            let jd = common::double(common::field(prv, "jd")).expect("jd");
            let (kind, id, mag) = match common::long(common::field(prv, "candid")) {
                Some(candid) => (PointKind::Detection, candid, common::field(prv, "magpsf")),
                None => (
                    PointKind::Nondetection,
                    common::long(common::field(prv, "pid")).expect("pid"),
                    common::field(prv, "diffmaglim"),
                ),
            };
            let point = point(&alert, kind, id);
            assert!((point.mjd - (jd - 2_400_000.5)).abs() < 1e-9);
            assert_eq!(point.mag, common::double(mag));
        }
        for fp in common::array(common::field(&value, "fp_hists")) {
            let point = point(
                &alert,
                PointKind::Forced,
                common::long(common::field(fp, "pid")).expect("pid"),
            );
            assert_eq!(
                point.flux,
                common::double(common::field(fp, "forcediffimflux"))
            );
        }
    }
}

fn point(alert: &Alert, kind: PointKind, id: i64) -> &lasair_alert::Point {
    alert
        .points(kind)
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no {kind:?} point {id}"))
}

#[test]
fn lsst_alerts_decode_with_their_whole_lightcurve() -> Result<(), Box<dyn std::error::Error>> {
    let schema = CompiledSchema::parse(&lsst_schema_json())?;
    let decoder = Decoder::new(Survey::Lsst, Some(WireSchemas::Fixed(Arc::new(schema))));
    let avro = apache_avro::Schema::parse_str(&lsst_schema_json())?;
    for (sim, alert) in decoded(Survey::Lsst, &decoder) {
        let value = apache_avro::from_avro_datum(&avro, &mut &sim.payload[5..], None)?;
        let prv = common::array(common::field(&value, "prvDiaSources")).len();
        let forced = common::array(common::field(&value, "prvDiaForcedSources")).len();
        assert_eq!(alert.points(PointKind::Detection).count(), 1 + prv);
        assert_eq!(alert.points(PointKind::Forced).count(), forced);
        assert_eq!(alert.cutouts.len(), 3);
        assert_eq!(
            alert.solar_system,
            !matches!(
                common::field(&value, "ssSource"),
                apache_avro::types::Value::Null
            )
        );
    }
    Ok(())
}

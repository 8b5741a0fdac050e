//! Object rows per second on one core: real ZTF alerts (every alert under
//! ../shared/data/ztf/alerts, decoded once, then only the features timed), the 25 real Rubin
//! alerts, and synthetic LSST supernovae (40 diaSources each) with the Bazin x blackbody fit.
//!
//! `cargo bench -p lasair-features --bench features`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lasair_alert::avro::{CompiledSchema, Datum, Record, RecordNode};
use lasair_alert::{Alert, Decoder, ObjectId, Point, PointKind, Survey};
use lasair_features::{for_survey, Context, Options};

fn decode_all(survey: Survey, files: &[PathBuf]) -> Vec<Alert> {
    let decoder = Decoder::new(survey, None);
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .flat_map(|bytes| decoder.decode(&bytes))
        .filter_map(Result::ok)
        .collect()
}

/// Runs the features over `alerts` repeatedly for about two seconds; prints rows/s.
fn time(label: &str, alerts: &[Alert], ctx: &Context<'_>) {
    let opts = Options {
        keep_solar_system: true,
        ..Options::default()
    };
    let (mut rows, mut fields) = (0usize, 0usize);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        for a in alerts {
            if let Ok(row) = for_survey(a.survey).object_row(a, ctx, &opts) {
                rows += 1;
                fields += row.len();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {} alerts, {:.0} rows/s ({:.2} µs/row, {} values)",
        alerts.len(),
        rows as f64 / secs,
        1e6 * secs / rows.max(1) as f64,
        fields
    );
}

/// A supernova-like LSST lightcurve: 40 diaSources every 1.5 days in g, r, i, from a Bazin x
/// blackbody model with 2% noise (a fixed pseudo-random sequence).
fn synthetic_sn(k: usize, schema: &Arc<RecordNode>) -> Alert {
    let wl = [0.5, 0.62, 0.74];
    let bands = ["g", "r", "i"];
    let (a, temp, t0, kr, kf): (f64, f64, f64, f64, f64) = (
        70_000.0,
        8.0 + (k % 5) as f64,
        8.0,
        0.2 + 0.02 * (k % 7) as f64,
        0.05,
    );
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ k as u64;
    let lightcurve: Vec<Point> = (0..40)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let t = 1.5 * i as f64;
            let w: f64 = wl[i % 3];
            let bb = w.powi(-3) / (14.387 / (w * temp)).exp_m1();
            let f = a * bb * (-kf * (t - t0)).exp() / (1.0 + (-kr * (t - t0)).exp());
            Point {
                kind: PointKind::Detection,
                id: i as i64 + 1,
                mjd: 61_000.0 + t,
                band: bands[i % 3].to_owned(),
                mag: None,
                mag_err: None,
                flux: Some(f * (1.0 + 0.04 * noise)),
                flux_err: Some(0.02 * f),
                rank: 1,
                fields: Record {
                    schema: schema.clone(),
                    values: vec![Datum::Float(0.9)],
                },
            }
        })
        .collect();
    Alert {
        survey: Survey::Lsst,
        object_id: ObjectId(k.to_string()),
        source_id: 40,
        ra: 150.0,
        dec: 2.0,
        mjd: 61_058.5,
        band: "r".into(),
        solar_system: false,
        ss_name: None,
        envelope: Record {
            schema: schema.clone(),
            values: vec![Datum::Null],
        },
        lightcurve,
        cutouts: Vec::new(),
    }
}

fn main() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let none = Context::default();
    let sn = Context {
        distance_mpc: Some(100.0),
        classification: Some("SN"),
        tns_name: None,
    };
    let files = lasair_testdata::avro_files(&data.join("ztf/alerts"));
    if files.is_empty() {
        println!(
            "skipped: real ZTF and Rubin alerts ({} not found)",
            data.display()
        );
    } else {
        time("ZTF real", &decode_all(Survey::Ztf, &files), &none);
        let rubin = [data.join("lsst/alerts/rubin_v10_0/alerts.avro")];
        time(
            "LSST real (SN at 100 Mpc)",
            &decode_all(Survey::Lsst, &rubin),
            &sn,
        );
    }
    let json =
        r#"{"type":"record","name":"s","fields":[{"name":"reliability","type":["null","float"]}]}"#;
    let Some(schema) = CompiledSchema::parse(json)
        .ok()
        .and_then(|s| s.root_record().cloned())
    else {
        return;
    };
    let sns: Vec<Alert> = (0..200).map(|k| synthetic_sn(k, &schema)).collect();
    time("LSST synthetic, 40 sources, BBB fit (SN)", &sns, &sn);
    time("LSST synthetic, 40 sources, no fit", &sns, &none);
}

//! The LSST features on hand-made lightcurves: a Bazin x blackbody model with noise whose
//! parameters the fit must recover, pairs, jumps and the counting columns. The 25 real Rubin
//! alerts are compared with independently computed values in `tests/lsst_real.rs`.

use std::sync::Arc;

use lasair_alert::avro::{CompiledSchema, Datum, Record, RecordNode};
use lasair_alert::{Alert, ObjectId, Point, PointKind, Survey};
use lasair_sql::catalog::LSST_OBJECTS;
use lasair_sql::Value;

use super::blackbody::{band_index, planck, WAVELENGTH};
use super::{bbb, jump, pair, Lsst, Source};
use crate::{Context, NoRow, Options, SurveyFeatures};

/// A deterministic normal deviate generator (xorshift64 and Box-Muller), so the noisy
/// lightcurves are the same on every run.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The true model, written out here from its definition (not with the code under test):
/// A B(λ, T) e^(-kf (t - t0)) / (1 + e^(-kr (t - t0))).
fn truth(p: [f64; 5], t: f64, band: &str) -> f64 {
    let [a, temp, t0, kr, kf] = p;
    let wl = WAVELENGTH[band_index(band).expect("band")];
    a * planck(wl, temp) * (-kf * (t - t0)).exp() / (1.0 + (-kr * (t - t0)).exp())
}

const MJD0: f64 = 61_000.0;

/// A supernova-like lightcurve seen every 1.5 days in g, r, i in turn, from the first
/// detection at MJD0 for `days`, with 2% + 100 nJy Gaussian noise.
fn noisy_sources(p: [f64; 5], days: f64, seed: u64) -> Vec<(f64, &'static str, f64)> {
    let mut noise = Noise(seed);
    let bands = ["g", "r", "i"];
    (0..)
        .map(|k| (k as f64 * 1.5, bands[k % 3]))
        .take_while(|(t, _)| *t <= days)
        .map(|(t, band)| {
            let f = truth(p, t, band);
            (
                MJD0 + t,
                band,
                f + (0.02 * f.abs() + 100.0) * noise.normal(),
            )
        })
        .collect()
}

fn sources<'a>(pts: &'a [(f64, &'a str, f64)]) -> Vec<Source<'a>> {
    pts.iter()
        .map(|&(mjd, band, flux)| Source {
            mjd,
            band,
            flux,
            reliability: Some(0.9),
        })
        .collect()
}

#[test]
fn the_fit_recovers_a_noisy_bazin_blackbody() {
    // A 10 kK explosion rising at 0.3/day and fading at 0.05/day, peak near 20,000 nJy.
    let p = [70_000.0, 10.0, 8.0, 0.3, 0.05];
    for seed in [1, 2, 3] {
        let pts = noisy_sources(p, 60.0, seed);
        let fit = bbb::fit(&sources(&pts), &[]).expect("a fit");
        let close = |got: f64, want: f64, rel: f64| (got - want).abs() <= rel * want.abs();
        assert!(close(fit.rise_rate, 0.3, 0.15), "kr {fit:?}");
        assert!(
            close(fit.fall_rate.expect("Bazin"), 0.05, 0.10),
            "kf {fit:?}"
        );
        assert!(close(fit.temp, 10.0, 0.10), "T {fit:?}");
        // The true peak: e^(-kr τ) = kf / (kr - kf), in the band where it is brightest.
        let tau: f64 = -(0.05f64 / 0.25).ln() / 0.3;
        let peak_mjd = MJD0 + 8.0 + tau;
        let peak_flux = ["u", "g", "r", "i", "z", "y"]
            .map(|b| truth(p, 8.0 + tau, b))
            .into_iter()
            .fold(0.0, f64::max);
        assert!(
            (fit.peak_mjd.expect("peak") - peak_mjd).abs() < 1.0,
            "{fit:?}"
        );
        assert!(
            close(fit.peak_flux.expect("peak"), peak_flux, 0.08),
            "{fit:?} vs {peak_flux}"
        );
    }
}

#[test]
fn a_rising_only_lightcurve_fits_something_or_nothing_but_never_nonsense() {
    // Ten days of a fast rise: the exponential model suits it; either way the rates it gives
    // are within Lasair's bounds.
    let p = [70_000.0, 12.0, 20.0, 0.25, 0.02];
    let pts = noisy_sources(p, 10.0, 7);
    if let Some(fit) = bbb::fit(&sources(&pts), &[]) {
        assert!((0.0..=15.0).contains(&fit.rise_rate), "{fit:?}");
        assert!(fit.temp > 0.0, "{fit:?}");
    }
}

#[test]
fn too_few_sources_or_pure_noise_give_no_fit() {
    let pts = noisy_sources([70_000.0, 10.0, 8.0, 0.3, 0.05], 5.0, 1);
    assert_eq!(pts.len(), 4);
    assert_eq!(bbb::fit(&sources(&pts), &[]), None);
    let mut noise = Noise(9);
    let flat: Vec<(f64, &str, f64)> = (0..30)
        .map(|k| (MJD0 + k as f64, "r", 100.0 * noise.normal()))
        .collect();
    assert_eq!(bbb::fit(&sources(&flat), &[]), None, "noise about zero");
}

#[test]
fn pairs_give_colours_and_temperatures() {
    let min = 1.0 / 1440.0;
    // g then r 33 minutes later, from a 7 kK blackbody; then a lone i; then r then g.
    let (fg, fr) = (1000.0 * planck(0.5, 7.0), 1000.0 * planck(0.62, 7.0));
    let pts = [
        (MJD0, "g", fg),
        (MJD0 + 33.0 * min, "r", fr),
        (MJD0 + 1.0, "i", 500.0),
        (MJD0 + 3.0, "r", fr),
        (MJD0 + 3.0 + 33.0 * min, "g", fg),
        (MJD0 + 3.0 + 80.0 * min, "r", fr), // 47 minutes after the g: no pair
    ];
    let [latest, penultimate] = pair::latest_pairs(&sources(&pts));
    let latest = latest.expect("latest pair");
    assert_eq!(latest.bands, "g-r");
    assert_eq!(latest.mjd, MJD0 + 3.0 + 33.0 * min);
    assert!((latest.temp - 7.0).abs() < 0.01, "{latest:?}");
    let colour = -2.5 * (fg / fr).log10();
    assert!((latest.colour_mag - colour).abs() < 1e-12);
    let penultimate = penultimate.expect("penultimate pair");
    assert_eq!(penultimate.mjd, MJD0 + 33.0 * min);
    // A negative flux makes a pair without a colour.
    let neg = [(MJD0, "g", -5.0), (MJD0 + 0.01, "r", 100.0)];
    assert_eq!(pair::latest_pairs(&sources(&neg)), [None, None]);
}

#[test]
fn a_jump_is_counted_in_sigmas_of_the_baseline() {
    // Baseline r fluxes 100, 110, 90, 100, 100 (mean 100, sample sd sqrt(50)) 20-40 days
    // before the latest source; a 150 five days before it; the latest itself is not tested.
    let mut pts: Vec<(f64, &str, f64)> = [100.0, 110.0, 90.0, 100.0, 100.0]
        .iter()
        .enumerate()
        .map(|(k, f)| (MJD0 + 5.0 * k as f64, "r", *f))
        .collect();
    pts.push((MJD0 + 55.0, "r", 150.0));
    pts.push((MJD0 + 55.5, "g", 1e6));
    pts.push((MJD0 + 60.0, "r", 1e9));
    let (j1, j2) = jump::jumps(&sources(&pts));
    assert!((j1 - 50.0 / 50f64.sqrt()).abs() < 1e-9, "{j1}");
    assert_eq!(j2, 0.0, "g has no baseline");
}

fn schema() -> Arc<RecordNode> {
    let json =
        r#"{"type":"record","name":"s","fields":[{"name":"reliability","type":["null","float"]}]}"#;
    CompiledSchema::parse(json)
        .expect("schema")
        .root_record()
        .expect("record")
        .clone()
}

fn alert(pts: &[(f64, &str, f64)], forced: &[(f64, &str, f64)]) -> Alert {
    let s = schema();
    let point = |kind, (i, &(mjd, band, flux)): (usize, &(f64, &str, f64))| Point {
        kind,
        id: i as i64 + 1,
        mjd,
        band: band.to_owned(),
        mag: None,
        mag_err: None,
        flux: Some(flux),
        flux_err: Some(100.0),
        rank: 1,
        fields: Record {
            schema: s.clone(),
            values: vec![Datum::Float(0.25 * (i % 4) as f32 + 0.125)],
        },
    };
    let mut lightcurve: Vec<Point> = pts
        .iter()
        .enumerate()
        .map(|p| point(PointKind::Detection, p))
        .collect();
    lightcurve.extend(
        forced
            .iter()
            .enumerate()
            .map(|p| point(PointKind::Forced, p)),
    );
    lightcurve.sort_by(|a, b| a.mjd.total_cmp(&b.mjd));
    Alert {
        survey: Survey::Lsst,
        object_id: ObjectId("42".into()),
        source_id: pts.len() as i64,
        ra: 150.0,
        dec: 2.0,
        mjd: pts.last().map_or(0.0, |p| p.0),
        band: "r".into(),
        solar_system: false,
        ss_name: None,
        envelope: Record {
            schema: s.clone(),
            values: vec![Datum::Null],
        },
        lightcurve,
        cutouts: Vec::new(),
    }
}

fn col<'a>(row: &'a [Value], name: &str) -> &'a Value {
    let i = LSST_OBJECTS
        .columns
        .iter()
        .position(|c| c.name == name)
        .expect("column");
    &row[i]
}

#[test]
fn a_whole_row_for_a_supernova_at_a_known_distance() {
    let p = [70_000.0, 10.0, 8.0, 0.3, 0.05];
    let pts = noisy_sources(p, 60.0, 5);
    let forced = [(MJD0 - 6.0, "r", 10.0), (MJD0 - 3.0, "g", -20.0)];
    let a = alert(&pts, &forced);
    let ctx = Context {
        distance_mpc: Some(100.0),
        classification: Some("SN"),
        tns_name: Some("2026abc"),
    };
    let row = Lsst.object_row(&a, &ctx, &Options::default()).expect("row");
    assert_eq!(row.len(), LSST_OBJECTS.columns.len());
    assert_eq!(col(&row, "diaObjectId"), &Value::Int(42));
    assert_eq!(col(&row, "tns_name"), &Value::Text("2026abc".into()));
    assert_eq!(col(&row, "nDiaSources"), &Value::Int(pts.len() as i64));
    assert_eq!(
        col(&row, "ngSources"),
        &Value::Int(pts.iter().filter(|p| p.1 == "g").count() as i64)
    );
    assert_eq!(col(&row, "nuSources"), &Value::Int(0));
    assert_eq!(col(&row, "u_psfFlux"), &Value::Null);
    assert_eq!(
        col(&row, "firstDiaSourceMjdTai"),
        &Value::Real(MJD0),
        "forced points are not diaSources"
    );
    let last = pts.last().expect("points");
    assert_eq!(col(&row, "latest_psfFlux"), &Value::Real(last.2));
    assert_eq!(col(&row, "lastDiaSourceMjdTai"), &Value::Real(last.0));
    // Reliabilities cycle 0.125, 0.375, 0.625, 0.875 over 41 sources: 11, 10, 10, 10.
    assert_eq!(pts.len(), 41);
    assert_eq!(col(&row, "nSourcesGood"), &Value::Int(20));
    assert_eq!(col(&row, "medianR"), &Value::Real(0.375));
    assert_eq!(
        col(&row, "latestR"),
        &Value::Real(0.125),
        "source 40: 40 % 4 = 0"
    );
    // The brightest source at 100 Mpc (distance modulus 35).
    let brightest = pts
        .iter()
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .expect("points");
    let abs = 31.4 - 2.5 * brightest.2.log10() - 35.0;
    match col(&row, "absMag") {
        Value::Real(v) => assert!((v - abs).abs() < 1e-9, "{v} vs {abs}"),
        other => panic!("absMag {other:?}"),
    }
    for c in [
        "BBBRiseRate",
        "BBBFallRate",
        "BBBTemp",
        "BBBPeakFlux",
        "BBBPeakMJD",
        "BBBPeakAbsMag",
        "glat",
    ] {
        assert!(
            matches!(col(&row, c), Value::Real(_)),
            "{c}: {:?}",
            col(&row, c)
        );
    }
    assert_eq!(col(&row, "ebv"), &Value::Null, "no dust map");
    // Not a transient class: no fit and no absolute magnitude.
    let star = Context {
        classification: Some("VS"),
        ..ctx
    };
    let row = Lsst
        .object_row(&a, &star, &Options::default())
        .expect("row");
    assert_eq!(col(&row, "BBBTemp"), &Value::Null);
    assert_eq!(col(&row, "absMag"), &Value::Null);
}

/// With a dust map: ebv is the map's, absMag and the pair colours use fluxes dereddened by
/// Lasair-LSST's coefficients (written out here as its `EXTCOEF` has them), the latest flux
/// and the jumps the fluxes as measured.
#[test]
fn a_dust_map_fills_ebv_and_dereddens_absmag_and_colours() {
    let min = 1.0 / 1440.0;
    let (fg, fr) = (1000.0 * planck(0.5, 7.0), 1000.0 * planck(0.62, 7.0));
    let pts = [
        (MJD0, "g", fg),
        (MJD0 + 33.0 * min, "r", fr),
        (MJD0 + 3.0, "r", fr),
        (MJD0 + 3.0 + 33.0 * min, "g", fg),
    ];
    let a = alert(&pts, &[]);
    let ctx = Context {
        distance_mpc: Some(100.0),
        classification: Some("SN"),
        tns_name: None,
    };
    let plain = Lsst.object_row(&a, &ctx, &Options::default()).expect("row");
    let dusty = Options {
        dust: Some(Arc::new(lasair_sky::DustMap::uniform(0.25))),
        ..Options::default()
    };
    let row = Lsst.object_row(&a, &ctx, &dusty).expect("row");
    let ebv = 0.25;
    assert_eq!(col(&row, "ebv"), &Value::Real(ebv));
    let (rg, rr) = (3.237, 2.273);
    let real = |row: &[Value], c: &str| match col(row, c) {
        Value::Real(v) => *v,
        other => panic!("{c}: {other:?}"),
    };
    let colour = real(&row, "latestPairColourMag");
    let expected = real(&plain, "latestPairColourMag") - ebv * (rg - rr);
    assert!((colour - expected).abs() < 1e-9, "{colour} vs {expected}");
    assert!(real(&row, "latestPairColourTemp") > real(&plain, "latestPairColourTemp"));
    let brightest = [
        fg * 10f64.powf(0.4 * ebv * rg),
        fr * 10f64.powf(0.4 * ebv * rr),
    ]
    .into_iter()
    .fold(f64::MIN, f64::max);
    let abs = 31.4 - 2.5 * brightest.log10() - 35.0;
    assert!((real(&row, "absMag") - abs).abs() < 1e-9);
    for c in ["latest_psfFlux", "g_psfFlux", "jump1", "jump2"] {
        assert_eq!(col(&row, c), col(&plain, c), "{c} is not dereddened");
    }
}

#[test]
fn no_diasource_with_a_flux_makes_no_row() {
    let a = alert(&[], &[(MJD0, "r", 10.0)]);
    let got = Lsst.object_row(&a, &Context::default(), &Options::default());
    assert_eq!(got, Err(NoRow::NoDetection));
}

//! Every cutout of the real alerts in ../shared/data, decoded by lasair-alert, its image read by
//! lasair-sky and its zscale computed here, against what astropy reads and computes
//! (tests/fixtures/cutouts/expected.py wrote zscale.csv). Skips when the data is absent.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use lasair_alert::{Alert, Decoder, Survey};
use lasair_sky::{read_image, FitsImage, MAX_IMAGE_PIXELS};
use lasair_store::{render_png, zscale};
use lasair_testdata::Rng;

/// One row of zscale.csv.
struct Expected {
    file: String,
    source_id: i64,
    kind: String,
    rows: usize,
    cols: usize,
    nans: usize,
    limits: (f64, f64),
    min: f64,
    max: f64,
    first: Option<f64>,
    centre: Option<f64>,
}

fn expected() -> Vec<Expected> {
    let text = include_str!("fixtures/cutouts/zscale.csv");
    let num = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("number {s:?}"));
    let opt = |s: &str| (!s.is_empty()).then(|| num(s));
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 12, "{line}");
            Expected {
                file: f[0].to_owned(),
                source_id: f[1].parse().expect("source_id"),
                kind: f[2].to_owned(),
                rows: f[3].parse().expect("rows"),
                cols: f[4].parse().expect("cols"),
                nans: f[5].parse().expect("nans"),
                limits: (num(f[6]), num(f[7])),
                min: num(f[8]),
                max: num(f[9]),
                first: opt(f[10]),
                centre: opt(f[11]),
            }
        })
        .collect()
}

/// The fixture's rows and the FITS bytes of every cutout they name, as our own decoding gives
/// them: decoded once for the tests of this file.
fn fixture(data: &Path) -> &'static (Vec<Expected>, Vec<Vec<u8>>) {
    static FIXTURE: OnceLock<(Vec<Expected>, Vec<Vec<u8>>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rows = expected();
        let cutouts = cutouts(data, &rows);
        (rows, cutouts)
    })
}

fn cutouts(data: &Path, rows: &[Expected]) -> Vec<Vec<u8>> {
    let mut alerts: HashMap<String, Vec<Alert>> = HashMap::new();
    rows.iter()
        .map(|e| {
            let path = data.join(&e.file);
            if e.file.starts_with("cutouts/") {
                return std::fs::read(&path).expect("cutout file");
            }
            let decoded = alerts.entry(e.file.clone()).or_insert_with(|| {
                let survey = if e.file.starts_with("lsst/") {
                    Survey::Lsst
                } else {
                    Survey::Ztf
                };
                let bytes = std::fs::read(&path).expect("alert file");
                Decoder::new(survey, None)
                    .decode(&bytes)
                    .into_iter()
                    .map(|a| a.unwrap_or_else(|err| panic!("{}: {err}", e.file)))
                    .collect()
            });
            let alert = decoded
                .iter()
                .find(|a| a.source_id == e.source_id)
                .unwrap_or_else(|| panic!("{}: no alert {}", e.file, e.source_id));
            let cutout = alert
                .cutouts
                .iter()
                .find(|c| c.kind.as_str() == e.kind)
                .unwrap_or_else(|| panic!("{}: {} has no {}", e.file, e.source_id, e.kind));
            cutout.data.to_vec()
        })
        .collect()
}

fn same_value(ours: Option<f32>, astropy: Option<f64>) -> bool {
    match (ours, astropy) {
        (Some(v), Some(a)) => f64::from(v) == a,
        (Some(v), None) => !v.is_finite(),
        (None, _) => false,
    }
}

/// How far our limit may be from astropy's: 1e-5 of the limits' span. Where a template holds
/// -3.4e38 (ZTF's masked pixels, as -FLT_MAX) and a limit is that value, the span is huge or
/// infinite: the other limit is then held to 1e-5 of itself instead.
fn tolerance(e: &Expected, limit: f64) -> f64 {
    let span = e.limits.1 - e.limits.0;
    if span.is_finite() && span < 1e30 {
        1e-5 * span
    } else {
        1e-5 * limit.abs()
    }
}

#[test]
fn every_real_cutout_reads_and_scales_as_astropy_does() {
    let Some(data) = lasair_testdata::shared_data("") else {
        return;
    };
    let (rows, cutouts) = fixture(&data);
    assert!(rows.len() > 2000, "{} cutouts in the fixture", rows.len());
    let mut worst = (0.0f64, String::new());
    for (i, (e, bytes)) in rows.iter().zip(cutouts).enumerate() {
        let name = format!("{} {} {}", e.file, e.source_id, e.kind);
        let img: FitsImage =
            read_image(bytes, MAX_IMAGE_PIXELS).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!((img.rows, img.columns), (e.rows, e.cols), "{name}");
        let nans = img.values.iter().filter(|v| !v.is_finite()).count();
        assert_eq!(nans, e.nans, "{name}");
        let finite = || img.values.iter().copied().filter(|v| v.is_finite());
        let min = finite().fold(f32::INFINITY, f32::min);
        let max = finite().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((f64::from(min), f64::from(max)), (e.min, e.max), "{name}");
        assert!(same_value(img.at(0, 0), e.first), "{name}: [0, 0]");
        let centre = img.at(e.cols / 2, e.rows / 2);
        assert!(same_value(centre, e.centre), "{name}: centre");

        let (lo, hi) = zscale(&img.values).unwrap_or_else(|| panic!("{name}: no limits"));
        for (ours, astropy) in [(lo, e.limits.0), (hi, e.limits.1)] {
            let message = format!("{name}: zscale {lo}..{hi}, astropy {:?}", e.limits);
            if !astropy.is_finite() {
                // astropy's float32 median of two -3.4e38 overflows to -inf; ours does too.
                assert_eq!(f64::from(ours), astropy, "{message}");
                continue;
            }
            let off = (f64::from(ours) - astropy).abs();
            let tol = tolerance(e, astropy);
            assert!(off <= tol, "{message}");
            if off / tol.max(f64::MIN_POSITIVE) > worst.0 {
                worst = (off / tol, name.clone());
            }
        }
        if i % 10 == 0 {
            // The whole path the web pages take, on a tenth of them (the rest is above).
            render_png(bytes, &name).unwrap_or_else(|err| panic!("{err}"));
        }
    }
    eprintln!(
        "{} cutouts as astropy reads and scales them; the largest difference in zscale \
         limits {:.3} of the tolerance ({})",
        rows.len(),
        worst.0,
        worst.1
    );
}

/// Bytes of `data` changed as an attacker would: bits flipped, edge values, cuts, repeats.
fn mutate(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = data.to_vec();
    for _ in 0..1 + rng.next_u64() % 4 {
        if b.is_empty() {
            b.push(0);
        }
        let i = (rng.next_u64() % b.len() as u64) as usize;
        match rng.next_u64() % 5 {
            0 => b[i] ^= 1 << (rng.next_u64() % 8),
            1 => b[i] = [0x00, b'9', b'-', 0x7f, 0x80, 0xff][(rng.next_u64() % 6) as usize],
            2 => b.truncate(i),
            3 => {
                let j = (i + 1 + (rng.next_u64() % 80) as usize).min(b.len());
                let span = b[i..j].to_vec();
                b.splice(i..i, span);
            }
            _ => {
                let j = (i + 1 + (rng.next_u64() % 80) as usize).min(b.len());
                b.drain(i..j);
            }
        }
    }
    b
}

#[test]
fn mangled_real_cutouts_are_errors_or_images_never_panics() {
    let Some(data) = lasair_testdata::shared_data("") else {
        return;
    };
    let (_, cutouts) = fixture(&data);
    let mut rng = Rng(12);
    let (mut ok, mut refused) = (0, 0);
    // Every 40th cutout, mangled gzipped and inflated (where the header is).
    for bytes in cutouts.iter().step_by(40) {
        let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate_reader(bytes), &mut out).expect("inflate");
            out
        } else {
            bytes.clone()
        };
        for source in [bytes, &plain] {
            for _ in 0..10 {
                match render_png(&mutate(source, &mut rng), "mangled") {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        assert!(e.to_string().starts_with("cutout mangled: "), "{e}");
                        refused += 1;
                    }
                }
            }
        }
    }
    eprintln!("mangled cutouts: {ok} drawn, {refused} refused, none panicked");
    assert!(refused > 0 && ok > 0);
}

fn flate_reader(bytes: &[u8]) -> impl std::io::Read + '_ {
    flate2::read::GzDecoder::new(bytes)
}

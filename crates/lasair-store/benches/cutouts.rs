//! Benchmark of cutouts drawn as PNG, on one core: a real ZTF cutout (63 x 63, gzipped) and a
//! real LSST cutout (30 x 30) from ../shared/data, each rendered again and again: renders per
//! second and the latency percentiles (the web pages' goal is a cutout PNG in under 20 ms at
//! p99, the server's part included). Run with `cargo bench -p lasair-store --bench cutouts`;
//! LASAIR_BENCH_RENDERS sets the renders per cutout (default 20,000).

use std::path::Path;
use std::time::{Duration, Instant};

use lasair_alert::{Decoder, Survey};
use lasair_store::render_png;

fn main() {
    let Some(data) = lasair_testdata::shared_data("") else {
        return;
    };
    let n: usize = std::env::var("LASAIR_BENCH_RENDERS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(20_000);
    let ztf = data.join("ztf/alerts/ZTF21abiuvdk");
    let ztf_file = std::fs::read_dir(&ztf)
        .expect("ZTF21abiuvdk's alerts")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("an alert");
    let lsst_file = data.join("lsst/alerts/rubin_v10_0/alerts.avro");
    for (label, survey, file) in [
        (
            "ZTF science 63x63 (gzipped FITS)",
            Survey::Ztf,
            ztf_file.as_path(),
        ),
        (
            "LSST science 30x30 (FITS)",
            Survey::Lsst,
            lsst_file.as_path(),
        ),
    ] {
        let cutout = science(survey, file);
        bench(label, &cutout, n);
    }
}

/// The science cutout of the first alert of `file`.
fn science(survey: Survey, file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).expect("alert file");
    let alert = Decoder::new(survey, None)
        .decode(&bytes)
        .into_iter()
        .next()
        .expect("an alert")
        .expect("decodes");
    alert
        .cutouts
        .into_iter()
        .next()
        .expect("a cutout")
        .data
        .to_vec()
}

fn bench(label: &str, cutout: &[u8], n: usize) {
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        bytes = render_png(cutout, label).expect("renders").len();
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label}: {n} renders in {:.2} s, {:.0} renders/s on one core; \
         latency p50 {:.0} us, p99 {:.0} us, max {:.0} us; FITS {} bytes -> PNG {bytes} bytes",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        us(at(0.5)),
        us(at(0.99)),
        us(times[n - 1]),
        cutout.len(),
    );
}

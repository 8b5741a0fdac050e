//! Benchmark of watchlists and watchmaps: one index of many cones (LASAIR_BENCH_CONES,
//! default 10^7) built and matched against random alert positions on one core, then 100
//! watchmaps (synthetic MOCs plus the real ones when ../shared/data is there) matched against
//! a 10,000-alert batch. Run with `cargo bench -p lasair-sky --bench watch`.

use std::f64::consts::PI;
use std::time::{Duration, Instant};

use lasair_sky::{Area, AreaId, AreaSet, Hit, WatchlistId, WatchlistSetBuilder};
use moc::moc::range::{CellSelection, RangeMOC};

use lasair_testdata::Rng;

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn memory_line(label: &str) {
    let rss = status_kib("VmRSS:").unwrap_or(0) * 1024;
    let peak = status_kib("VmHWM:").unwrap_or(0) * 1024;
    println!(
        "{label}: RSS {:.0} MiB, peak RSS {:.0} MiB",
        mib(rss),
        mib(peak)
    );
}

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let cones: usize = std::env::var("LASAIR_BENCH_CONES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(10_000_000);
    watchlists(cones);
    watchmaps();
}

/// Watchlists of 100,000 cones each, default radii 1-10", one cone in 1,000 with its own
/// radius between 10" and 1,800" (log-uniform).
fn watchlists(n: usize) {
    println!(
        "== watchlists: {n} cones in {} watchlists",
        n.div_ceil(100_000)
    );
    memory_line("before build");
    let mut rng = Rng(1);
    let start = Instant::now();
    let mut builder = WatchlistSetBuilder::new();
    let mut name = String::new();
    for i in 0..n {
        if i % 100_000 == 0 {
            let default = [1.0, 2.0, 5.0, 10.0][(i / 100_000) % 4];
            let id = WatchlistId((i / 100_000) as u32);
            builder
                .start_watchlist(id, default, None)
                .expect("valid radius");
        }
        let (ra, dec) = rng.sky();
        let own = (rng.unit() < 0.001).then(|| 10.0 * 180f64.powf(rng.unit()));
        name.clear();
        use std::fmt::Write;
        let _ = write!(name, "c{i:x}");
        builder.push_cone(ra, dec, &name, own).expect("valid cone");
    }
    let pushed = start.elapsed();
    let set = builder.build();
    let built = start.elapsed();
    println!(
        "build: {:.1} s ({:.1} s collecting cones, {:.1} s indexing), {:.2} M cones/s",
        built.as_secs_f64(),
        pushed.as_secs_f64(),
        (built - pushed).as_secs_f64(),
        per_second(n, built) / 1e6
    );
    println!(
        "memory: set {:.0} MiB ({:.1} bytes/cone)",
        mib(set.memory_bytes() as u64),
        set.memory_bytes() as f64 / n.max(1) as f64
    );
    memory_line("after build");

    let alerts: Vec<(f64, f64)> = (0..1_000_000).map(|_| rng.sky()).collect();
    let mut scratch = Vec::new();
    let mut out: Vec<Hit<'_>> = Vec::new();
    let mut hits = 0usize;
    let start = Instant::now();
    for &(ra, dec) in &alerts {
        out.clear();
        set.hits_into(ra, dec, &mut scratch, &mut out);
        hits += out.len();
    }
    let took = start.elapsed();
    println!(
        "match: {} random alerts in {:.2} s on one core: {:.0} alerts/s, {:.2} us/alert mean, {:.3} hits/alert",
        alerts.len(),
        took.as_secs_f64(),
        per_second(alerts.len(), took),
        took.as_secs_f64() * 1e6 / alerts.len() as f64,
        hits as f64 / alerts.len() as f64
    );
    latency_line(&alerts[..100_000], |ra, dec| {
        out.clear();
        set.hits_into(ra, dec, &mut scratch, &mut out);
    });
}

/// Times each call separately: the median and the 99th and 99.9th percentiles.
fn latency_line(alerts: &[(f64, f64)], mut f: impl FnMut(f64, f64)) {
    let mut times: Vec<u64> = alerts
        .iter()
        .map(|&(ra, dec)| {
            let t = Instant::now();
            f(ra, dec);
            t.elapsed().as_nanos() as u64
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "latency per alert: median {:.2} us, p99 {:.2} us, p99.9 {:.2} us",
        at(0.5) as f64 / 1e3,
        at(0.99) as f64 / 1e3,
        at(0.999) as f64 / 1e3
    );
}

/// Synthetic watchmaps: cones from 6' to 30 degrees and boxes, at orders 6 to 13.
fn synthetic_areas(rng: &mut Rng, n: usize) -> Vec<Area> {
    (0..n)
        .map(|i| {
            let (ra, dec) = rng.sky();
            let (lon, lat) = (ra.to_radians(), dec.to_radians());
            let depth = 6 + (i % 8) as u8;
            let size = (0.1f64 * 300f64.powf(rng.unit())).to_radians();
            let moc: RangeMOC<u64, moc::qty::Hpx<u64>> = if i % 3 == 2 {
                let a = size.min(PI / 2.0 - 1e-3);
                let b = a * (0.2 + 0.8 * rng.unit());
                RangeMOC::from_box(
                    lon,
                    lat,
                    a,
                    b,
                    PI * rng.unit() * 0.999,
                    depth,
                    CellSelection::All,
                )
            } else {
                RangeMOC::from_cone(lon, lat, size.min(PI / 2.0), depth, 2, CellSelection::All)
            };
            Area::from_moc(&format!("synthetic {i}"), &moc)
        })
        .collect()
}

fn watchmaps() {
    let mut rng = Rng(2);
    let mut areas: Vec<Area> = [
        "mocs/sample_area.fits",
        "mocs/ar_1.fits",
        "mocs/CDS-I-125A-catalog_MOC.fits",
        "skymaps/MS181101ab_mock_90.moc",
    ]
    .into_iter()
    .filter_map(lasair_testdata::shared_data)
    .filter_map(|p| Area::from_path(p).ok())
    .collect();
    let real = areas.len();
    areas.extend(synthetic_areas(&mut rng, 100 - real));
    let ranges: usize = areas.iter().map(|a| a.ranges().len()).sum();
    let sky: f64 = areas.iter().map(Area::sky_fraction).sum();
    println!(
        "== watchmaps: {} areas ({real} real), {ranges} ranges, {:.2} skies covered in total",
        areas.len(),
        sky
    );
    let start = Instant::now();
    let set = AreaSet::build(
        areas
            .iter()
            .enumerate()
            .map(|(i, a)| (AreaId(i as u32), a.clone())),
    );
    println!(
        "build: {:.1} ms, {:.1} MiB",
        start.elapsed().as_secs_f64() * 1e3,
        mib(set.memory_bytes() as u64)
    );
    let batch: Vec<(f64, f64)> = (0..10_000).map(|_| rng.sky()).collect();
    let mut out = Vec::new();
    let rounds = 20;
    let mut hits = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for &(ra, dec) in &batch {
            out.clear();
            set.hits(ra, dec, &mut out);
            hits += out.len();
        }
    }
    let took = start.elapsed();
    let alerts = rounds * batch.len();
    println!(
        "match (AreaSet): 10,000-alert batch in {:.2} ms: {:.0} alerts/s, {:.0} alert-area checks/s (alerts x areas / time), {:.3} us/alert, {:.2} hits/alert",
        took.as_secs_f64() * 1e3 / rounds as f64,
        per_second(alerts, took),
        per_second(alerts * areas.len(), took),
        took.as_secs_f64() * 1e6 / alerts as f64,
        hits as f64 / alerts as f64
    );
    let mut naive_hits = 0usize;
    let start = Instant::now();
    for &(ra, dec) in &batch {
        naive_hits += areas.iter().filter(|a| a.contains(ra, dec)).count();
    }
    let took = start.elapsed();
    println!(
        "match (each Area::contains): 10,000-alert batch in {:.2} ms: {:.0} alert-area checks/s, {:.3} us/alert",
        took.as_secs_f64() * 1e3,
        per_second(batch.len() * areas.len(), took),
        took.as_secs_f64() * 1e6 / batch.len() as f64
    );
    assert_eq!(naive_hits * rounds, hits, "the two ways must agree");
    latency_line(&batch, |ra, dec| {
        out.clear();
        set.hits(ra, dec, &mut out);
    });
}

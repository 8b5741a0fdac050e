//! The sky index: build time, memory, and `within` / `containing` queries per second on one
//! core, for N uniform random points on the sky.
//! `LASAIR_BENCH_POINTS=1000000,10000000 cargo bench -p lasair-sky --bench index`
//! (default: 10^6 and 10^7).

use lasair_sky::PointIndex;
use std::time::{Duration, Instant};

use lasair_testdata::Rng;

fn main() {
    let sizes = std::env::var("LASAIR_BENCH_POINTS").unwrap_or_else(|_| "1000000,10000000".into());
    for n in sizes
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        bench_within(n);
        bench_containing(n);
    }
}

fn bench_within(n: usize) {
    let mut rng = Rng(7);
    let t = Instant::now();
    let index = PointIndex::build((0..n).map(|_| {
        let (ra, dec) = rng.sky();
        (ra, dec, 0.0)
    }));
    let build = t.elapsed();
    println!(
        "index build {n} points: {:.2} s, {} MB ({:.1} bytes/point), depth {:?}",
        build.as_secs_f64(),
        index.memory_bytes() / 1_000_000,
        index.memory_bytes() as f64 / n as f64,
        index.depths()
    );
    for radius in [2.0, 30.0, 1800.0] {
        let queries = if radius > 100.0 { 20_000 } else { 300_000 };
        let (rate, hits) = time_queries(queries, |ra, dec, out| index.within(ra, dec, radius, out));
        println!(
            "  within {radius}\": {rate:.0} queries/s ({:.2} us/query), {hits:.3} hits/query",
            1e6 / rate
        );
    }
}

fn bench_containing(n: usize) {
    let mut rng = Rng(8);
    // Watchlist-like cones: radii from 1" to 30" with a few larger ones.
    let radii = [1.0f32, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 600.0];
    let t = Instant::now();
    let index = PointIndex::build((0..n).map(|i| {
        let (ra, dec) = rng.sky();
        (ra, dec, radii[i % radii.len()])
    }));
    let build = t.elapsed();
    println!(
        "index build {n} cones (radii 1-600\"): {:.2} s, {} MB, depths {:?}",
        build.as_secs_f64(),
        index.memory_bytes() / 1_000_000,
        index.depths()
    );
    let (rate, hits) = time_queries(100_000, |ra, dec, out| index.containing(ra, dec, out));
    println!(
        "  containing: {rate:.0} queries/s ({:.2} us/query), {hits:.3} hits/query",
        1e6 / rate
    );
}

/// Runs `q` random queries; returns (queries per second, matches per query).
fn time_queries(q: usize, mut query: impl FnMut(f64, f64, &mut Vec<(u32, f64)>)) -> (f64, f64) {
    let mut rng = Rng(99);
    let positions: Vec<(f64, f64)> = (0..q).map(|_| rng.sky()).collect();
    let mut out = Vec::new();
    let mut hits = 0usize;
    let t = Instant::now();
    for &(ra, dec) in &positions {
        out.clear();
        query(ra, dec, &mut out);
        hits += out.len();
    }
    let spent = t.elapsed().max(Duration::from_nanos(1));
    (q as f64 / spent.as_secs_f64(), hits as f64 / q as f64)
}

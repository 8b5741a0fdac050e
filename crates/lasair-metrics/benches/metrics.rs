//! What the metrics cost: counting a batch (the stage loop's calls and four timed steps), and
//! a scrape of a registry holding a large cluster's series (1,000 users' filters, 64
//! partitions, 20 API routes), rendered and over HTTP. Prints figures; asserts nothing.
//! Run: cargo bench -p lasair-metrics --bench metrics

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let stage = lasair_metrics::Stage::new("lasair-bench");
    let n = 1_000_000u64;
    let t = Instant::now();
    for i in 0..n {
        let mut steps = lasair_metrics::Steps::new("lasair-bench");
        for step in ["decode", "cutouts", "lightcurves", "produce"] {
            steps.lap(step);
        }
        stage.batch(500, 0.05);
        stage.totals(i * 500, i * 500, i);
    }
    let per = t.elapsed().as_secs_f64() / n as f64;
    println!(
        "counting a batch (4 steps, the batch, the totals): {:.0} ns; {:.0} batches/s on one core",
        per * 1e9,
        1.0 / per
    );

    for f in 0..1000 {
        lasair_metrics::filter_result(&format!("lasair_{f}filter"), 3);
    }
    for p in 0..64 {
        lasair_metrics::consumer_lag("lasair-filter", "ztf_sherlock", p, Some(100));
    }
    for r in 0..20 {
        for status in [200, 400, 404, 500] {
            lasair_metrics::http_request(&format!("/api/route{r}/"), status, 0.01);
        }
    }
    let t = Instant::now();
    let rounds = 200;
    let mut bytes = 0;
    for _ in 0..rounds {
        bytes = lasair_metrics::render().len();
    }
    println!(
        "rendering the registry ({} KB): {:.2} ms",
        bytes / 1024,
        t.elapsed().as_secs_f64() * 1e3 / rounds as f64
    );

    let at = lasair_metrics::listen("127.0.0.1:0", "lasair-bench", "0").expect("listen");
    let mut times = Vec::new();
    let t = Instant::now();
    for _ in 0..1000 {
        let began = Instant::now();
        let mut s = TcpStream::connect(at.addr).expect("connect");
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").expect("send");
        let mut text = Vec::new();
        s.read_to_end(&mut text).expect("read");
        times.push(began.elapsed().as_secs_f64() * 1e3);
    }
    let rate = times.len() as f64 / t.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "scrapes over HTTP: {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

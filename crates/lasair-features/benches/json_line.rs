//! Alert lines read back per second on one core: whole (`LineReader::default`), keeping
//! only the point fields the features read (as lasair-filter reads its batch,
//! `SurveyFeatures::point_fields`), and serde_json's own figures on the same bytes (every
//! value skipped with `IgnoredAny`, and a whole `serde_json::Value`). The lines are
//! `LASAIR_BENCH_LINES` (a file of JSON alert lines, e.g. `lasair-ingest`'s output) or, when
//! unset, the real ZTF alerts of ../shared/data made into lines as lasair-ingest makes them.
//!
//! `cargo bench -p lasair-features --bench json_line`

use std::time::{Duration, Instant};

use lasair_alert::{read_alert_line, AlertJson, Decoder, LineReader, Survey};
use lasair_features::for_survey;
use serde::de::IgnoredAny;

/// The lines to read: the file named, or the real ZTF alerts as ingest writes them.
fn lines() -> Option<(String, Vec<Vec<u8>>)> {
    if let Ok(path) = std::env::var("LASAIR_BENCH_LINES") {
        let text = std::fs::read(&path)
            .map_err(|e| println!("skipped: LASAIR_BENCH_LINES={path}: {e}"))
            .ok()?;
        let lines = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        return Some((path, lines));
    }
    let dir = lasair_testdata::shared_data("ztf/alerts")?;
    let files = lasair_testdata::avro_files(&dir);
    let decoder = Decoder::new(Survey::Ztf, None);
    let lines = files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .flat_map(|bytes| decoder.decode(&bytes))
        .filter_map(Result::ok)
        .map(|a| AlertJson::new(&a, Default::default()).to_line())
        .collect();
    Some(("the real ZTF alerts".into(), lines))
}

/// Reads every line with `read` for about three seconds; prints lines/s, MB/s and µs a line.
fn time(label: &str, lines: &[Vec<u8>], mut read: impl FnMut(&[u8]) -> bool) {
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let (mut n, mut ok, mut total) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        for l in lines {
            ok += usize::from(read(l));
        }
        n += lines.len();
        total += bytes;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  {label:<44} {:>9.0} lines/s {:>7.0} MB/s {:>8.2} µs/line ({} of {} read)",
        n as f64 / secs,
        total as f64 / secs / 1e6,
        1e6 * secs / n as f64,
        ok / (n / lines.len()),
        lines.len()
    );
}

fn main() {
    lasair_alloc::init();
    let Some((source, lines)) = lines() else {
        println!("skipped: no lines to read (LASAIR_BENCH_LINES, or ../shared/data's alerts)");
        return;
    };
    let bytes: usize = lines.iter().map(Vec::len).sum();
    println!(
        "alert lines read back, one core: {} lines of {source}, {:.0} bytes a line; {}",
        lines.len(),
        bytes as f64 / lines.len() as f64,
        lasair_alloc::settings()
    );
    let survey = lines
        .first()
        .and_then(|l| read_alert_line(l).ok())
        .map_or(Survey::Ztf, |l| l.alert.survey);
    let mut reader = LineReader::default();
    time("whole (LineReader::default)", &lines, |l| {
        reader.read(l).is_ok()
    });
    let mut reader = LineReader::keeping_point_fields(for_survey(survey).point_fields());
    time(
        "the point fields features read (lasair-filter)",
        &lines,
        |l| reader.read(l).is_ok(),
    );
    time("serde_json, every value skipped", &lines, |l| {
        serde_json::from_slice::<IgnoredAny>(l).is_ok()
    });
    time("serde_json::Value", &lines, |l| {
        serde_json::from_slice::<serde_json::Value>(l).is_ok()
    });
}

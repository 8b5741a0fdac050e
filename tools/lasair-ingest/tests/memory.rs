//! lasair-ingest's memory stays bounded by one batch with both SQLite stores. SQLite as bundled
//! keeps one page cache for all the connections of a process, counted in pages: beside the
//! lightcurve store's large cache of small pages, the cutout store's 64 KiB pages piled up
//! batch after batch (475 MB over 20 batches in `scripts/bench ingest`) until the store gave
//! them back after each commit.
//!
//! Alone in its file, so no other test's process runs beside the one it watches.

mod common;

use std::time::Duration;

use common::*;
use lasair_alert::Survey;

/// The peak resident memory of a running process, in MiB (Linux's VmHWM).
fn peak_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

#[test]
fn thirty_batches_with_both_sqlite_stores_hold_no_more_than_a_few() {
    if !std::path::Path::new("/proc/self/status").exists() {
        println!("skipped: no /proc to read a process's memory from");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    write_files(&input, &sim(Survey::Ztf, 3000, 400, 5));
    let sqlite = |name: &str| format!("sqlite:{}", tmp.path().join(name).display());
    let mut child = ingest_bin()
        .args([
            "--survey",
            "ztf",
            "--threads",
            "1",
            "--batch",
            "100",
            "--quiet",
        ])
        .args([
            "--lightcurves",
            &sqlite("lc.db"),
            "--cutouts",
            &sqlite("cutouts.db"),
        ])
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run lasair-ingest");
    // VmHWM only rises: its last reading before the process ends is (almost) its peak.
    let mut peak = 0.0_f64;
    let status = loop {
        if let Some(mib) = peak_mib(child.id()) {
            peak = peak.max(mib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success(), "{status}");
    println!("peak resident memory {peak:.0} MiB");
    // 52 MiB in a debug build here; 113 MiB when the cutout pages were kept.
    assert!(
        peak > 0.0 && peak < 80.0,
        "peak resident memory {peak:.0} MiB"
    );
}

//! Test support: the real public data (alerts, schemas, catalogues) lives outside the
//! repository in `../shared/data`; tests that use it skip, saying so, where it is absent.

pub mod brokers;

use std::path::PathBuf;

pub mod skymaps;
pub mod webhook;

/// `../shared/data/<rel>` beside the workspace, or `None` after printing a `skipped:` line
/// naming what was looked for (a fresh clone has no `../shared`).
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} not found (the shared real data lives outside the repo)",
            path.display()
        );
        None
    }
}

/// Every `.avro` file below `dir` (its subfolders too), in path order; none when `dir` cannot
/// be read.
pub fn avro_files(dir: &std::path::Path) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "avro") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// A small seeded generator (SplitMix64) for tests and benchmarks: the same synthetic sky on
/// every run, with no dependency.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A position uniform on the sphere (degrees).
    pub fn sky(&mut self) -> (f64, f64) {
        let ra = 360.0 * self.unit();
        (ra, (2.0 * self.unit() - 1.0).asin().to_degrees())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generator_repeats_and_stays_in_range() {
        let (mut a, mut b) = (super::Rng(7), super::Rng(7));
        for _ in 0..1000 {
            let (u, v) = (a.unit(), b.unit());
            assert_eq!(u, v);
            assert!((0.0..1.0).contains(&u));
            let (ra, dec) = a.sky();
            b.sky();
            assert!((0.0..360.0).contains(&ra) && (-90.0..=90.0).contains(&dec));
        }
    }

    #[test]
    fn a_missing_path_is_none() {
        assert_eq!(super::shared_data("no/such/file/anywhere"), None);
    }
}

//! The catalogue store at scale: a synthetic all-sky set (80% galaxies, uniform outside a
//! zone of avoidance along the galactic plane; 20% stars crowding the plane), loaded from CSV,
//! indexed, and cone-searched at 2" and 30" on one core and on all cores, with the memory.
//! `LASAIR_BENCH_SOURCES=10000000 cargo bench -p lasair-context --bench catalogue`
//! (default 10^7; scale down for a quick run).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use lasair_context::catalogue::{
    CatalogueKind, CatalogueStore, ConeSearch, Format, LoadSpec, Searcher,
};
use rayon::prelude::*;

use lasair_testdata::Rng;

fn write_galaxies(path: &Path, n: usize) -> std::io::Result<()> {
    let mut rng = Rng(11);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "id,ra,dec,z,distance_mpc,major_axis_arcsec,mag")?;
    let mut written = 0;
    while written < n {
        let (ra, dec) = rng.sky();
        // A zone of avoidance: few galaxies are catalogued within ~10 deg of the plane.
        let (_, b) = lasair_sky::galactic(ra, dec);
        if b.abs() < 10.0 && rng.unit() < 0.8 {
            continue;
        }
        let z = 0.002 + 0.3 * rng.unit() * rng.unit();
        let size = 2.0 + 30.0 * rng.unit().powi(3);
        let mag = 14.0 + 8.0 * rng.unit();
        writeln!(
            out,
            "G{written},{ra:.7},{dec:.7},{z:.5},{:.1},{size:.2},{mag:.2}",
            z * 4300.0
        )?;
        written += 1;
    }
    out.flush()
}

fn write_stars(path: &Path, n: usize) -> std::io::Result<()> {
    let mut rng = Rng(12);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "id,ra,dec,mag,type")?;
    for i in 0..n {
        // Galactic latitude from a Laplace law of scale 8 deg: most stars near the plane.
        let sign = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        let b = (sign * -8.0 * (1.0 - rng.unit()).ln()).clamp(-90.0, 90.0);
        let (ra, dec) = lasair_sky::equatorial(360.0 * rng.unit(), b);
        let mag = 10.0 + 10.0 * rng.unit();
        writeln!(out, "S{i},{ra:.7},{dec:.7},{mag:.2},*")?;
    }
    out.flush()
}

/// This process's memory from /proc/self/status, MB.
struct Memory {
    /// Resident, all of it.
    rss: u64,
    /// Resident anonymous memory (the heap): what the process itself holds.
    anon: u64,
    /// Resident pages of mapped files (the store's memory map): shared and reclaimable.
    file: u64,
    /// The peak resident size.
    peak: u64,
}

fn memory() -> Memory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    Memory {
        rss: field("VmRSS:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
        peak: field("VmHWM:"),
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {} MB (heap {} MB, mapped store {} MB), peak {} MB",
            self.rss, self.anon, self.file, self.peak
        )
    }
}

fn main() -> anyhow::Result<()> {
    let total: usize = std::env::var("LASAIR_BENCH_SOURCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let (n_gal, n_star) = (total * 4 / 5, total - total * 4 / 5);
    let dir = tempfile::tempdir()?;
    let (galaxies, stars) = (
        dir.path().join("galaxies.csv"),
        dir.path().join("stars.csv"),
    );
    let t = Instant::now();
    write_galaxies(&galaxies, n_gal)?;
    write_stars(&stars, n_star)?;
    println!(
        "catalogue files: {n_gal} galaxies + {n_star} stars written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let db = dir.path().join("catalogues.db");
    let mut store = CatalogueStore::open(&db)?;
    let mut gal = LoadSpec::new(CatalogueKind::Galaxy, Format::Csv, "ra", "dec");
    gal.id = Some("id".into());
    gal.z = Some("z".into());
    gal.distance_mpc = Some("distance_mpc".into());
    gal.major_axis = Some("major_axis_arcsec".into());
    gal.mag = Some("mag".into());
    gal.mag_band = Some("r".into());
    let mut star = LoadSpec::new(CatalogueKind::Star, Format::Csv, "ra", "dec");
    star.id = Some("id".into());
    star.mag = Some("mag".into());
    star.object_type = Some("type".into());
    for (name, file, spec) in [("galaxies", &galaxies, &gal), ("stars", &stars, &star)] {
        let t = Instant::now();
        let report = store.add(name, file, spec, false)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "load {name}: {} rows in {s:.1} s ({:.0} rows/s), {} bad",
            report.rows,
            report.rows as f64 / s,
            report.bad
        );
    }
    std::fs::remove_file(&galaxies)?;
    std::fs::remove_file(&stars)?;
    let file_mb = std::fs::metadata(&db)?.len() / 1_000_000;
    println!("store file: {file_mb} MB");

    println!("before the searcher: {}", memory());
    let t = Instant::now();
    let searcher = Searcher::open(&store)?;
    println!(
        "searcher open (index {total} sources): {:.1} s, index {} MB; {}",
        t.elapsed().as_secs_f64(),
        searcher.index_bytes() / 1_000_000,
        memory()
    );

    let mut rng = Rng(99);
    let random: Vec<(f64, f64)> = (0..200_000).map(|_| rng.sky()).collect();
    for radius in [2.0, 30.0] {
        let one = |&(ra, dec): &(f64, f64)| -> usize {
            ["galaxies", "stars"]
                .iter()
                .map(|c| searcher.cone(c, ra, dec, radius).map_or(0, |m| m.len()))
                .sum()
        };
        let t = Instant::now();
        let hits: usize = random.iter().map(one).sum();
        let single = rate(random.len(), t.elapsed());
        let t = Instant::now();
        let _: usize = random.par_iter().map(one).sum();
        let all = rate(random.len(), t.elapsed());
        println!(
            "cone {radius}\" (both catalogues): {single:.0} positions/s on one core ({:.2} us), \
             {all:.0}/s on {} threads, {:.4} matches/position",
            1e6 / single,
            rayon::current_num_threads(),
            hits as f64 / random.len() as f64
        );
    }

    // Positions on catalogued galaxies: every search reads one row's attributes from SQLite.
    let mut on_sources = Vec::new();
    let mut rng = Rng(5);
    while on_sources.len() < 20_000 {
        let (ra, dec) = rng.sky();
        if let Some(m) = searcher.cone("galaxies", ra, dec, 300.0)?.first() {
            on_sources.push((m.source.ra, m.source.dec));
        }
    }
    let t = Instant::now();
    let mut matched = 0;
    for &(ra, dec) in &on_sources {
        matched += searcher.cone_rows("galaxies", ra, dec, 2.0)?.len();
    }
    let index_only = rate(on_sources.len(), t.elapsed());
    let t = Instant::now();
    for &(ra, dec) in &on_sources {
        searcher.cone("galaxies", ra, dec, 2.0)?;
    }
    let with_rows = rate(on_sources.len(), t.elapsed());
    println!(
        "cone 2\" on a galaxy ({:.2} matches each): {index_only:.0}/s index only, \
         {with_rows:.0}/s with attributes read from SQLite ({:.2} us a match)",
        matched as f64 / on_sources.len() as f64,
        (1e6 / with_rows - 1e6 / index_only) * on_sources.len() as f64 / matched.max(1) as f64
    );
    println!("at the end: {}", memory());
    Ok(())
}

fn rate(n: usize, spent: Duration) -> f64 {
    n as f64 / spent.as_secs_f64().max(1e-9)
}

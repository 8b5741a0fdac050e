//! Benchmark of gravitational-wave sky maps on one core: each real map of ../shared/data read
//! (FITS, the flat one gunzipped and made multi-order), its 10/50/90% regions and MOCs made,
//! the 90% region stored and read back (what lasair-filter reads once per map), then a
//! million random positions near the map located in the 90% region (what lasair-filter asks
//! per alert and map) and in the whole map. Run with `cargo bench -p lasair-sky --bench skymap`.

use std::time::{Duration, Instant};

use lasair_sky::skymap::Skymap;
use lasair_testdata::Rng;

const MAPS: [&str; 3] = [
    "skymaps/S200129m_bayestar.multiorder.fits",
    "skymaps/MS181101ab_mock_map.fits",
    "skymaps/GW190814_LALInference.v1.fits.gz",
];
const POSITIONS: usize = 1_000_000;

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    for name in MAPS {
        let Some(path) = lasair_testdata::shared_data(name) else {
            continue;
        };
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        let map = Skymap::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        let read = t.elapsed();
        let t = Instant::now();
        let regions = [0.1, 0.5, 0.9].map(|l| map.credible(l));
        let mocs: Vec<Vec<u8>> = regions.iter().map(|r| r.area(name).to_fits()).collect();
        let summarise = t.elapsed();
        let t = Instant::now();
        let stored = regions[2].to_bytes();
        let back = lasair_sky::skymap::Credible::from_bytes(&stored, name).expect("stored");
        let store = t.elapsed();
        println!(
            "== {name}: {:.1} MB file, {} pixels ({} in 90%), peak RSS {:.0} MiB",
            bytes as f64 / 1e6,
            map.all().pixels().len(),
            back.pixels().len(),
            peak_mib()
        );
        println!(
            "read {:.1} ms; regions + MOCs {:.2} ms ({} B of MOCs); 90% region stored {} B, stored and read back {:.2} ms",
            ms(read),
            ms(summarise),
            mocs.iter().map(Vec::len).sum::<usize>(),
            stored.len(),
            ms(store)
        );
        // Positions in a 20-degree cap around the most probable place, so that many fall in.
        let (ra0, dec0) = map.max_location().expect("a place");
        let mut rng = Rng(7);
        let positions: Vec<(f64, f64)> = (0..POSITIONS)
            .map(|_| {
                let dec = (dec0 + rng.range(-20.0, 20.0)).clamp(-90.0, 90.0);
                let ra = (ra0 + rng.range(-20.0, 20.0) / dec.to_radians().cos().max(0.05))
                    .rem_euclid(360.0);
                (ra, dec)
            })
            .collect();
        for (what, region) in [("90% region", &back), ("whole map", map.all())] {
            let t = Instant::now();
            let found = positions
                .iter()
                .filter_map(|&(ra, dec)| region.locate(ra, dec))
                .map(|l| l.density3(100.0).unwrap_or(0.0).min(1.0))
                .filter(|d| *d >= 0.0)
                .count();
            let d = t.elapsed();
            println!(
                "locate in the {what}: {:.1} M positions/s ({:.0} ns each), {found} of {POSITIONS} inside",
                POSITIONS as f64 / d.as_secs_f64() / 1e6,
                d.as_secs_f64() * 1e9 / POSITIONS as f64
            );
        }
    }
}

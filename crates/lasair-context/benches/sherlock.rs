//! Sherlock's throughput on one core: alerts classified per second against a synthetic
//! all-sky catalogue set of realistic densities (10 million sources by default; set
//! LASAIR_BENCH_SOURCES to scale it), cold (every position new) and cached (every position
//! seen before), with the memory used.
//!
//!     cargo bench -p lasair-context --bench sherlock
//!
//! LASAIR_BENCH_BACKEND chooses what answers the cone searches: `store` (the catalogue
//! store: synthetic CSV files loaded into a SQLite store in a temporary folder, searched by
//! its in-memory index), `memory` (lasair-context's zone index, attributes held in memory),
//! or `both` (the default). LASAIR_BENCH_ALERTS sets the number of alerts (200,000).

use std::sync::Arc;
use std::time::Instant;

use lasair_context::catalogue::{
    CatalogueError, CatalogueKind, CatalogueStore, ConeSearch, Format, LoadSpec, Match, Searcher,
    Source,
};
use lasair_context::memory::ZoneIndex;
use lasair_context::{Cache, Classifier, SearchConfig, Stage};

/// The catalogues of the default search configuration, with their share of the sources
/// (roughly their real sizes: GLADE+ 22M galaxies, Milliquas 1M, SPICY 117k, GCVS 59k...).
const CATALOGUES: [(&str, CatalogueKind, f64); 9] = [
    ("glade", CatalogueKind::Galaxy, 0.8264),
    ("milliquas", CatalogueKind::Agn, 0.10),
    ("clu", CatalogueKind::Galaxy, 0.027),
    ("veron", CatalogueKind::Agn, 0.017),
    ("spicy", CatalogueKind::Yso, 0.012),
    ("ned_d", CatalogueKind::Galaxy, 0.010),
    ("gcvs", CatalogueKind::Variable, 0.006),
    ("bsc5", CatalogueKind::Star, 0.0009),
    ("fermi_4fgl", CatalogueKind::HighEnergy, 0.0007),
];

use lasair_testdata::Rng;

/// One synthetic catalogue: positions indexed, a redshift and magnitude per source.
struct Synthetic {
    name: Arc<str>,
    kind: CatalogueKind,
    index: ZoneIndex,
    positions: Vec<(f64, f64)>,
    z: Vec<f32>,
    mag: Vec<f32>,
}

struct SyntheticSet(Vec<Synthetic>);

impl SyntheticSet {
    fn generate(total: usize) -> SyntheticSet {
        let mut rng = Rng(42);
        let cats = CATALOGUES
            .iter()
            .map(|&(name, kind, share)| {
                let n = ((total as f64 * share) as usize).max(100);
                let positions: Vec<(f64, f64)> = (0..n).map(|_| rng.sky()).collect();
                let galactic = matches!(kind, CatalogueKind::Galaxy | CatalogueKind::Agn);
                let z = (0..n)
                    .map(|_| {
                        if galactic {
                            0.005 + 0.2 * rng.unit() as f32
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let mag = (0..n).map(|_| 4.0 + 16.0 * rng.unit() as f32).collect();
                Synthetic {
                    name: Arc::from(name),
                    kind,
                    index: ZoneIndex::new(&positions, 0.05),
                    positions,
                    z,
                    mag,
                }
            })
            .collect();
        SyntheticSet(cats)
    }

    fn sources(&self) -> usize {
        self.0.iter().map(|c| c.positions.len()).sum()
    }
}

impl ConeSearch for SyntheticSet {
    fn cone(
        &self,
        catalogue: &str,
        ra: f64,
        dec: f64,
        r: f64,
    ) -> Result<Vec<Match>, CatalogueError> {
        let c = self
            .0
            .iter()
            .find(|c| &*c.name == catalogue)
            .ok_or_else(|| CatalogueError::Unknown(catalogue.to_owned()))?;
        let mut out = Vec::new();
        c.index.cone(ra, dec, r, |row, sep| {
            let i = row as usize;
            let (sra, sdec) = c.positions[i];
            out.push(Match {
                source: Source {
                    catalogue: c.name.clone(),
                    kind: c.kind,
                    id: format!("{}-{row}", c.name),
                    ra: sra,
                    dec: sdec,
                    object_type: None,
                    z: (c.z[i] > 0.0).then_some(f64::from(c.z[i])),
                    photo_z: None,
                    photo_z_err: None,
                    distance_mpc: None,
                    major_axis_arcsec: None,
                    mag: Some(f64::from(c.mag[i])),
                    mag_filter: Some("V".into()),
                    mag_err: None,
                },
                separation_arcsec: sep,
            })
        });
        out.sort_by(|a, b| a.separation_arcsec.total_cmp(&b.separation_arcsec));
        Ok(out)
    }

    fn catalogues(&self) -> Vec<(String, CatalogueKind)> {
        self.0
            .iter()
            .map(|c| (c.name.to_string(), c.kind))
            .collect()
    }

    fn fingerprint(&self) -> String {
        format!("synthetic {}", self.sources())
    }
}

/// VmRSS and VmHWM (peak) of this process, MB.
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The synthetic catalogues written as CSV files and loaded into a catalogue store.
fn load_store(set: &SyntheticSet, dir: &std::path::Path) -> Arc<dyn ConeSearch> {
    use std::io::Write;
    let mut store = CatalogueStore::open(&dir.join("catalogues.db")).expect("store");
    for c in &set.0 {
        let path = dir.join(format!("{}.csv", c.name));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
        writeln!(f, "ra,dec,z,mag").expect("write");
        for (i, (ra, dec)) in c.positions.iter().enumerate() {
            let z = if c.z[i] > 0.0 {
                c.z[i].to_string()
            } else {
                String::new()
            };
            writeln!(f, "{ra},{dec},{z},{}", c.mag[i]).expect("write");
        }
        f.flush().expect("flush");
        drop(f);
        let mut spec = LoadSpec::new(c.kind, Format::Csv, "ra", "dec");
        spec.z = Some("z".into());
        spec.mag = Some("mag".into());
        spec.mag_band = Some("V".into());
        store.add(&c.name, &path, &spec, false).expect("load");
        std::fs::remove_file(&path).expect("remove csv");
    }
    Arc::new(Searcher::open(&store).expect("searcher"))
}

/// Alert lines: a third on or near catalogued sources (within 3"), the rest anywhere.
fn alert_lines(set: &SyntheticSet, alerts: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(7);
    (0..alerts)
        .map(|i| {
            let (ra, dec) = if i % 3 == 0 {
                let c = &set.0[i % set.0.len()];
                let (ra, dec) = c.positions[(rng.next_u64() % c.positions.len() as u64) as usize];
                let off = 3.0 / 3600.0 * rng.unit();
                (
                    (ra + off).rem_euclid(360.0),
                    (dec + off * 0.5).clamp(-90.0, 90.0),
                )
            } else {
                rng.sky()
            };
            format!(r#"{{"survey":"ztf","objectId":"ZTFbench{i}","ra":{ra},"dec":{dec}}}"#)
                .into_bytes()
        })
        .collect()
}

/// Classifies every line cold (empty cache), then again (every answer cached), on this thread.
fn measure(backend: &str, searcher: Arc<dyn ConeSearch>, lines: &[Vec<u8>], sources: usize) {
    let classifier = Arc::new(Classifier::new(SearchConfig::default_config(), searcher));
    let stage = Stage::new(classifier, Arc::new(Cache::memory()));
    let alerts = lines.len();
    for name in ["cold (uncached)", "cached"] {
        let t = Instant::now();
        let mut bytes = 0;
        for line in lines {
            bytes += stage
                .annotate(line)
                .expect("search")
                .expect("good line")
                .1
                .len();
        }
        let secs = t.elapsed().as_secs_f64();
        let (rss, peak) = memory_mb();
        println!(
            "sherlock [{backend}, {sources} sources] {name}: {alerts} alerts in {secs:.2}s = {:.0} alerts/s on one core ({} MB out); RSS {rss:.0} MB, peak {peak:.0} MB",
            alerts as f64 / secs,
            bytes / 1_000_000
        );
    }
    let mut labels = std::collections::BTreeMap::<String, usize>::new();
    for line in lines {
        let out = stage.annotate(line).expect("search").expect("good line").1;
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        let label = v["sherlock"]["classification"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        *labels.entry(label).or_default() += 1;
    }
    println!("sherlock [{backend}] classifications: {labels:?}");
}

/// The real ZTF alerts of ../shared/data as lasair-ingest writes them (10-40 KB lines with
/// their lightcurves), repeated to `alerts` lines, if the data is there.
fn real_alert_lines(alerts: usize) -> Option<Vec<Vec<u8>>> {
    let dir = lasair_testdata::shared_data("ztf/alerts/ztf_public_20181129")?;
    let decoder = lasair_alert::Decoder::new(lasair_alert::Survey::Ztf, None);
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let bytes = std::fs::read(entry.ok()?.path()).ok()?;
        for alert in decoder.decode(&bytes).into_iter().flatten() {
            let cutouts = std::collections::BTreeMap::new();
            lines.push(lasair_alert::AlertJson::new(&alert, cutouts).to_line());
        }
    }
    let real = lines.len();
    Some(lines.into_iter().cycle().take(alerts.max(real)).collect())
}

/// Parsing and splicing real alert lines: cold once per distinct position, then cached.
fn measure_real_lines(searcher: Arc<dyn ConeSearch>, alerts: usize) {
    let Some(lines) = real_alert_lines(alerts) else {
        return;
    };
    let classifier = Arc::new(Classifier::new(SearchConfig::default_config(), searcher));
    let stage = Stage::new(classifier, Arc::new(Cache::memory()));
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let t = Instant::now();
    for line in &lines {
        std::hint::black_box(stage.annotate(line).expect("search").expect("good line"));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "sherlock real ZTF alert lines ({} distinct, {:.1} KB average), mostly cached: {:.0} alerts/s on one core, {:.0} MB/s",
        stage.cache.len(),
        bytes as f64 / lines.len() as f64 / 1000.0,
        lines.len() as f64 / secs,
        bytes as f64 / secs / 1e6
    );
}

fn main() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let total = env("LASAIR_BENCH_SOURCES", 10_000_000);
    let alerts = env("LASAIR_BENCH_ALERTS", 200_000);
    let backend = std::env::var("LASAIR_BENCH_BACKEND").unwrap_or_else(|_| "both".into());
    let (rss0, _) = memory_mb();
    let t = Instant::now();
    let set = SyntheticSet::generate(total);
    let (rss1, _) = memory_mb();
    eprintln!(
        "catalogues: {} sources in {} catalogues, generated and zone-indexed in {:.1}s, {:.0} MB",
        set.sources(),
        set.0.len(),
        t.elapsed().as_secs_f64(),
        rss1 - rss0
    );
    let lines = alert_lines(&set, alerts);
    let sources = set.sources();
    let set = Arc::new(set);
    if backend == "memory" || backend == "both" {
        measure("memory", set.clone(), &lines, sources);
        measure_real_lines(set.clone(), alerts);
    }
    if backend == "store" || backend == "both" {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        let (before, _) = memory_mb();
        let searcher = load_store(&set, dir.path());
        let (after, _) = memory_mb();
        // The generated catalogues are in the store now: free them so RSS is the store's.
        drop(set);
        eprintln!(
            "store: loaded and indexed in {:.1}s, searcher {:.0} MB",
            t.elapsed().as_secs_f64(),
            after - before
        );
        measure("store", searcher, &lines, sources);
    }
}

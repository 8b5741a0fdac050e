//! Fills the SQLite lightcurve store `scripts/bench mine` mines: simulated ZTF alerts decoded
//! and stored as lasair-ingest stores them, without writing the alerts to files first (a
//! million alert files would take gigabytes), and the objects' ids, one a line.
//!
//! `cargo run --release -p lasair-mine --example bench_store -- STORE.db IDS.txt ALERTS OBJECTS SEED`

use std::collections::BTreeSet;
use std::io::Write;

use lasair_alert::{Decoder, Survey};
use lasair_simulator::{simulate, SimConfig};
use lasair_store::lightcurve::SqliteLightcurves;
use lasair_store::LightcurveStore;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, ids, alerts, objects, seed] = args.as_slice() else {
        anyhow::bail!("usage: bench_store STORE.db IDS.txt ALERTS OBJECTS SEED");
    };
    let mut store = SqliteLightcurves::open(store)?;
    let decoder = Decoder::new(Survey::Ztf, None);
    let sim = simulate(&SimConfig {
        survey: Survey::Ztf,
        alerts: alerts.parse()?,
        objects: objects.parse()?,
        seed: seed.parse()?,
        cutouts: false,
        ..SimConfig::default()
    });
    let mut names = BTreeSet::new();
    let mut batch = Vec::with_capacity(10_000);
    for a in sim {
        for alert in decoder.decode(&a.payload) {
            let alert = alert?;
            names.insert(alert.object_id.0.clone());
            batch.push(alert);
        }
        if batch.len() >= 10_000 {
            store.upsert(&batch)?;
            batch.clear();
        }
    }
    store.upsert(&batch)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(ids)?);
    for name in &names {
        writeln!(out, "{name}")?;
    }
    out.flush()?;
    eprintln!("{} objects, {} points", names.len(), store.count()?);
    Ok(())
}

//! How fast alerts are generated: `cargo bench -p lasair-simulator` (LASAIR_SIM_BENCH_ALERTS sets
//! the count, 20000 by default). Prints alerts per second and MB per second per survey.

use std::time::Instant;

use lasair_alert::Survey;
use lasair_simulator::{SimConfig, Simulation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let alerts = std::env::var("LASAIR_SIM_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for survey in Survey::ALL {
        for cutouts in [true, false] {
            let cfg = SimConfig {
                survey,
                alerts,
                objects: alerts / 10,
                seed: 1,
                cutouts,
                ..SimConfig::default()
            };
            let started = Instant::now();
            let sim = Simulation::new(&cfg)?;
            let built = started.elapsed().as_secs_f64();
            let mut bytes = 0usize;
            for alert in sim {
                bytes += alert?.payload.len();
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{survey} cutouts={cutouts}: {alerts} alerts in {seconds:.2} s (population {built:.2} s), {:.0} alerts/s, {:.0} MB/s",
                alerts as f64 / seconds,
                bytes as f64 / 1e6 / seconds
            );
        }
    }
    Ok(())
}

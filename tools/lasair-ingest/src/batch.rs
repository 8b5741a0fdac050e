//! One batch through the stages: decode (parallel); cutouts (one write of the batch through
//! the cutout store, parallel where the store is, then made durable) and, at the same time,
//! lightcurves (one transaction); JSON (parallel) to the sink, flushed.

use lasair_alert::{Alert, AlertJson, Decoder};
use lasair_cli::Counts;
use lasair_store::cutouts::Placed;
use lasair_store::{CutoutError, Cutouts, LightcurveStore, StoreError};
use lasair_stream::{Message, Sink, StreamError};
use rayon::prelude::*;
use thiserror::Error;

/// A failure that stops the run: the batch is not committed, so it will be read again.
#[derive(Debug, Error)]
pub enum StageError {
    #[error(transparent)]
    Cutouts(#[from] CutoutError),
    #[error(transparent)]
    Lightcurves(#[from] StoreError),
    #[error(transparent)]
    Output(#[from] StreamError),
}

impl lasair_stream::BatchError for StageError {
    /// The reader of our output went away (`| head`): end quietly, as Unix tools do.
    fn is_broken_pipe(&self) -> bool {
        matches!(self, StageError::Output(e) if e.is_broken_pipe())
    }
}

/// The stages of the ingest and what they write to.
pub struct Stages {
    pub decoder: Decoder,
    pub cutouts: Option<Box<dyn Cutouts>>,
    pub lightcurves: Option<Box<dyn LightcurveStore>>,
    pub pool: rayon::ThreadPool,
}

impl Stages {
    /// Processes one batch of messages and returns how many alerts it held. Bad messages are
    /// reported on stderr with where they came from, counted, and skipped.
    pub fn process(
        &mut self,
        messages: &[Message],
        sink: &mut dyn Sink,
        counts: &Counts,
    ) -> Result<u64, StageError> {
        let mut steps = lasair_metrics::Steps::new("lasair-ingest");
        let decoder = &self.decoder;
        let decoded: Vec<_> = self.pool.install(|| {
            messages
                .par_iter()
                .map(|m| decoder.decode(&m.payload))
                .collect()
        });
        let mut alerts = Vec::with_capacity(messages.len());
        for (message, results) in messages.iter().zip(decoded) {
            for result in results {
                match result {
                    Ok(alert) => alerts.push(alert),
                    Err(e) => {
                        counts.add_bad(1);
                        eprintln!("lasair-ingest: bad alert in {}: {e}", message.origin);
                    }
                }
            }
        }
        steps.lap("decode");
        let paths = self.write_stores(&alerts)?;
        steps.lap("lightcurves");
        let lines: Vec<_> = self.pool.install(|| {
            alerts
                .par_iter()
                .zip(paths)
                .map(|(alert, paths)| AlertJson::new(alert, paths).to_line())
                .collect()
        });
        for (alert, line) in alerts.iter().zip(&lines) {
            sink.send(Some(alert.object_id.0.as_bytes()), line)?;
        }
        sink.flush()?;
        steps.lap("produce");
        counts.add_written(lines.len() as u64);
        Ok(alerts.len() as u64)
    }

    /// Writes the batch to both stores at once, each durable when this returns: the cutouts on
    /// a thread of their own, so that one store's writes and syncs overlap the other's (on one
    /// core too, where a store waiting for its disk leaves the core idle). The step
    /// `cutouts` is the cutouts' own time; `lightcurves` lasts until both are done.
    fn write_stores(&mut self, alerts: &[Alert]) -> Result<Vec<Placed>, StageError> {
        let Stages {
            cutouts,
            lightcurves,
            pool,
            ..
        } = self;
        let Some(lightcurves) = lightcurves.as_mut() else {
            return write_cutouts(cutouts.as_deref(), pool, alerts);
        };
        if cutouts.is_none() {
            lightcurves.upsert(alerts)?;
            return write_cutouts(None, pool, alerts);
        }
        let (placed, upserted) = std::thread::scope(|scope| {
            let placed = scope.spawn(|| write_cutouts(cutouts.as_deref(), pool, alerts));
            let upserted = lightcurves.upsert(alerts);
            let placed = placed
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (placed, upserted)
        });
        upserted?;
        placed
    }
}

/// Writes every alert's cutouts (on the pool, for a store that writes in parallel), then makes
/// them durable once; with no store, says that no cutout went anywhere.
fn write_cutouts(
    store: Option<&dyn Cutouts>,
    pool: &rayon::ThreadPool,
    alerts: &[Alert],
) -> Result<Vec<Placed>, StageError> {
    let began = std::time::Instant::now();
    let placed = match store {
        Some(store) => {
            let placed = pool.install(|| store.write_batch(alerts))?;
            store.sync()?;
            placed
        }
        None => vec![Placed::new(); alerts.len()],
    };
    lasair_metrics::step("lasair-ingest", "cutouts", began.elapsed().as_secs_f64());
    Ok(placed)
}

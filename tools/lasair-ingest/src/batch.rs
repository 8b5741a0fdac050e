//! One batch through the stages: decode (parallel); then at the same time cutouts (one write
//! of the batch through the cutout store, parallel where the store is, then made durable),
//! lightcurves (one transaction) and JSON (parallel); the lines to the sink, flushed. With no
//! store, each alert becomes its line as it is decoded.

use lasair_alert::{Alert, AlertError, AlertJson, Decoder};
use lasair_cli::Counts;
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
        if self.cutouts.is_none() && self.lightcurves.is_none() {
            // Nothing to store: each alert becomes its line as soon as it is decoded, and is
            // dropped, so the batch holds its lines and not its alerts (a tenth of the
            // memory), and the line is written from what is still in the cache.
            let made = self.pool.install(|| {
                messages
                    .par_iter()
                    .map(|m| {
                        let alerts = decoder.decode_shared(&m.payload);
                        let lines = alerts.into_iter().map(|alert| {
                            alert.map(|a| {
                                let line = line_of(&a, None);
                                (a.object_id.0, line)
                            })
                        });
                        lines.collect()
                    })
                    .collect()
            });
            let lines = sorted_out(messages, made, counts);
            steps.lap("decode");
            record_cutouts(0.0);
            steps.lap("lightcurves");
            for (key, line) in &lines {
                sink.send(Some(key.as_bytes()), line)?;
            }
            return self.produced(sink, steps, counts, lines.len());
        }
        let decoded = self.pool.install(|| {
            messages
                .par_iter()
                .map(|m| decoder.decode_shared(&m.payload))
                .collect()
        });
        let alerts = sorted_out(messages, decoded, counts);
        steps.lap("decode");
        let lines = self.store_and_write_lines(&alerts)?;
        steps.lap("lightcurves");
        for (alert, line) in alerts.iter().zip(&lines) {
            sink.send(Some(alert.object_id.0.as_bytes()), line)?;
        }
        self.produced(sink, steps, counts, lines.len())
    }

    /// The batch's lines sent: flushes the sink and counts them.
    fn produced(
        &self,
        sink: &mut dyn Sink,
        mut steps: lasair_metrics::Steps,
        counts: &Counts,
        lines: usize,
    ) -> Result<u64, StageError> {
        sink.flush()?;
        steps.lap("produce");
        counts.add_written(lines as u64);
        Ok(lines as u64)
    }

    /// Writes the batch to the stores (one at least), each durable when this returns, and
    /// makes the JSON lines, all at once: the cutouts and the lines on threads of their own
    /// beside the lightcurves, so that a store waiting for its disk leaves the core to the
    /// others' work (on one core too). A line says where its cutouts go
    /// ([`Cutouts::places`]); it is sent only after the stores are durable. The step
    /// `cutouts` is the cutouts' own time; `lightcurves` lasts until all three are done.
    fn store_and_write_lines(&mut self, alerts: &[Alert]) -> Result<Vec<Vec<u8>>, StageError> {
        let Stages {
            cutouts,
            lightcurves,
            pool,
            ..
        } = self;
        let cutouts = cutouts.as_deref();
        let pool = &*pool;
        let lines = || {
            pool.install(|| {
                alerts
                    .par_iter()
                    .map(|alert| line_of(alert, cutouts))
                    .collect::<Vec<_>>()
            })
        };
        std::thread::scope(|scope| {
            let written = scope.spawn(|| write_cutouts(cutouts, pool, alerts));
            let lines = scope.spawn(lines);
            let upserted = match lightcurves.as_mut() {
                Some(store) => store.upsert(alerts),
                None => Ok(()),
            };
            let written = joined(written);
            let lines = joined(lines);
            written?;
            upserted?;
            Ok(lines)
        })
    }
}

/// What each message decoded to, in order: the bad alerts reported on stderr with the message
/// they came in and counted, the good ones kept.
fn sorted_out<T>(
    messages: &[Message],
    decoded: Vec<Vec<Result<T, AlertError>>>,
    counts: &Counts,
) -> Vec<T> {
    let mut good = Vec::with_capacity(messages.len());
    for (message, results) in messages.iter().zip(decoded) {
        for result in results {
            match result {
                Ok(t) => good.push(t),
                Err(e) => {
                    counts.add_bad(1);
                    eprintln!("lasair-ingest: bad alert in {}: {e}", message.origin);
                }
            }
        }
    }
    good
}

/// An alert's JSON line, naming where its cutouts go when there is a cutout store.
fn line_of(alert: &Alert, cutouts: Option<&dyn Cutouts>) -> Vec<u8> {
    let places = cutouts.map(|c| c.places(alert)).unwrap_or_default();
    AlertJson::new(alert, places).to_line()
}

/// What a scoped thread returned; its panic, if it panicked, goes on.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The cutout step's time, observed for every batch (0 with no cutout store).
fn record_cutouts(seconds: f64) {
    lasair_metrics::step("lasair-ingest", "cutouts", seconds);
}

/// Writes every alert's cutouts (on the pool, for a store that writes in parallel), then makes
/// them durable once.
fn write_cutouts(
    store: Option<&dyn Cutouts>,
    pool: &rayon::ThreadPool,
    alerts: &[Alert],
) -> Result<(), StageError> {
    let began = std::time::Instant::now();
    if let Some(store) = store {
        pool.install(|| store.write_batch(alerts))?;
        store.sync()?;
    }
    record_cutouts(began.elapsed().as_secs_f64());
    Ok(())
}

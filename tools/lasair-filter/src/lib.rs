//! `lasair-filter`: alerts with their Sherlock context in; per batch, the objects' features,
//! watchlist, watchmap and gravitational-wave map hits, every active user filter run on the batch tables with its
//! results sent out (topics, email digests), then the batch upserted into the main database,
//! and only then the input offsets committed: a crash anywhere loses nothing, and a replay
//! leaves the main database as it was. With `--annotations`, the annotation stream in and the
//! filters triggered by annotations run on the main database (`annotations`).

mod annotations;
mod args;
mod batch;
mod filters;
mod manage;
mod results;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use lasair_alert::time::{mjd_now, utc_string};
use lasair_alert::Survey;
use lasair_cli::{Counts, Outcome};
use lasair_db::Db;
use lasair_mail::{Digests, Mailer};
use lasair_service::mma::active::{ActiveMap, ActiveMaps};
use lasair_service::sky::Sky;
use lasair_sky::DustMap;
use lasair_sql::catalog::Catalog;
use lasair_sql::Limits;
use lasair_stream::{open_topics, run_stage, Failed, KafkaOptions, Message, Source, SourceKind};

pub use args::{Args, DEFAULTS};
pub use batch::{Batch, Stages, BATCH_TABLES};
pub use filters::RunFilter;
pub use manage::{Command, FilterCommand, Manage, NewEntry};
pub use results::{FilterCounts, Outputs};

const TOOL: &str = "lasair-filter";

/// The counts of a finished run.
#[derive(Debug, Default)]
pub struct Report {
    pub counts: Counts,
    pub objects: u64,
    pub results: u64,
    pub batches: u64,
    pub seconds: f64,
}

/// The binary's entry: config file, `--print-config`, signals, then [`run`].
pub fn main(args: Args) -> anyhow::Result<Outcome> {
    let Some(args) = lasair_cli::config::effective(args, &mut std::io::stdout())? else {
        return Ok(Outcome::Ok);
    };
    if let Some(cmd) = &args.manage {
        let url = args
            .db
            .as_deref()
            .context("--db is required (the main database)")?;
        let mut db = lasair_service::open(url, args.survey, false)?;
        return manage::run(cmd, &mut db, &mut std::io::stdout().lock());
    }
    let shutdown = lasair_stream::shutdown::install().context("installing signal handlers")?;
    let quiet = args.stream.quiet;
    let read = if args.annotations {
        "annotations"
    } else {
        "alerts"
    };
    let report = run(args, shutdown)?;
    if !quiet {
        eprintln!(
            "{TOOL}: {} {read} read, {} objects in {} batches, {} filter results, {} bad in {:.2}s ({:.0} {read}/s)",
            report.counts.read(),
            report.objects,
            report.batches,
            report.results,
            report.counts.bad(),
            report.seconds,
            report.counts.read() as f64 / report.seconds.max(1e-9)
        );
    }
    Ok(Outcome::from_counts(&report.counts))
}

/// Everything a run holds between batches.
struct Node {
    catalog: &'static Catalog,
    stages: Stages,
    main: Db,
    batch_db: Db,
    outputs: Outputs,
    filters: Vec<RunFilter>,
    sky: Sky,
    gw: ActiveMaps,
    limits: Limits,
    timeout: Duration,
    refreshed: Instant,
    refresh: Duration,
    quiet: bool,
}

/// Runs the filter (the alert stage, or with `--annotations` the filters run on annotations)
/// until the input ends or `shutdown` is set (then drains the current batch).
pub fn run(args: Args, shutdown: Arc<AtomicBool>) -> anyhow::Result<Report> {
    if args.annotations {
        let (mut source, mut node) = annotations::open(&args)?;
        args.stream
            .monitor(ANNOTATION_STAGE, env!("CARGO_PKG_VERSION"))?;
        return drive(&args, source.as_mut(), &shutdown, |m, counts| {
            node.batch(m, counts)
        });
    }
    let (mut source, mut node) = open(&args)?;
    args.stream.monitor(TOOL, env!("CARGO_PKG_VERSION"))?;
    drive(&args, source.as_mut(), &shutdown, |m, counts| {
        node.batch(m, counts)
    })
}

/// The annotation mode's name in the metrics and alarms, beside the alert stage's [`TOOL`].
const ANNOTATION_STAGE: &str = "lasair-filter-annotations";

/// The batch loop of either mode: `batch` gives the objects it made durable and the results
/// it sent; the input offsets are committed after it returns.
fn drive(
    args: &Args,
    source: &mut dyn Source,
    shutdown: &AtomicBool,
    mut batch: impl FnMut(&[Message], &Counts) -> anyhow::Result<(u64, u64)>,
) -> anyhow::Result<Report> {
    let counts = Counts::default();
    let mut results = 0;
    let stage = if args.annotations {
        ANNOTATION_STAGE
    } else {
        TOOL
    };
    let run = run_stage(
        &args.stream,
        &DEFAULTS,
        stage,
        source,
        shutdown,
        &counts,
        |messages| {
            let (objects, found) = batch(messages, &counts).map_err(Failed)?;
            results += found;
            Ok::<_, Failed>(objects)
        },
    )
    .map_err(|Failed(e)| e)?;
    Ok(Report {
        counts,
        objects: run.records,
        results,
        batches: run.batches,
        seconds: run.seconds,
    })
}

impl Node {
    /// One batch, in the order that makes a crash harmless: results out (flushed), digests
    /// written, main database upserted; the caller then commits the input offsets.
    fn batch(
        &mut self,
        messages: &[lasair_stream::Message],
        counts: &Counts,
    ) -> anyhow::Result<(u64, u64)> {
        if self.refreshed.elapsed() >= self.refresh {
            self.reload()?;
        }
        let t0 = Instant::now();
        let latest = self.stages.read(messages);
        let t_read = Instant::now();
        let times = latest.times(self.catalog);
        if let Some((oldest, newest)) = times {
            let now = mjd_now();
            lasair_metrics::alert_age(TOOL, (now - newest) * 86400.0, (now - oldest) * 86400.0);
        }
        let gw = self.gw_maps(times)?;
        let mut batch = self.stages.prepare(latest, messages, &self.sky, &gw);
        counts.add_bad(batch.bad);
        let t1 = Instant::now();
        for t in BATCH_TABLES {
            self.batch_db.clear(t)?;
        }
        batch.load(&mut self.batch_db, self.catalog)?;
        let t2 = Instant::now();
        let utc = utc_string(mjd_now());
        let view = results::BatchView {
            alerts: Some((&batch, messages)),
            catalog: self.catalog,
            utc: &utc,
        };
        let found = results::run_filters(
            &mut self.batch_db,
            &self.filters,
            &view,
            &mut self.outputs,
            self.timeout,
        )?;
        let t_flush = Instant::now();
        self.outputs.flush()?;
        let t3 = Instant::now();
        let objects = batch.load_newer(&mut self.main, self.catalog)?;
        lasair_service::tns::tag_hits(&mut self.main, &batch.tns_hits)?;
        let t4 = Instant::now();
        counts.add_written(objects as u64);
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        let steps = [
            ("read", t0, t_read),
            ("features", t_read, t1),
            ("batch_tables", t1, t2),
            ("filters", t2, t_flush),
            ("results_flush", t_flush, t3),
            ("main_upsert", t3, t4),
        ];
        // Each step's time: in the metrics, as the last batch's (ms) and as the night's (s).
        let mut names = Vec::new();
        for (step, from, to) in steps {
            lasair_metrics::step(TOOL, step, (to - from).as_secs_f64());
            names.push((format!("filter.{step}_ms"), format!("filter_{step}_s")));
        }
        let mut stats = vec![
            ("filter.batch_alerts", messages.len() as f64),
            ("filter.batch_objects", objects as f64),
            ("filter.batch_results", found.results as f64),
            ("filter.batch_filters_failed", found.failed as f64),
            (
                "filter.batch_filters_screened_out",
                found.screened_out as f64,
            ),
        ];
        let mut night = vec![
            ("filter_alerts", messages.len() as f64),
            ("filter_objects", objects as f64),
            ("filter_results", found.results as f64),
            ("filter_batches", 1.0),
        ];
        for ((last, tonight), (_, from, to)) in names.iter().zip(steps) {
            stats.push((last, ms(from, to)));
            night.push((tonight, (to - from).as_secs_f64()));
        }
        // Each users' filter's results tonight, for its page.
        let per_filter: Vec<(String, f64)> = found
            .by_topic
            .iter()
            .map(|(topic, n)| (format!("results.{topic}"), *n as f64))
            .collect();
        night.extend(per_filter.iter().map(|(name, n)| (name.as_str(), *n)));
        lasair_service::statistics::record(&mut self.main, &stats, &utc)?;
        lasair_service::statistics::add_to_night(&mut self.main, &night, &utc)?;
        if !self.quiet {
            eprintln!(
                "{TOOL}: batch of {} alerts: {} objects ({} skipped, {} superseded, {} bad), {} filters gave {} results ({} failed); features+hits {:.0} ms, batch tables {:.0} ms, filters {:.0} ms, results flushed {:.0} ms, main database {:.0} ms",
                messages.len(), objects, batch.skipped, batch.superseded, batch.bad, found.run, found.results, found.failed,
                ms(t0, t1), ms(t1, t2), ms(t2, t_flush), ms(t_flush, t3), ms(t3, t4)
            );
        }
        Ok((objects as u64, found.results))
    }

    /// The gravitational-wave maps active at some time of `times` (the batch's alerts'), read
    /// from the main database each batch (a map comes or is retracted at any time), each
    /// map's region once.
    fn gw_maps(&mut self, times: Option<(f64, f64)>) -> anyhow::Result<Vec<Arc<ActiveMap>>> {
        let Some((from, to)) = times else {
            return Ok(Vec::new());
        };
        let (maps, problems) = self.gw.at(&mut self.main, from, to)?;
        for problem in problems {
            eprintln!("{TOOL}: {problem}");
        }
        Ok(maps)
    }

    /// Reads the active filters, watchlists and watchmaps again (users change them).
    fn reload(&mut self) -> anyhow::Result<()> {
        self.filters = filters::load(&mut self.main, self.catalog, &self.limits)?;
        self.sky = Sky::load(&mut self.main)?;
        if self.batch_db.refresh_copies()? && !self.quiet {
            eprintln!("{TOOL}: took the new local copies of crossmatch_tns and annotations");
        }
        for problem in &self.sky.problems {
            eprintln!("{TOOL}: {problem}");
        }
        self.refreshed = Instant::now();
        if !self.quiet {
            eprintln!(
                "{TOOL}: {} active filters, {} watchlists, {} watchmaps",
                self.filters.len(),
                self.sky.watchlists,
                self.sky.watchmaps
            );
        }
        Ok(())
    }
}

fn open(args: &Args) -> anyhow::Result<(Box<dyn Source>, Node)> {
    let survey = args.survey.context("--survey is required (ztf or lsst)")?;
    let catalog = lasair_service::catalog(survey);
    let features = lasair_features::for_survey(survey);
    if features.columns() != catalog.tables[0].columns {
        bail!("the {survey:?} features do not fill the objects table's columns");
    }
    if !args.stream.quiet {
        eprintln!("{TOOL}: allocator {}", lasair_alloc::settings());
    }
    let dust = dust_map(args, survey)?;
    let db = args
        .db
        .as_deref()
        .context("--db is required (the main database)")?;
    let main = Db::open_with(db, catalog, false)?;
    let batch_db = Db::open_batch(catalog, args.copies.as_deref())?;
    let kafka = args.stream.kafka(TOOL)?;
    let source = args.stream.source(SourceKind::Lines, &kafka)?;
    let outputs = outputs(args, catalog, &kafka)?;
    let pool = args.stream.pool()?;
    let mut node = Node {
        catalog,
        stages: Stages {
            catalog,
            features,
            options: lasair_features::Options {
                keep_solar_system: args.keep_solar_system.unwrap_or(false),
                dust,
            },
            pool,
        },
        main,
        batch_db,
        outputs,
        filters: Vec::new(),
        sky: Sky::default(),
        gw: ActiveMaps::default(),
        limits: limits(args),
        timeout: timeout(args),
        refreshed: Instant::now(),
        refresh: refresh(args),
        quiet: args.stream.quiet,
    };
    node.reload()?;
    Ok((source, node))
}

/// Where results go, as `args` say: the topics (Kafka or a folder) and the email digests.
/// The SFD dust map of `--dust-map`, for LSST (ZTF's features use none); its absence said
/// once.
fn dust_map(args: &Args, survey: Survey) -> anyhow::Result<Option<Arc<DustMap>>> {
    if survey != Survey::Lsst {
        return Ok(None);
    }
    let Some(folder) = &args.dust_map else {
        if !args.stream.quiet {
            eprintln!(
                "{TOOL}: no SFD dust map is configured (--dust-map): LSST's ebv is NULL and fluxes are not dereddened"
            );
        }
        return Ok(None);
    };
    Ok(Some(Arc::new(DustMap::open(folder)?)))
}

fn outputs(args: &Args, catalog: &Catalog, kafka: &KafkaOptions) -> anyhow::Result<Outputs> {
    let topics = args
        .topics
        .as_deref()
        .map(|t| open_topics(t, kafka))
        .transpose()?;
    let mailer = args
        .smtp
        .as_deref()
        .map(|smtp| Mailer::new(smtp, args.mail_from.as_deref(), args.lasair_url.as_deref()))
        .transpose()?;
    let digests = Digests::new(
        args.digests
            .as_deref()
            .unwrap_or(std::path::Path::new("var/digests")),
        mailer,
        catalog.key,
    )?;
    Ok(Outputs {
        topics,
        digests: Some(digests),
        reported: Default::default(),
    })
}

/// What the compiler allows a user's filter: at most `--filter-max-rows` rows a run.
fn limits(args: &Args) -> Limits {
    Limits {
        max_rows: args.filter_max_rows.unwrap_or(1000),
        ..Limits::default()
    }
}

/// How long a filter may run.
fn timeout(args: &Args) -> Duration {
    Duration::from_millis(args.filter_timeout_ms.unwrap_or(1000))
}

/// How often filters (and the sky sets) are read again.
fn refresh(args: &Args) -> Duration {
    Duration::from_secs(args.refresh_s.unwrap_or(60))
}

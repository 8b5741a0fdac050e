//! lasair-sherlock: Sherlock's context for each alert, on the command line. The engine (the
//! catalogue store, the classifier, the cache and the stream stage) is the lasair-context
//! crate; this tool reads its flags and config, manages the store (`catalogue`) and runs the
//! stage over a stream of alert lines, or answers one position or object.

mod args;
pub mod catalogue {
    //! `lasair-sherlock catalogue add|list|drop`; the store itself is
    //! `lasair_context::catalogue`.
    pub mod cli;
}

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use lasair_cli::{Counts, Outcome};
use lasair_context::catalogue::{CatalogueStore, ConeSearch, Searcher};
use lasair_context::{cache, classify, Cache, Classifier, SearchConfig, Stage};
use lasair_stream::{open_sink, run_stage, SourceKind};

pub use args::{Args, Command, DEFAULTS};

const TOOL: &str = "lasair-sherlock";

/// The counts of a finished run.
#[derive(Debug, Default)]
pub struct Report {
    pub counts: Counts,
    pub seconds: f64,
}

/// The binary's entry: config file, `--print-config`, the store, then the command.
pub fn main(args: Args) -> anyhow::Result<Outcome> {
    let Some(args) = lasair_cli::config::effective(args, &mut std::io::stdout())? else {
        return Ok(Outcome::Ok);
    };
    let store = args
        .store
        .as_deref()
        .context("--store is required (the catalogue store to search)")?;
    if let Some(Command::Catalogue { command }) = args.command.clone() {
        return catalogue::cli::run(*command, store);
    }
    let searcher = open_searcher(store)?;
    let stage = open_stage(&args, searcher)?;
    let stdout = std::io::stdout();
    match args.command.clone() {
        Some(Command::Position { ra, dec, all }) => {
            let ra = lasair_sky::parse_ra(&ra).map_err(anyhow::Error::msg)?;
            let dec = lasair_sky::parse_dec(&dec).map_err(anyhow::Error::msg)?;
            one_shot(&stage, ra, dec, None, all, &mut stdout.lock())?;
            Ok(Outcome::Ok)
        }
        Some(Command::Object { id, all }) => {
            let url = args.db.as_deref().context("--db is required for object")?;
            let mut db = lasair_service::open(url, args.survey, true)?;
            let (ra, dec) = lasair_service::objects::position(&mut db, &id)?;
            one_shot(&stage, ra, dec, Some(&id), all, &mut stdout.lock())?;
            Ok(Outcome::Ok)
        }
        Some(Command::Catalogue { .. }) => Ok(Outcome::Ok),
        None => {
            let shutdown =
                lasair_stream::shutdown::install().context("installing signal handlers")?;
            let report = run(&args, &stage, shutdown)?;
            if !args.stream.quiet {
                eprintln!(
                    "lasair-sherlock: {} in {:.2}s ({:.0} alerts/s), {} positions cached",
                    report.counts,
                    report.seconds,
                    report.counts.written() as f64 / report.seconds.max(1e-9),
                    stage.cache.len()
                );
            }
            Ok(Outcome::from_counts(&report.counts))
        }
    }
}

/// The catalogue store at `path`, indexed for the classifier's cone searches.
pub fn open_searcher(path: &Path) -> anyhow::Result<Arc<dyn ConeSearch>> {
    if !path.exists() {
        bail!(
            "no catalogue store at {} (load catalogues with `lasair-sherlock --store {} catalogue add ...`)",
            path.display(),
            path.display()
        );
    }
    let store = CatalogueStore::open(path)?;
    Ok(Arc::new(Searcher::open(&store)?))
}

/// The classifier (search configuration over `searcher`) and its cache, as `args` say.
pub fn open_stage(args: &Args, searcher: Arc<dyn ConeSearch>) -> anyhow::Result<Stage> {
    let config = match &args.search {
        Some(path) => SearchConfig::load(path)?,
        None => SearchConfig::default_config(),
    };
    let classifier = Classifier::new(config, searcher);
    if !classifier.missing().is_empty() && !args.stream.quiet {
        eprintln!(
            "lasair-sherlock: not in the store, so not searched: {}",
            classifier.missing().join(", ")
        );
    }
    let capacity = args.cache_entries.unwrap_or(cache::DEFAULT_CAPACITY);
    let cache = match args.cache_path() {
        Some(path) => Cache::open(&path, &classifier.fingerprint(), capacity)?,
        None => Cache::with_capacity(capacity),
    };
    Ok(Stage::new(Arc::new(classifier), Arc::new(cache)))
}

/// Prints the context of one position as a JSON line: the best match, and with `all` the
/// other crossmatches; `object_id` is added when the position is an object's.
pub fn one_shot(
    stage: &Stage,
    ra: f64,
    dec: f64,
    object_id: Option<&str>,
    all: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    /// The answer as printed: Lasair's field order, `crossmatches` only when asked for.
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        #[serde(rename = "objectId", skip_serializing_if = "Option::is_none")]
        object_id: Option<&'a str>,
        classification: &'a str,
        #[serde(flatten)]
        best: &'a classify::Crossmatch,
        #[serde(skip_serializing_if = "Option::is_none")]
        crossmatches: Option<&'a [classify::Crossmatch]>,
    }
    let context = stage.classifier.classify(ra, dec)?;
    let answer = Answer {
        object_id,
        classification: &context.classification,
        best: &context.best,
        crossmatches: all.then_some(context.crossmatches.as_slice()),
    };
    writeln!(out, "{}", serde_json::to_string(&answer)?)?;
    Ok(())
}

/// Runs the stream stage until the input ends or `shutdown` is set (then drains the current
/// batch): read a batch, annotate it in parallel, write and flush, then commit.
pub fn run(args: &Args, stage: &Stage, shutdown: Arc<AtomicBool>) -> anyhow::Result<Report> {
    let kafka = args.stream.kafka(TOOL)?;
    let mut source = args.stream.source(SourceKind::Lines, &kafka)?;
    let mut sink = open_sink(args.output.as_deref().unwrap_or("-"), &kafka)?;
    let pool = args.stream.pool()?;
    args.stream.monitor(TOOL, env!("CARGO_PKG_VERSION"))?;
    let counts = Counts::default();
    let run = run_stage(
        &args.stream,
        &DEFAULTS,
        TOOL,
        source.as_mut(),
        &shutdown,
        &counts,
        |messages| stage.process(&pool, messages, sink.as_mut(), &counts),
    )?;
    Ok(Report {
        counts,
        seconds: run.seconds,
    })
}

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
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use lasair_cli::{Counts, Outcome};
use lasair_context::catalogue::{CatalogueStore, ConeSearch, Searcher};
use lasair_context::{cache, classify, Cache, Classifier, SearchConfig, Stage};
use lasair_stream::{open_sink, open_source, run_batches, KafkaOptions, SourceKind, Step};

pub use args::{Args, Command};

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
            let (ra, dec) = object_position(url, &id)?;
            one_shot(&stage, ra, dec, Some(&id), all, &mut stdout.lock())?;
            Ok(Outcome::Ok)
        }
        Some(Command::Catalogue { .. }) => Ok(Outcome::Ok),
        None => {
            let shutdown =
                lasair_stream::shutdown::install().context("installing signal handlers")?;
            let report = run(&args, &stage, shutdown)?;
            if !args.quiet {
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
    if !classifier.missing().is_empty() && !args.quiet {
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

/// An object's mean position from the main database (read-only).
fn object_position(url: &str, id: &str) -> anyhow::Result<(f64, f64)> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("{id:?} is not an objectId (letters, digits and _ only)");
    }
    let mut db = lasair_db::Db::open_readonly(url)?;
    let sql = format!("SELECT ramean, decmean FROM objects WHERE objectId = '{id}'");
    let rows = db.query_readonly(&sql, Duration::from_secs(10))?;
    let Some(row) = rows.rows.first() else {
        bail!("no object {id} in {}", db.url());
    };
    let number = |v: &lasair_db::Value| match v {
        lasair_db::Value::Real(x) => Some(*x),
        lasair_db::Value::Int(i) => Some(*i as f64),
        _ => None,
    };
    match (row.first().and_then(number), row.get(1).and_then(number)) {
        (Some(ra), Some(dec)) => Ok((ra, dec)),
        _ => bail!("object {id} has no ramean/decmean in {}", db.url()),
    }
}

/// Runs the stream stage until the input ends or `shutdown` is set (then drains the current
/// batch): read a batch, annotate it in parallel, write and flush, then commit.
pub fn run(args: &Args, stage: &Stage, shutdown: Arc<AtomicBool>) -> anyhow::Result<Report> {
    let started = Instant::now();
    let kafka = kafka_options(args)?;
    let stdin = vec!["-".to_owned()];
    let inputs = if args.inputs.is_empty() {
        &stdin
    } else {
        &args.inputs
    };
    let mut source = open_source(inputs, SourceKind::Lines, &kafka)?;
    let mut sink = open_sink(args.output.as_deref().unwrap_or("-"), &kafka)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let report = Report::default();
    let progress = lasair_cli::progress::bar(None, "alerts", !args.quiet);
    let batch_size = args.batch.unwrap_or(1000).max(1);
    let wait = Duration::from_millis(args.wait_ms.unwrap_or(500));
    let counts = &report.counts;
    let drained = run_batches(
        source.as_mut(),
        batch_size,
        wait,
        &shutdown,
        TOOL,
        |messages| {
            counts.add_read(messages.len() as u64);
            match stage.process(&pool, messages, sink.as_mut(), counts) {
                Ok(n) => {
                    progress.inc(n);
                    Ok(Step::Commit)
                }
                Err(e) if e.is_broken_pipe() => Ok(Step::Stop),
                Err(e) => Err(anyhow::Error::from(e)),
            }
        },
    )?;
    counts.add_bad(drained.bad_inputs);
    progress.finish_and_clear();
    Ok(Report {
        seconds: started.elapsed().as_secs_f64(),
        ..report
    })
}

fn kafka_options(args: &Args) -> anyhow::Result<KafkaOptions> {
    let (group, pairs) = (args.group.clone(), &args.kafka_option);
    Ok(KafkaOptions::from_settings(group, pairs, TOOL)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_db::{Db, Value};

    #[test]
    fn an_objects_mean_position_comes_from_the_main_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("lasair.db").display());
        let mut db = Db::open(&url).expect("create the main database");
        let row = vec![
            Value::Text("ZTF18abcdefg".into()),
            Value::Real(123.25),
            Value::Real(-45.5),
        ];
        db.upsert("objects", &["objectId", "ramean", "decmean"], &[row])
            .expect("upsert");
        drop(db);
        let (ra, dec) = object_position(&url, "ZTF18abcdefg").expect("found");
        assert_eq!((ra, dec), (123.25, -45.5));
        let err = object_position(&url, "ZTF18zzzzzzz").expect_err("absent");
        assert!(err.to_string().contains("no object ZTF18zzzzzzz"), "{err}");
        let err = object_position(&url, "x' OR '1'='1").expect_err("not an id");
        assert!(err.to_string().contains("not an objectId"), "{err}");
    }
}

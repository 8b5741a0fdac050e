//! What every stream stage (ingest, sherlock, filter) shares, so that each tool only says what
//! it does to a batch: the options, declared once ([`StreamArgs`], flattened into each tool's
//! `Args`, its defaults shown by `--help` and `--print-config`), and the one batch loop with
//! its progress bar, counts and broken-pipe handling ([`run_stage`]).

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use lasair_cli::Counts;
use serde::{Deserialize, Serialize};

use crate::{
    open_source, run_batches, KafkaOptions, Message, Source, SourceKind, Step, StreamError,
};

/// The options of every stream stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct StreamArgs {
    /// Where records come from: files, folders, globs, `-` for stdin (the default), or
    /// `kafka://HOST:PORT[,HOST:PORT]/TOPIC` (a comma list, or a `^regex` pattern).
    #[serde(rename = "input", default)]
    pub inputs: Vec<String>,

    /// Kafka consumer group (replicas of this stage share one).
    #[arg(long, env = "LASAIR_KAFKA_GROUP")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,

    /// Extra librdkafka settings, KEY=VALUE, repeatable (e.g. security.protocol=SSL).
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    #[serde(rename = "kafka_options", default)]
    pub kafka_option: Vec<String>,

    /// Records per batch at most: a batch's effects are made durable, then its offsets
    /// committed.
    #[arg(long, value_parser = at_least_one)]
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "batch_size"
    )]
    pub batch: Option<usize>,

    /// Longest wait for a batch to fill, in milliseconds: a batch closes at --batch records or
    /// after this, whichever comes first.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,

    /// Worker threads (0: all cores).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,

    /// Metrics and alarms.
    #[command(flatten)]
    #[serde(flatten)]
    pub monitor: MonitorArgs,

    /// Progress and counts on stderr are silenced; errors are still reported.
    #[arg(long, short, global = true)]
    #[serde(skip)]
    pub quiet: bool,
}

/// A batch size: 0 would never make progress, so it is refused, not taken as 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("a batch holds at least 1 record".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `batch` in a config file, refused at 0 as on the command line.
fn batch_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let n = <Option<usize> as serde::Deserialize>::deserialize(d)?;
    match n {
        Some(0) => Err(serde::de::Error::custom(
            "batch = 0: a batch holds at least 1 record",
        )),
        other => Ok(other),
    }
}

/// A stage's own batch size and wait, declared once: `--help` shows them, `--print-config`
/// prints them, the loop uses them; and what its progress bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageDefaults {
    pub batch: usize,
    pub wait_ms: u64,
    /// The records a batch reports done (`alerts`, `objects`).
    pub unit: &'static str,
}

impl StreamArgs {
    /// Fills what the command line left unset from the config file's section, then the
    /// stage's defaults.
    pub fn merged(mut self, file: StreamArgs, defaults: &StageDefaults) -> StreamArgs {
        if self.inputs.is_empty() {
            self.inputs = file.inputs;
        }
        if self.kafka_option.is_empty() {
            self.kafka_option = file.kafka_option;
        }
        self.group = self.group.or(file.group);
        self.batch = self.batch.or(file.batch).or(Some(defaults.batch));
        self.wait_ms = self.wait_ms.or(file.wait_ms).or(Some(defaults.wait_ms));
        self.threads = self.threads.or(file.threads).or(Some(0));
        self.monitor = self.monitor.merged(file.monitor);
        self
    }

    /// Starts what operators watch, as these options ask (see [`MonitorArgs::start`]).
    pub fn monitor(&self, tool: &str, version: &str) -> Result<(), StreamError> {
        self.monitor.start(tool, version)
    }

    /// Records per batch.
    pub fn batch(&self, defaults: &StageDefaults) -> usize {
        self.batch.unwrap_or(defaults.batch).max(1)
    }

    /// Longest wait for a batch.
    pub fn wait(&self, defaults: &StageDefaults) -> Duration {
        Duration::from_millis(self.wait_ms.unwrap_or(defaults.wait_ms))
    }

    /// The Kafka settings of `tool` (its client id).
    pub fn kafka(&self, tool: &str) -> Result<KafkaOptions, StreamError> {
        KafkaOptions::from_settings(self.group.clone(), &self.kafka_option, tool)
    }

    /// The inputs, stdin when none are given.
    pub fn source(
        &self,
        kind: SourceKind,
        kafka: &KafkaOptions,
    ) -> Result<Box<dyn Source>, StreamError> {
        let stdin = ["-".to_owned()];
        let inputs = if self.inputs.is_empty() {
            &stdin[..]
        } else {
            &self.inputs
        };
        open_source(inputs, kind, kafka)
    }

    /// The worker threads, `--threads` of them (all cores by default).
    pub fn pool(&self) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()
    }
}

/// What operators watch, the options of every long-running tool (the stages here, and
/// lasair-serve and lasair-sync beside them): the metrics' address and the alarms' webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
pub struct MonitorArgs {
    /// Serve Prometheus metrics on this address (`HOST:PORT`, e.g. `0.0.0.0:9310`) at
    /// `/metrics`.
    #[arg(long, value_name = "ADDR", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<String>,

    /// Post errors that need a person (a batch failed, Kafka unreachable, a disk full) to this
    /// Slack incoming webhook.
    #[arg(
        long,
        env = "LASAIR_SLACK_WEBHOOK",
        value_name = "URL",
        hide_env_values = true,
        global = true
    )]
    // A secret: read from the file, never printed by --print-config.
    #[serde(skip_serializing)]
    pub slack_webhook: Option<String>,
}

impl MonitorArgs {
    /// Fills what the command line left unset from the config file's.
    pub fn merged(self, file: MonitorArgs) -> MonitorArgs {
        MonitorArgs {
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
            slack_webhook: self.slack_webhook.or(file.slack_webhook),
        }
    }

    /// Serves the metrics and sets the alarms' webhook, each when given; `tool` and `version`
    /// label the metrics and the alarms.
    pub fn start(&self, tool: &str, version: &str) -> Result<(), StreamError> {
        if let Some(url) = &self.slack_webhook {
            lasair_metrics::alarm::configure(url, tool).map_err(|e| StreamError::Monitoring {
                what: "the alarms",
                reason: e.to_string(),
            })?;
        }
        if let Some(addr) = &self.metrics_listen {
            let at = lasair_metrics::listen(addr, tool, version).map_err(|e| {
                StreamError::Monitoring {
                    what: "the metrics",
                    reason: e.to_string(),
                }
            })?;
            eprintln!("{tool}: metrics on http://{}/metrics", at.addr);
        }
        Ok(())
    }
}

/// Parses a stage's command line with its defaults written into `--help`.
pub fn parse_args<A: clap::Parser>(defaults: &StageDefaults) -> A {
    let with_default = |a: clap::Arg, value: String| {
        let help = a.get_help().map(ToString::to_string).unwrap_or_default();
        a.help(format!("{help} [default: {value}]"))
    };
    let command = A::command()
        .mut_arg("batch", |a| with_default(a, defaults.batch.to_string()))
        .mut_arg("wait_ms", |a| with_default(a, defaults.wait_ms.to_string()));
    let matches = command.get_matches();
    A::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// An error of a batch's work; a broken pipe (the reader of our output went away) ends the
/// stage quietly, with success, as Unix tools do.
pub trait BatchError: From<StreamError> + std::fmt::Display {
    fn is_broken_pipe(&self) -> bool;
}

/// A batch that failed, as most stages report it (any error, with its causes): the run stops
/// without committing it. A closed pipe among its causes ends the stage quietly.
#[derive(Debug)]
pub struct Failed(pub anyhow::Error);

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Failed {
    fn from(e: E) -> Failed {
        Failed(e.into())
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl BatchError for Failed {
    fn is_broken_pipe(&self) -> bool {
        self.0.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
                || cause
                    .downcast_ref::<StreamError>()
                    .is_some_and(StreamError::is_broken_pipe)
        })
    }
}

impl BatchError for StreamError {
    fn is_broken_pipe(&self) -> bool {
        StreamError::is_broken_pipe(self)
    }
}

/// What a stage's run did.
#[derive(Debug, Default)]
pub struct StageRun {
    /// The records the batches reported done (messages read are in the caller's counts).
    pub records: u64,
    pub batches: u64,
    pub seconds: f64,
}

/// The one batch loop of every stage: reads batches from `source` as `args` say, hands each
/// to `process` (which returns how many records it made durable), commits after each, shows
/// progress (a terminal only, unless quiet), counts reads and unreadable inputs in `counts`,
/// and stops at the end of a finite input, at `shutdown` (after the batch in hand), or
/// quietly when the reader of our output goes away. Each batch is counted in the stage's
/// metrics; a failed one raises an alarm (the caller starts both with
/// [`StreamArgs::monitor`]).
pub fn run_stage<E: BatchError>(
    args: &StreamArgs,
    defaults: &StageDefaults,
    tool: &str,
    source: &mut dyn Source,
    shutdown: &AtomicBool,
    counts: &Counts,
    mut process: impl FnMut(&[Message]) -> Result<u64, E>,
) -> Result<StageRun, E> {
    let started = Instant::now();
    let progress = lasair_cli::progress::bar(None, defaults.unit, !args.quiet);
    let metrics = lasair_metrics::Stage::new(tool);
    let mut records = 0;
    let mut failed_batch = false;
    let drained = run_batches(
        source,
        args.batch(defaults),
        args.wait(defaults),
        shutdown,
        tool,
        |messages| {
            counts.add_read(messages.len() as u64);
            let began = Instant::now();
            match process(messages) {
                Ok(n) => {
                    records += n;
                    progress.inc(n);
                    metrics.batch(messages.len(), began.elapsed().as_secs_f64());
                    metrics.totals(counts.read(), records, counts.bad());
                    Ok(Step::Commit)
                }
                Err(e) if e.is_broken_pipe() => Ok(Step::Stop),
                Err(e) => {
                    metrics.failed();
                    failed_batch = true;
                    Err(e)
                }
            }
        },
    );
    metrics.totals(counts.read(), records, counts.bad());
    let drained = drained.inspect_err(|e| {
        // A batch that failed, or the stream itself (committing offsets, a source that
        // cannot go on): the stage stops, and a person should know.
        let what = if failed_batch {
            "a batch failed"
        } else {
            "the stream failed"
        };
        let reason = lasair_metrics::alarm::describe_failure(&format!("{e:#}"));
        lasair_metrics::alarm::raise(&format!("{what}: {reason}"));
    })?;
    counts.add_bad(drained.bad_inputs);
    metrics.totals(counts.read(), records, counts.bad());
    progress.finish_and_clear();
    Ok(StageRun {
        records,
        batches: drained.batches,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Tool {
        #[command(flatten)]
        stream: StreamArgs,
    }

    const DEFAULTS: StageDefaults = StageDefaults {
        batch: 250,
        wait_ms: 40,
        unit: "lines",
    };

    #[test]
    fn flags_win_then_the_file_then_the_defaults() {
        let cli = Tool::parse_from(["t", "--batch", "5", "a.jsonl"]).stream;
        let file = StreamArgs {
            inputs: vec!["b.jsonl".into()],
            batch: Some(9),
            group: Some("g".into()),
            ..StreamArgs::default()
        };
        let m = cli.merged(file, &DEFAULTS);
        assert_eq!(m.inputs, ["a.jsonl"]);
        assert_eq!(
            (m.batch, m.wait_ms, m.group.as_deref()),
            (Some(5), Some(40), Some("g"))
        );
        let m = StreamArgs::default().merged(StreamArgs::default(), &DEFAULTS);
        assert_eq!(
            (m.batch(&DEFAULTS), m.wait(&DEFAULTS)),
            (250, Duration::from_millis(40))
        );
    }

    #[test]
    fn a_batch_of_nothing_is_refused() {
        assert!(Tool::try_parse_from(["t", "--batch", "0", "a.jsonl"]).is_err());
        let err = lasair_cli::config::parse_section::<StreamArgs>("[sim]\nbatch = 0\n", "sim")
            .expect_err("batch = 0");
        assert!(format!("{err:#}").contains("at least 1"), "{err:#}");
    }

    #[test]
    fn every_batch_is_committed_and_a_broken_pipe_stops_quietly() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, "1\n2\n3\n4\n5\n").expect("write");
        let args = StreamArgs {
            inputs: vec![path.display().to_string()],
            batch: Some(2),
            quiet: true,
            ..StreamArgs::default()
        };
        let kafka = args.kafka("test").expect("kafka");
        let mut source = args.source(SourceKind::Lines, &kafka).expect("source");
        let counts = Counts::default();
        let stop = AtomicBool::new(false);
        let mut sizes = Vec::new();
        let run = run_stage(
            &args,
            &DEFAULTS,
            "test",
            source.as_mut(),
            &stop,
            &counts,
            |m| {
                sizes.push(m.len());
                Ok::<_, StreamError>(m.len() as u64)
            },
        )
        .expect("run");
        assert_eq!(
            (sizes.as_slice(), run.records, run.batches),
            (&[2, 2, 1][..], 5, 3)
        );
        assert_eq!(counts.read(), 5);

        let mut source = args.source(SourceKind::Lines, &kafka).expect("source");
        let pipe = || StreamError::BrokenPipe { target: "-".into() };
        let run = run_stage(
            &args,
            &DEFAULTS,
            "test",
            source.as_mut(),
            &stop,
            &counts,
            |_| Err::<u64, _>(pipe()),
        )
        .expect("a broken pipe is no error");
        assert_eq!((run.records, run.batches), (0, 0));
    }
}

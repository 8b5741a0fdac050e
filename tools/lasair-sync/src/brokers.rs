//! `lasair-sync brokers`: another broker's classification topics read to their end (or to
//! `--max-messages`), each message made into an annotation by lasair-service's `brokers`,
//! stored as the annotate API stores one (under an annotator that must exist and be active,
//! as its owner), and sent on to the annotation stream, where `lasair-filter --annotations`
//! runs the filters triggered by annotations. Per batch: rows stored, stream lines flushed,
//! then the offsets committed. A message that cannot be read, or whose object is not one of
//! the survey's, is reported with its topic, partition and offset and skipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use lasair_cli::{Counts, Outcome};
use lasair_db::Db;
use lasair_service::annotations::{annotate_all, Annotation, Annotator, Refused};
use lasair_service::brokers::{Broker, Reader, Reading};
use lasair_service::users::User;
use lasair_service::Record;
use lasair_stream::{
    at_most, open_appending, open_source, run_stage, Failed, KafkaOptions, Message, Origin, Sink,
    SourceKind, StageDefaults, StreamArgs,
};

use crate::{Args, TOOL};

/// Messages per batch and the longest wait for one, unless given.
const DEFAULTS: StageDefaults = StageDefaults {
    batch: 500,
    wait_ms: 2000,
    unit: "messages",
};

#[derive(Debug, Clone, clap::Args)]
pub struct BrokersArgs {
    /// The broker's topics: `kafka://HOST:PORT[,HOST:PORT]/TOPIC[,TOPIC]` (or `/^REGEX`).
    #[arg(long, value_name = "KAFKA")]
    pub from: String,

    /// Whose topics they are: fink, alerce or ampel.
    #[arg(long)]
    pub broker: Broker,

    /// Kafka consumer group [default: lasair-sync-<broker>].
    #[arg(long)]
    pub group: Option<String>,

    /// The annotator every classification goes to [default: the broker's own: fink;
    /// alerce_stamp or alerce_lc; ampel or ampel_infant].
    #[arg(long)]
    pub annotator: Option<String>,

    /// Take at most this many messages this run (Lasair takes 5000) [default: all there are].
    #[arg(long)]
    pub max_messages: Option<u64>,

    /// Messages per batch: stored, sent on and committed together [default: 500].
    #[arg(long)]
    pub batch: Option<usize>,

    /// Longest wait for a batch to fill, in milliseconds [default: 2000].
    #[arg(long)]
    pub wait_ms: Option<u64>,
}

/// What a run did, for its JSON line.
#[derive(Debug, Default)]
struct Done {
    skipped: u64,
    annotated: BTreeMap<String, u64>,
}

/// Everything a run holds between batches.
struct Job<'a> {
    broker: Broker,
    annotator: Option<&'a str>,
    reader: Reader,
    db: &'a mut Db,
    /// The owners of the annotators met so far, by topic.
    owners: HashMap<String, User>,
    stream: Option<Box<dyn Sink>>,
    done: Done,
}

pub fn run(
    args: &Args,
    b: &BrokersArgs,
    db: &mut Db,
) -> anyhow::Result<(serde_json::Value, Outcome)> {
    if !b.from.starts_with("kafka://") {
        anyhow::bail!(
            "--from {}: give the broker's topics as kafka://HOST:PORT/TOPIC",
            b.from
        );
    }
    let group = b
        .group
        .clone()
        .unwrap_or_else(|| format!("lasair-sync-{}", b.broker));
    let stream_args = StreamArgs {
        inputs: vec![b.from.clone()],
        group: Some(group),
        kafka_option: args.kafka_option.clone(),
        batch: b.batch,
        wait_ms: b.wait_ms,
        ..StreamArgs::default()
    };
    let kafka = KafkaOptions {
        until_end: true,
        ..stream_args.kafka(TOOL)?
    };
    let source = open_source(&stream_args.inputs, SourceKind::Lines, &kafka)
        .with_context(|| format!("opening {}", b.from))?;
    let mut source = match b.max_messages {
        Some(n) => at_most(source, n),
        None => source,
    };
    let stream = match &args.annotations {
        Some(spec) => {
            // The annotation stream is the pipeline's own, not the other broker's cluster.
            let options = KafkaOptions {
                client_id: TOOL.into(),
                ..KafkaOptions::default()
            };
            let sink = open_appending(spec, &options)
                .with_context(|| format!("opening the annotation stream {spec}"))?;
            Some(sink)
        }
        None => None,
    };
    let mut job = Job {
        broker: b.broker,
        annotator: b.annotator.as_deref(),
        reader: Reader::new()?,
        db,
        owners: HashMap::new(),
        stream,
        done: Done::default(),
    };
    let shutdown = lasair_stream::shutdown::install().context("installing signal handlers")?;
    let counts = Counts::default();
    let stop: &AtomicBool = &shutdown;
    let run = run_stage(
        &stream_args,
        &DEFAULTS,
        TOOL,
        source.as_mut(),
        stop,
        &counts,
        |messages| job.batch(messages, &counts).map_err(Failed),
    )
    .map_err(|Failed(e)| e)?;
    let report = serde_json::json!({
        "job": "brokers",
        "broker": b.broker.name(),
        "from": b.from,
        "messages": counts.read(),
        "annotated": run.records,
        "skipped": job.done.skipped,
        "bad": counts.bad(),
        "annotators": job.done.annotated,
        "batches": run.batches,
        "seconds": (run.seconds * 1000.0).round() / 1000.0,
    });
    Ok((report, Outcome::from_counts(&counts)))
}

impl Job<'_> {
    /// One batch: each message read into an annotation, the annotations stored, then sent
    /// on to the annotation stream and flushed; the caller then commits the offsets. Gives
    /// how many were stored.
    fn batch(&mut self, messages: &[Message], counts: &Counts) -> anyhow::Result<u64> {
        let mut by_annotator: BTreeMap<String, Vec<(&Origin, Annotation)>> = BTreeMap::new();
        for m in messages {
            let topic = match &m.origin {
                Origin::Kafka { topic, .. } => topic.to_string(),
                _ => String::new(),
            };
            let read = self
                .reader
                .read(self.broker, &topic, m.key.as_deref(), &m.payload);
            let classified = match read {
                Ok(Reading::Classified(c)) => c,
                Ok(Reading::Skipped(_)) => {
                    self.done.skipped += 1;
                    continue;
                }
                Err(e) => {
                    bad(counts, &m.origin, &e.to_string());
                    continue;
                }
            };
            let annotator = self.annotator.unwrap_or(classified.annotator);
            let annotation = classified.annotation(annotator);
            if let Some((field, message)) = annotation.check().first() {
                bad(counts, &m.origin, &format!("{field}: {message}"));
                continue;
            }
            by_annotator
                .entry(annotator.to_owned())
                .or_default()
                .push((&m.origin, annotation));
        }
        let mut stored = Vec::new();
        for (annotator, notes) in by_annotator {
            let owner = self.owner(&annotator)?;
            let annotations: Vec<Annotation> = notes.iter().map(|(_, a)| a.clone()).collect();
            let answers = annotate_all(self.db, &owner, &annotations)?;
            let before = stored.len();
            for ((origin, _), answer) in notes.iter().zip(answers) {
                match answer {
                    Ok(a) => stored.push(a),
                    Err(Refused::Object(why)) => bad(counts, origin, &why),
                    Err(refused) => anyhow::bail!("{refused}"),
                }
            }
            *self.done.annotated.entry(annotator).or_default() += (stored.len() - before) as u64;
        }
        if let Some(sink) = &mut self.stream {
            for a in &stored {
                let (key, line) = a.stream_message()?;
                sink.send(Some(key), line.as_bytes())?;
            }
            sink.flush().context("the annotation stream")?;
        }
        counts.add_written(stored.len() as u64);
        Ok(stored.len() as u64)
    }

    /// The owner of annotator `topic`, who the annotations are stored as; the annotator must
    /// exist and be active (staff register it: `lasair-serve annotator add`).
    fn owner(&mut self, topic: &str) -> anyhow::Result<User> {
        if let Some(user) = self.owners.get(topic) {
            return Ok(user.clone());
        }
        let Some(annotator) = Annotator::get(self.db, topic)? else {
            anyhow::bail!(
                "annotator {topic} does not exist: register it first (lasair-serve annotator add {topic} --user OWNER)"
            );
        };
        if !annotator.active {
            anyhow::bail!("annotator {topic} is not active");
        }
        let user = User::get(self.db, annotator.user_id)?;
        self.owners.insert(topic.to_owned(), user.clone());
        Ok(user)
    }
}

/// A message that cannot be annotated, reported with where it came from.
fn bad(counts: &Counts, origin: &Origin, why: &str) {
    counts.add_bad(1);
    eprintln!("{TOOL}: {origin}: {why}");
}

//! Where the command line writes alerts: one file each in a folder, or a Kafka topic.

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context};
use lasair_simulator::{SimAlert, Simulation};
use lasair_stream::{open_sink, KafkaOptions, Sink};

/// Kafka deliveries are confirmed every this many alerts, so a broken broker is noticed early
/// and librdkafka's queue stays bounded.
const FLUSH_EVERY: u64 = 10_000;

pub enum Output {
    Folder {
        path: PathBuf,
        extension: &'static str,
    },
    Kafka {
        sink: Box<dyn Sink>,
        sent: u64,
    },
}

impl Output {
    /// A folder (created if needed; LSST also gets `schema.avsc`) or `kafka://HOST:PORT/TOPIC`.
    pub fn open(spec: &str, sim: &Simulation, kafka_options: &[String]) -> anyhow::Result<Self> {
        if spec.starts_with("kafka://") {
            let options = KafkaOptions {
                extra: parse_options(kafka_options)?,
                client_id: "lasair-sim".into(),
                ..KafkaOptions::default()
            };
            let sink = open_sink(spec, &options).with_context(|| format!("opening {spec}"))?;
            return Ok(Output::Kafka { sink, sent: 0 });
        }
        let path = PathBuf::from(spec);
        fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        if sim.needs_schema() {
            let schema = path.join("schema.avsc");
            fs::write(&schema, sim.schema_json())
                .with_context(|| format!("writing {}", schema.display()))?;
        }
        Ok(Output::Folder {
            path,
            extension: sim.file_extension(),
        })
    }

    pub fn write(&mut self, alert: &SimAlert) -> anyhow::Result<()> {
        match self {
            Output::Folder { path, extension } => {
                let file = path.join(format!("{}.{extension}", alert.source_id));
                fs::write(&file, &alert.payload)
                    .with_context(|| format!("writing {}", file.display()))
            }
            Output::Kafka { sink, sent } => {
                // Keyed by object, so that one object's alerts stay in order on one partition.
                sink.send(Some(alert.object_id.as_bytes()), &alert.payload)?;
                *sent += 1;
                if *sent % FLUSH_EVERY == 0 {
                    sink.flush()?;
                }
                Ok(())
            }
        }
    }

    /// Waits until every alert is delivered (Kafka).
    pub fn finish(&mut self) -> anyhow::Result<()> {
        match self {
            Output::Folder { .. } => Ok(()),
            Output::Kafka { sink, .. } => Ok(sink.flush()?),
        }
    }
}

fn parse_options(options: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    options
        .iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => bail!("--kafka-option takes KEY=VALUE, not {o:?}"),
        })
        .collect()
}

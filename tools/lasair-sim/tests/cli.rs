//! The command line through `run`: folders of alert files, the schema file, Kafka output to
//! librdkafka's in-process mock broker, and the binary's exit codes.

use std::time::{Duration, Instant};

use clap::Parser;
use lasair_sim::{run, Args};
use lasair_simulator::{lsst_schema_json, lsst_schema_json_of, LsstSchema};
use lasair_stream::{open_source, KafkaOptions, SourceKind};
use rdkafka::mocking::MockCluster;

fn args(line: &str) -> Args {
    Args::try_parse_from(std::iter::once("lasair-sim").chain(line.split_whitespace()))
        .expect("valid arguments")
}

#[test]
fn ztf_alerts_go_one_file_each_named_by_candid() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("ztf");
    let summary = run(&args(&format!(
        "--survey ztf --alerts 30 --objects 5 --seed 2 --out {}",
        out.display()
    )))?;
    assert_eq!((summary.alerts, summary.objects), (30, 5));
    let mut names: Vec<String> = std::fs::read_dir(&out)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<anyhow::Result<_>>()?;
    names.sort();
    assert_eq!(names.len(), 30);
    assert!(names
        .iter()
        .all(|n| n.ends_with(".avro") && n.len() == 19 + 5));
    let bytes: u64 = names
        .iter()
        .map(|n| std::fs::metadata(out.join(n)).map(|m| m.len()))
        .sum::<Result<_, _>>()?;
    assert_eq!(bytes, summary.bytes);
    Ok(())
}

#[test]
fn lsst_folders_hold_messages_and_their_schema() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("lsst");
    let schema = dir.path().join("alert.avsc");
    run(&args(&format!(
        "--survey lsst --alerts 12 --objects 4 --no-cutouts --schema-id 9 --out {} --write-schema {}",
        out.display(),
        schema.display()
    )))?;
    assert_eq!(
        std::fs::read_to_string(out.join("schema.avsc"))?,
        lsst_schema_json()
    );
    assert_eq!(std::fs::read_to_string(&schema)?, lsst_schema_json());
    let messages: Vec<_> = std::fs::read_dir(&out)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(messages.len(), 12);
    for m in messages {
        assert_eq!(&std::fs::read(m.path())?[..5], &[0, 0, 0, 0, 9]);
    }
    Ok(())
}

#[test]
fn lsst_schema_11_writes_its_schema_and_rubins_id() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("lsst");
    run(&args(&format!(
        "--survey lsst --lsst-schema 11.0 --alerts 5 --objects 2 --no-cutouts --out {}",
        out.display()
    )))?;
    let schema = std::fs::read_to_string(out.join("schema.avsc"))?;
    assert_eq!(schema, lsst_schema_json_of(LsstSchema::V11_0));
    assert!(schema.contains("\"lsst.v11_0\""));
    for m in std::fs::read_dir(&out)?.filter_map(|e| e.ok()) {
        if m.path().extension().is_some_and(|x| x == "bin") {
            // Rubin's id of lsst.v11_0, 1100.
            assert_eq!(&std::fs::read(m.path())?[..5], &[0, 0, 0, 0x04, 0x4c]);
        }
    }
    let bad = Args::try_parse_from(["lasair-sim", "--lsst-schema", "9.9"]);
    assert!(bad.is_err_and(|e| e.to_string().contains("9.9")));
    Ok(())
}

#[test]
fn schema_alone_is_enough_and_nothing_is_an_error() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let schema = dir.path().join("ztf.avsc");
    run(&args(&format!(
        "--survey ztf --write-schema {}",
        schema.display()
    )))?;
    apache_avro::Schema::parse_str(&std::fs::read_to_string(&schema)?)?;
    assert!(run(&args("--survey lsst")).is_err());
    assert!(Args::try_parse_from(["lasair-sim", "--survey", "hst"]).is_err());
    Ok(())
}

#[test]
fn kafka_output_delivers_every_alert_keyed_by_object() -> anyhow::Result<()> {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("alerts", 2, 1)?;
    let brokers = cluster.bootstrap_servers();
    let summary = run(&args(&format!(
        "--survey ztf --alerts 25 --objects 5 --out kafka://{brokers}/alerts"
    )))?;
    assert_eq!(summary.alerts, 25);

    let options = KafkaOptions {
        extra: vec![("auto.offset.reset".into(), "earliest".into())],
        ..KafkaOptions::default()
    };
    let spec = format!("kafka://{brokers}/alerts?group=check");
    let mut source = open_source(&[spec], SourceKind::AvroFiles, &options)?;
    let started = Instant::now();
    let mut got = Vec::new();
    while got.len() < 25 && started.elapsed() < Duration::from_secs(30) {
        got.extend(source.next_batch(100, Duration::from_millis(250))?);
    }
    assert_eq!(got.len(), 25);
    for m in got {
        let key = String::from_utf8(m.key.unwrap_or_default())?;
        assert!(key.starts_with("ZTF"), "{key}");
        assert!(m.payload.starts_with(b"Obj\x01"));
    }
    Ok(())
}

#[test]
fn the_binary_exits_2_on_usage_errors() -> anyhow::Result<()> {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lasair-sim"))
        .arg("--survey")
        .arg("lsst")
        .status()?;
    assert_eq!(status.code(), Some(2));
    Ok(())
}

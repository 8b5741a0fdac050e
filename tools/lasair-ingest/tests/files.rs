//! lasair-ingest on Avro files: JSON out, lightcurves, cutouts, bad input, idempotence.

mod common;

use std::collections::BTreeSet;

use common::*;
use lasair_alert::Survey;

#[test]
fn simulated_ztf_files_give_one_json_per_alert_and_the_union_of_their_lightcurves() {
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = sim(Survey::Ztf, 120, 25, 7);
    write_files(&tmp.path().join("in"), &alerts);
    let db = tmp.path().join("lc.db");
    let cutouts = tmp.path().join("cutouts");
    let mut args = ztf_args(&tmp.path().join("in"), &db, &cutouts);
    args.extend(["--batch", "16", "--quiet"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), alerts.len());
    let ids: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["sourceId"].as_i64().expect("id"))
        .collect();
    let expected: BTreeSet<i64> = alerts.iter().map(|a| a.source_id).collect();
    assert_eq!(ids, expected);
    for line in &lines {
        for kind in ["science", "template", "difference"] {
            let path = line["cutouts"][kind].as_str().expect("cutout path");
            let bytes = std::fs::read(path).expect("cutout written");
            assert_eq!(&bytes[..2], &[0x1f, 0x8b], "ZTF stamps stay gzipped FITS");
        }
        assert!(line["detection"]["candid"].as_i64() == line["sourceId"].as_i64());
    }
    let payloads: Vec<_> = alerts.iter().map(|a| a.payload.clone()).collect();
    let union = union_of(&decode_all(Survey::Ztf, &payloads));
    assert_eq!(stored_keys(&db), union);

    // The same files again: the same JSON, the same store, the same cutout files.
    let files_before = count_files(&cutouts);
    let again = run(&args);
    assert!(again.status.success());
    assert_eq!(json_lines(&again.stdout), lines);
    assert_eq!(stored_keys(&db), union);
    assert_eq!(count_files(&cutouts), files_before);
}

/// With no store, each alert becomes its line as it is decoded; with one, after the store is
/// durable: the two paths write the same lines, in the same order, byte for byte.
#[test]
fn with_or_without_a_store_the_lines_are_the_same() {
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = sim(Survey::Ztf, 60, 15, 11);
    write_files(&tmp.path().join("in"), &alerts);
    std::fs::write(
        tmp.path().join("in/broken.avro"),
        b"Obj\x01 not a container",
    )
    .expect("write");
    let input = tmp.path().join("in");
    let input = input.to_str().expect("utf8");
    let db = format!("sqlite:{}", tmp.path().join("lc.db").display());
    let bare = run(&["--survey", "ztf", "--batch", "8", "--quiet", input]);
    let stored = run(&[
        "--survey",
        "ztf",
        "--batch",
        "8",
        "--quiet",
        "--lightcurves",
        &db,
        input,
    ]);
    for out in [&bare, &stored] {
        assert_eq!(out.status.code(), Some(1), "the broken file counts as bad");
        assert!(String::from_utf8_lossy(&out.stderr).contains("broken.avro"));
    }
    assert_eq!(json_lines(&bare.stdout).len(), alerts.len());
    assert!(
        bare.stdout == stored.stdout,
        "the lines differ between the two paths"
    );
}

#[test]
fn a_sqlite_cutout_store_keeps_each_cutout_once_whatever_the_replays() {
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = sim(Survey::Ztf, 60, 12, 5);
    write_files(&tmp.path().join("in"), &alerts);
    let db = tmp.path().join("lc.db");
    let url = format!("sqlite:{}", tmp.path().join("cutouts.db").display());
    let base = ztf_args(&tmp.path().join("in"), &db, std::path::Path::new(&url));
    let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
    args.push("--quiet");
    let mut again = args.clone();
    args.extend(["--batch", "16"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    let payloads: Vec<_> = alerts.iter().map(|a| a.payload.clone()).collect();
    let decoded = decode_all(Survey::Ztf, &payloads);
    let store = lasair_store::open_cutouts(&url).expect("cutout store");
    let mut n = 0;
    for (alert, line) in decoded.iter().zip(&lines) {
        assert_eq!(line["sourceId"].as_i64(), Some(alert.source_id));
        for cutout in &alert.cutouts {
            let kind = cutout.kind.as_str();
            let place = format!("{url}#{}_{kind}", alert.source_id);
            assert_eq!(line["cutouts"][kind].as_str(), Some(place.as_str()));
            let stored = store
                .read(lasair_store::CutoutKey {
                    survey: Survey::Ztf,
                    object_id: &alert.object_id.0,
                    source_id: alert.source_id,
                    kind: cutout.kind,
                })
                .expect("read")
                .expect("stored");
            assert!(stored == cutout.data, "{place}");
            n += 1;
        }
    }
    assert!(n >= 3 * alerts.len(), "{n} cutouts");
    assert_eq!(store.count().expect("count"), n as u64);

    // A replay in other batches: the same JSON and not one row more.
    again.extend(["--batch", "7"]);
    let out = run(&again);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_lines(&out.stdout), lines);
    assert_eq!(store.count().expect("count"), n as u64);
}

fn count_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn bad_files_are_named_counted_skipped_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = sim(Survey::Ztf, 5, 5, 3);
    write_files(tmp.path(), &alerts);
    let truncated = &alerts[0].payload[..alerts[0].payload.len() / 2];
    std::fs::write(tmp.path().join("truncated.avro"), truncated).expect("write");
    std::fs::write(tmp.path().join("not-avro.avro"), b"{\"objectId\": 1}\n").expect("write");
    let out = run(&["--survey", "ztf", tmp.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("truncated.avro"), "{stderr}");
    assert!(stderr.contains("not-avro.avro"), "{stderr}");
    assert!(stderr.contains("2 bad"), "{stderr}");
    assert_eq!(
        json_lines(&out.stdout).len(),
        5,
        "the good alerts are not lost"
    );
}

#[test]
fn real_bad_ztf_files_are_rejected_cleanly() {
    let Some(data) = shared_data() else { return };
    let out = run(&[
        "--survey",
        "ztf",
        data.join("ztf/bad").to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for entry in std::fs::read_dir(data.join("ztf/bad"))
        .expect("dir")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".avro") {
            assert!(stderr.contains(&name), "{name} not reported: {stderr}");
        }
    }
}

#[test]
fn real_lsst_wire_payloads_need_and_use_a_schema() {
    let Some(data) = shared_data() else { return };
    let wire = data.join("lsst/alerts/rubin_v10_0/wire");
    let wire = wire.to_str().expect("utf8");
    let out = run(&["--survey", "lsst", &format!("{wire}/*.bin")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no --schema"));
    let schema = data.join("lsst/schema/10/0");
    let out = run(&[
        "--survey",
        "lsst",
        "--schema",
        schema.to_str().expect("utf8"),
        &format!("{wire}/*.bin"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 25);
    assert!(lines
        .iter()
        .all(|l| l["survey"] == "lsst" && l["detection"]["diaSourceId"] == l["sourceId"]));
}

/// Simulated LSST wire messages of each Rubin schema the simulator writes, read with the
/// simulator's schema file and, where `../shared/data` has it, with Rubin's own folder.
#[test]
fn simulated_lsst_payloads_of_each_schema_version_ingest() {
    use lasair_simulator::{lsst_schema_json_of, simulate, LsstSchema, SimConfig};
    for version in LsstSchema::ALL {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("in");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let alerts: Vec<_> = simulate(&SimConfig {
            survey: Survey::Lsst,
            alerts: 60,
            objects: 12,
            seed: 5,
            cutouts: false,
            lsst_schema: version,
        })
        .collect();
        for a in &alerts {
            std::fs::write(dir.join(format!("{}.bin", a.source_id)), &a.payload).expect("write");
        }
        let ours = tmp.path().join("schema.avsc");
        std::fs::write(&ours, lsst_schema_json_of(version)).expect("write");
        let rubins = shared_data().map(|d| {
            d.join(match version {
                LsstSchema::V10_0 => "lsst/schema/10/0",
                LsstSchema::V11_0 => "lsst/schema/11/0",
            })
        });
        for schema in std::iter::once(ours).chain(rubins) {
            let glob = format!("{}/*.bin", dir.display());
            let out = run(&[
                "--survey",
                "lsst",
                "--schema",
                schema.to_str().expect("utf8"),
                &glob,
            ]);
            assert!(
                out.status.success(),
                "{version} with {}: {}",
                schema.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let lines = json_lines(&out.stdout);
            assert_eq!(lines.len(), alerts.len(), "{version}");
            let objects = lines
                .iter()
                .filter(|l| l["alert"]["diaObject"]["g_psfFluxErrMean"].is_number())
                .count();
            assert!(objects > 0, "{version}: no diaObject with g_psfFluxErrMean");
        }
    }
}

#[test]
fn config_file_fills_what_flags_leave_unset() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = tmp.path().join("node.toml");
    std::fs::write(&cfg, "[ingest]\nsurvey = \"lsst\"\nbatch = 7\n").expect("write");
    let out = run(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--batch",
        "9",
        "--print-config",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("survey = \"lsst\"") && text.contains("batch = 9"),
        "{text}"
    );
    std::fs::write(&cfg, "[ingest]\nsurvy = \"lsst\"\n").expect("write");
    let out = run(&["--config", cfg.to_str().expect("utf8"), "--print-config"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a typo in the config is a setup error"
    );
}

#[test]
fn the_example_node_config_is_valid() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../systemd/node.example.toml"
    );
    let out = run(&["--config", example, "--print-config"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("scylla://cassandra1:9042"), "{text}");
}

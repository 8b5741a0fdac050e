//! `lasair-sherlock catalogue add|list|drop` through `run_to`: a real catalogue added with
//! the mapping of catalogues.toml (lasair-context's), listed, dropped, and dropped again.

use std::path::{Path, PathBuf};

use lasair_sherlock::catalogue::cli::{run_to, CatalogueCommand, MappingArgs};

/// The mappings of the real catalogues, beside the engine that loads them.
fn mapping_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/lasair-context/catalogues.toml")
}

#[test]
fn the_cli_adds_lists_and_drops() {
    let Some(file) = lasair_testdata::shared_data("catalogues/veron-test-data.txt") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cats.db");
    let add = CatalogueCommand::Add {
        name: "veron".into(),
        file,
        mapping: MappingArgs {
            map: Some(mapping_file()),
            ..MappingArgs::default()
        },
        no_progress: true,
    };
    let mut out = Vec::new();
    run_to(add, &db, &mut out).expect("add");
    let line: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(
        (line["rows"].as_u64(), line["bad"].as_u64()),
        (Some(50), Some(0))
    );
    let mut out = Vec::new();
    run_to(CatalogueCommand::List, &db, &mut out).expect("list");
    let line: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(line["name"], "veron");
    assert_eq!(line["kind"], "agn");
    assert_eq!(line["rows"], 50);
    assert!(line["source"]
        .as_str()
        .is_some_and(|s| s.ends_with("veron-test-data.txt")));
    let drop = CatalogueCommand::Drop {
        name: "veron".into(),
    };
    run_to(drop.clone(), &db, &mut Vec::new()).expect("drop");
    assert!(
        run_to(drop, &db, &mut Vec::new()).is_err(),
        "nothing left to drop"
    );
}

//! The schedule the repository ships (systemd/lasair-sync-*.{service,timer} and
//! systemd/lasair-sync.cron): every job it runs is a command line lasair-sync takes, each
//! timer starts a service that exists, and cron and the timers run the same jobs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser;

fn systemd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../systemd")
}

/// The arguments of a `lasair-sync ...` command line, checked to parse.
fn job(command: &str, from: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert!(
        words.first().is_some_and(|w| w.ends_with("/lasair-sync")),
        "{from}: {command}"
    );
    if let Err(e) = lasair_sync::Args::try_parse_from(&words) {
        panic!("{from}: `{command}` is not a lasair-sync command line: {e}");
    }
    words[1..].join(" ")
}

#[test]
fn timers_and_cron_run_the_same_jobs_and_each_parses() {
    let mut from_units = BTreeSet::new();
    let mut timers = 0;
    for entry in std::fs::read_dir(systemd()).expect("systemd/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if !name.starts_with("lasair-sync-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("unit");
        if let Some(unit) = name.strip_suffix(".timer") {
            timers += 1;
            assert!(
                systemd().join(format!("{unit}.service")).is_file(),
                "{name} starts no service"
            );
            assert!(text.contains("OnCalendar="), "{name} has no schedule");
        } else if name.ends_with(".service") {
            let exec = text
                .lines()
                .find_map(|l| l.strip_prefix("ExecStart="))
                .unwrap_or_else(|| panic!("{name} has no ExecStart"));
            assert!(text.contains("Type=oneshot"), "{name}");
            from_units.insert(job(exec, &name));
        }
    }
    assert_eq!(timers, from_units.len(), "a service without its timer");
    let cron = std::fs::read_to_string(systemd().join("lasair-sync.cron")).expect("cron");
    let from_cron: BTreeSet<String> = cron
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains('=') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert!(fields.len() > 6, "cron line {l:?}");
            job(&fields[6..].join(" "), "lasair-sync.cron")
        })
        .collect();
    assert_eq!(from_cron, from_units);
    let names: BTreeSet<&str> = from_cron
        .iter()
        .filter_map(|j| j.split(' ').next())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["brokers", "copies", "expire", "stats", "tns"])
    );
}

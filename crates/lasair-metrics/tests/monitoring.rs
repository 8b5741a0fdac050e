//! The operators' side of the repository's `monitoring/` folder, held to the metrics the tools
//! serve: every `lasair_` name the alert rules and the Grafana dashboards use is a family
//! this crate registers, and every family is shown or watched somewhere; the rules pass
//! their unit tests, the dashboards' queries parse, and Prometheus's and Alertmanager's
//! configurations are valid (with promtool and amtool, skipped when absent).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn monitoring() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../monitoring")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The dashboards, each with its queries.
fn dashboards() -> Vec<(PathBuf, Vec<String>)> {
    let mut found = Vec::new();
    let dir = monitoring().join("grafana");
    for entry in std::fs::read_dir(&dir).expect("monitoring/grafana") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let json: serde_json::Value = serde_json::from_str(&read(&path))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut exprs = Vec::new();
            for panel in json["panels"].as_array().expect("panels") {
                let targets = panel["targets"].as_array().expect("a panel's targets");
                assert!(
                    !targets.is_empty(),
                    "{}: a panel without a query",
                    path.display()
                );
                for t in targets {
                    exprs.push(t["expr"].as_str().expect("a query").to_owned());
                }
            }
            found.push((path, exprs));
        }
    }
    assert!(found.len() >= 2, "the pipeline and health dashboards");
    found
}

/// The `lasair_...` names in `text`, a histogram's `_bucket`, `_sum` and `_count` series
/// named by their family.
fn names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("lasair_") {
        let before = rest[..at].chars().last();
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/') {
            let name = &tail[..end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|f| lasair_metrics::FAMILIES.contains(f))
                .unwrap_or(name);
            out.insert(family.to_owned());
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn rules_and_dashboards_name_only_metrics_that_exist_and_watch_them_all() {
    let rules = read(&monitoring().join("rules/lasair.yml"));
    let mut used = names(&rules);
    for (path, exprs) in dashboards() {
        for expr in exprs {
            for name in names(&expr) {
                assert!(
                    lasair_metrics::FAMILIES.contains(&name.as_str()),
                    "{}: {name} is no metric of the tools",
                    path.display()
                );
                used.insert(name);
            }
        }
    }
    for name in names(&rules) {
        assert!(
            lasair_metrics::FAMILIES.contains(&name.as_str()),
            "rules: {name} is no metric of the tools"
        );
    }
    let unwatched: Vec<_> = lasair_metrics::FAMILIES
        .iter()
        .filter(|f| !used.contains(**f))
        .collect();
    assert!(
        unwatched.is_empty(),
        "no rule or dashboard shows {unwatched:?}"
    );
}

/// Runs a checker; None when it is not installed.
fn run(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(_) => {
            eprintln!("skipped: {program} not installed (scripts/test installs it)");
            None
        }
    }
}

fn assert_ok(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_rules_pass_their_tests_and_the_configurations_are_valid() {
    let dir = monitoring();
    let path = |p: &str| dir.join(p).display().to_string();
    if let Some(out) = run("promtool", &["check", "rules", &path("rules/lasair.yml")]) {
        assert_ok("promtool check rules", &out);
        let out = run(
            "promtool",
            &["test", "rules", &path("rules/lasair_test.yml")],
        )
        .expect("promtool");
        assert_ok("promtool test rules", &out);
        let out = run("promtool", &["check", "config", &path("prometheus.yml")]).expect("promtool");
        assert_ok("promtool check config", &out);
    }
    if let Some(out) = run("amtool", &["check-config", &path("alertmanager.yml")]) {
        assert_ok("amtool check-config", &out);
    }
}

#[test]
fn every_dashboard_query_parses() {
    // promtool has no query checker without a server; a recording rule per query makes
    // `check rules` parse each one.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut rules = String::from("groups:\n  - name: dashboards\n    rules:\n");
    let mut n = 0;
    for (_, exprs) in dashboards() {
        for expr in exprs {
            n += 1;
            let quoted = serde_json::to_string(&expr).expect("quote");
            rules.push_str(&format!(
                "      - record: dashboard:query_{n}\n        expr: {quoted}\n"
            ));
        }
    }
    let file = tmp.path().join("queries.yml");
    std::fs::write(&file, rules).expect("write");
    if let Some(out) = run(
        "promtool",
        &["check", "rules", file.to_str().expect("utf8")],
    ) {
        assert_ok("the dashboards' queries", &out);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!("{n} rules found")), "{said}");
    }
}

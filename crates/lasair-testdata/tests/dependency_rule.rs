//! The dependency rule of ARCHITECTURE.md, checked on the workspace's own manifests: a tool
//! never depends on another tool (not even for its tests or its build script), and no crate
//! depends on a tool. Shared code belongs in a crate under `crates/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One workspace package: its name and its folder relative to the workspace root.
#[derive(Debug)]
struct Package {
    name: String,
    dir: PathBuf,
}

/// `cargo metadata --no-deps` of the workspace this crate belongs to.
fn metadata() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/lasair-testdata sits two folders below the workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("running {cargo:?} metadata: {e}"));
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The folder of a manifest or package path, relative to the workspace root.
fn relative_dir(root: &Path, manifest_or_dir: &str) -> PathBuf {
    let path = Path::new(manifest_or_dir);
    let dir = if path.ends_with("Cargo.toml") {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    dir.strip_prefix(root).unwrap_or(dir).to_path_buf()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("cargo metadata: no string {key:?} in {v}"))
}

/// Every dependency that breaks the rule, as a sentence naming both packages.
fn offences(meta: &Value) -> Vec<String> {
    let root = PathBuf::from(str_of(meta, "workspace_root"));
    let none = Vec::new();
    let packages = meta["packages"].as_array().unwrap_or(&none);
    let members: Vec<Package> = packages
        .iter()
        .map(|p| Package {
            name: str_of(p, "name").to_owned(),
            dir: relative_dir(&root, str_of(p, "manifest_path")),
        })
        .collect();
    let mut found = Vec::new();
    for (package, member) in packages.iter().zip(&members) {
        let rule = if member.dir.starts_with("tools") {
            "a tool never depends on another tool"
        } else if member.dir.starts_with("crates") {
            "a crate never depends on a tool"
        } else {
            continue;
        };
        for dep in package["dependencies"].as_array().unwrap_or(&none) {
            let name = str_of(dep, "name");
            // A path dependency names its folder; any other may still be a member, by name.
            let dir = match dep["path"].as_str() {
                Some(path) => relative_dir(&root, path),
                None => match members.iter().find(|m| m.name == name) {
                    Some(m) => m.dir.clone(),
                    None => continue,
                },
            };
            if dir.starts_with("tools") {
                let kind = dep["kind"].as_str().unwrap_or("normal");
                found.push(format!(
                    "{} ({}) has a {kind} dependency on {} ({name}): {rule}",
                    member.dir.display(),
                    member.name,
                    dir.display(),
                ));
            }
        }
    }
    found
}

#[test]
fn no_tool_depends_on_another_tool_and_no_crate_on_a_tool() {
    let found = offences(&metadata());
    assert!(
        found.is_empty(),
        "the dependency rule of ARCHITECTURE.md is broken; move the shared code into a crate:\n{}",
        found.join("\n")
    );
}

/// The checker itself, on the workspace as it was when lasair-ingest's tests used the
/// simulator from tools/lasair-sim, and on a crate that would use a tool.
#[test]
fn the_rule_catches_a_dev_dependency_between_tools_and_a_crate_on_a_tool() {
    let meta = serde_json::json!({
        "workspace_root": "/ws",
        "packages": [
            {"name": "lasair-sim", "manifest_path": "/ws/tools/lasair-sim/Cargo.toml",
             "dependencies": [{"name": "lasair-alert", "kind": null, "path": "/ws/crates/lasair-alert"}]},
            {"name": "lasair-ingest", "manifest_path": "/ws/tools/lasair-ingest/Cargo.toml",
             "dependencies": [
                {"name": "lasair-alert", "kind": null, "path": "/ws/crates/lasair-alert"},
                {"name": "serde", "kind": null},
                {"name": "lasair-sim", "kind": "dev", "path": "/ws/tools/lasair-sim"}]},
            {"name": "lasair-alert", "manifest_path": "/ws/crates/lasair-alert/Cargo.toml",
             "dependencies": [{"name": "lasair-sim", "kind": "build"}]},
        ]
    });
    assert_eq!(
        offences(&meta),
        [
            "tools/lasair-ingest (lasair-ingest) has a dev dependency on tools/lasair-sim (lasair-sim): a tool never depends on another tool",
            "crates/lasair-alert (lasair-alert) has a build dependency on tools/lasair-sim (lasair-sim): a crate never depends on a tool",
        ]
    );
}

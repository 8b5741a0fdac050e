//! lasair-mine with its workers as local processes (`--hosts local`): the protocol, the
//! shards, failing commands and bad input, without an SSH server. The expected answers come
//! from the lightcurve store the test filled, read back directly.

mod common;

use std::collections::BTreeMap;

use common::{mine, objects, run, stderr};

/// Each output line's objectId and its count of lightcurve points.
fn by_object(stdout: &[u8]) -> BTreeMap<String, Vec<usize>> {
    let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let id = v["objectId"].as_str().expect("objectId").to_owned();
        let n = v["lightcurve"].as_array().map_or(0, Vec::len);
        seen.entry(id).or_default().push(n);
    }
    seen
}

#[test]
fn every_objects_full_lightcurve_reaches_the_command_once() {
    let objects = objects(3000, 400, 11);
    let out = run(mine()
        .args([
            "--hosts",
            "local",
            "--processes",
            "2",
            "--survey",
            "ztf",
            "--shard",
            "7",
        ])
        .args(["--lightcurves", &objects.lightcurves, "--run", "cat"])
        .arg("--ids")
        .arg(objects.ids_file()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = by_object(&out.stdout);
    let expected: BTreeMap<String, Vec<usize>> = objects
        .points
        .iter()
        .map(|(id, n)| (id.clone(), vec![*n]))
        .collect();
    assert_eq!(seen, expected, "each object once, with every stored point");
    assert!(
        objects.points.values().any(|&n| n > 30),
        "some lightcurves are longer than one alert carries"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{} objects in", objects.points.len())),
        "{err}"
    );
}

#[test]
fn a_failing_command_names_the_object_and_its_error_output_and_the_rest_go_on() {
    let objects = objects(600, 120, 12);
    let victim = objects.points.keys().nth(17).expect("objects").clone();
    let command = format!(
        r#"input=$(cat); case "$input" in *'"objectId":"{victim}"'*) echo "fit diverged" >&2; echo "on this one" >&2; exit 3;; esac; printf '%s\n' "$input""#
    );
    let out = run(mine()
        .args([
            "--hosts",
            "local",
            "--processes",
            "3",
            "--survey",
            "ztf",
            "--shard",
            "10",
        ])
        .args(["--lightcurves", &objects.lightcurves, "--run", &command])
        .arg("--ids")
        .arg(objects.ids_file()));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "object {victim}: the command failed (exit status: 3)"
        )),
        "{err}"
    );
    assert!(err.contains("fit diverged\n  on this one"), "{err}");
    assert!(err.contains("1 failed"), "{err}");
    let seen = by_object(&out.stdout);
    let mut expected: BTreeMap<String, Vec<usize>> = objects
        .points
        .iter()
        .map(|(id, n)| (id.clone(), vec![*n]))
        .collect();
    expected.remove(&victim);
    assert_eq!(seen, expected, "every other object's result, once");
}

#[test]
fn ids_are_checked_before_use_and_unknown_objects_reported() {
    let objects = objects(200, 40, 13);
    let ids = objects.dir.path().join("ids.txt");
    let known = objects.points.keys().next().expect("an object").clone();
    std::fs::write(
        &ids,
        format!("{known}\n../../etc/passwd\nZTF99zzzzzzz\n{known}\n"),
    )
    .expect("ok");
    let out = run(mine()
        .args(["--hosts", "local", "--survey", "ztf", "--run", "cat"])
        .args(["--lightcurves", &objects.lightcurves])
        .arg("--ids")
        .arg(&ids));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 2: objectId is \"../../etc/passwd\""),
        "{err}"
    );
    assert!(
        err.contains("object ZTF99zzzzzzz: no lightcurve in the store"),
        "{err}"
    );
    assert_eq!(by_object(&out.stdout).keys().collect::<Vec<_>>(), [&known]);
}

#[test]
fn csv_output_to_a_file() {
    let objects = objects(300, 50, 14);
    let file = objects.dir.path().join("out.csv");
    let command =
        r#"sed 's/^{"survey":"ztf","objectId":"\([A-Za-z0-9]*\)".*/{"objectId":"\1","ok":true}/'"#;
    let out = run(mine()
        .args(["--hosts", "local", "--survey", "ztf", "--format", "csv"])
        .args(["--lightcurves", &objects.lightcurves, "--run", command])
        .arg("--ids")
        .arg(objects.ids_file())
        .arg("--output")
        .arg(&file));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).expect("ok");
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.remove(0), "objectId,ok");
    lines.sort_unstable();
    let expected: Vec<String> = objects
        .points
        .keys()
        .map(|id| format!("{id},true"))
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn a_worker_that_cannot_start_leaves_the_objects_undone_with_a_clear_error() {
    let objects = objects(50, 10, 15);
    let out = run(mine()
        .args(["--hosts", "local", "--survey", "ztf", "--run", "cat"])
        .args(["--lightcurves", "nosuch://x"])
        .arg("--ids")
        .arg(objects.ids_file()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("local: lost: the worker: opening the lightcurve store nosuch://x"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} objects were not mined", objects.points.len())),
        "{err}"
    );
}

#[test]
fn usage_errors_name_what_is_missing() {
    let out = run(mine().args([
        "--hosts",
        "local",
        "--run",
        "cat",
        "--lightcurves",
        "sqlite:x",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("give --survey"), "{}", stderr(&out));
    let out = run(mine().args([
        "--survey",
        "lsst",
        "--hosts",
        "local",
        "--run",
        "features",
        "--lightcurves",
        "sqlite:x",
    ]));
    assert!(stderr(&out).contains("diaObject"), "{}", stderr(&out));
    let out = run(mine().args([
        "--survey",
        "ztf",
        "--hosts",
        "local",
        "--run",
        "cat",
        "--lightcurves",
        "sqlite:x",
        "--upsert",
    ]));
    assert!(
        stderr(&out).contains("--upsert writes the rows of --run features"),
        "{}",
        stderr(&out)
    );
    let out = run(mine().args([
        "--survey",
        "ztf",
        "--hosts",
        "a b",
        "--run",
        "cat",
        "--lightcurves",
        "sqlite:x",
    ]));
    assert!(stderr(&out).contains("host \"a b\""), "{}", stderr(&out));
}

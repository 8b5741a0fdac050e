//! lasair-mine over real OpenSSH servers (scripts/test starts three on 127.0.0.1, each with
//! its own throw-away host key): 10,000 objects over 3 hosts x 2 processes with one host's
//! sshd killed mid-run, a hung host, host keys that do not match, hosts that cannot be
//! reached, and SIGTERM. Skips when LASAIR_TEST_SSH is unset. The tests here run one at a
//! time: they kill and stop the servers' session processes.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{descendants, objects, ssh, stderr, Objects, Ssh};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Prints each object's id and count of lightcurve points, one JSON line per input line.
const COUNT_POINTS: &str = r#"awk '{ n = gsub(/"kind":/, "&"); match($0, /"objectId":"[A-Za-z0-9]*"/); print "{" substr($0, RSTART, RLENGTH) ",\"points\":" n "}" }'"#;

/// Each output line's objectId and the point counts it came with.
fn by_object(lines: &[String]) -> BTreeMap<String, Vec<u64>> {
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let id = v["objectId"].as_str().expect("objectId").to_owned();
        seen.entry(id)
            .or_default()
            .push(v["points"].as_u64().expect("points"));
    }
    seen
}

fn expected(objects: &Objects) -> BTreeMap<String, Vec<u64>> {
    objects
        .points
        .iter()
        .map(|(id, n)| (id.clone(), vec![*n as u64]))
        .collect()
}

/// A running lasair-mine whose output lines are collected as they come.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(cmd: &mut std::process::Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lasair-mine");
        let out = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                kept.lock().expect("lock").push(line.expect("a line"));
            }
        });
        Running {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// Waits until `n` lines have come (or the run ended).
    fn wait_for(&mut self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.lines.lock().expect("lock").len() < n && Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The exit code, every output line, and the error output.
    fn end(mut self) -> (Option<i32>, Vec<String>, String) {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut err).expect("stderr");
        }
        let status = self.child.wait().expect("exit");
        if let Some(r) = self.reader.take() {
            r.join().expect("reader");
        }
        let lines = std::mem::take(&mut *self.lines.lock().expect("lock"));
        (status.code(), lines, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` to every process serving sessions of the server `pid` (its sshd session
/// processes, the workers under them and their commands), leaving the listener itself.
fn signal_sessions(pid: u32, signal: &str) -> usize {
    let all = descendants(pid);
    if !all.is_empty() {
        let pids: Vec<String> = all.iter().map(u32::to_string).collect();
        let _ = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .args(&pids)
            .status();
    }
    all.len()
}

fn workers_under(ssh: &Ssh) -> usize {
    ssh.pids
        .iter()
        .flat_map(|&p| descendants(p))
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|w| w == b"worker"))
        })
        .count()
}

#[test]
fn ten_thousand_objects_over_three_hosts_each_result_once_though_one_host_dies() {
    let Some(ssh) = ssh("ten_thousand_objects_over_three_hosts") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let objects = objects(25_000, 10_500, 21);
    assert!(
        objects.points.len() >= 10_000,
        "{} objects",
        objects.points.len()
    );
    let mut run = Running::start(
        ssh.mine()
            .args(["--hosts", &ssh.hosts[..3].join(","), "--processes", "2"])
            .args(["--survey", "ztf", "--shard", "50", "--timeout", "20"])
            .args(["--lightcurves", &objects.lightcurves, "--run", COUNT_POINTS])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    run.wait_for(objects.points.len() / 5);
    let killed = signal_sessions(ssh.pids[0], "KILL");
    assert!(killed > 0, "the first host was serving the run");
    let (code, lines, err) = run.end();
    assert_eq!(code, Some(1), "a lost host is reported: {err}");
    let host = &ssh.hosts[0];
    assert!(err.contains(&format!("{host}: lost: ")), "{err}");
    let seen = by_object(&lines);
    let twice: Vec<_> = seen.iter().filter(|(_, v)| v.len() > 1).take(5).collect();
    assert!(twice.is_empty(), "results more than once: {twice:?}");
    assert_eq!(
        seen,
        expected(&objects),
        "every object once, with all its points"
    );
    let hosts_seen = ssh.hosts[1..3].iter().all(|h| err.contains(h.as_str()));
    assert!(hosts_seen, "the other hosts did the rest: {err}");
}

#[test]
fn a_hung_host_times_out_and_its_shards_run_elsewhere() {
    let Some(ssh) = ssh("a_hung_host_times_out") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let objects = objects(3000, 1000, 22);
    let mut run = Running::start(
        ssh.mine()
            .args(["--hosts", &ssh.hosts[..2].join(","), "--processes", "2"])
            .args(["--survey", "ztf", "--shard", "20", "--timeout", "3"])
            .args(["--lightcurves", &objects.lightcurves])
            .args(["--run", &format!("sleep 0.05; {COUNT_POINTS}")])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    run.wait_for(100);
    let stopped = signal_sessions(ssh.pids[1], "STOP");
    assert!(stopped > 0, "the second host was serving the run");
    let (code, lines, err) = run.end();
    // The stopped processes are let go (and their connections are already closed).
    signal_sessions(ssh.pids[1], "CONT");
    assert_eq!(code, Some(1), "{err}");
    let lost = format!("{}: lost: no word from the worker for 3 s", ssh.hosts[1]);
    assert!(err.contains(&lost), "{err}");
    assert_eq!(by_object(&lines), expected(&objects), "every object once");
}

/// A known_hosts file whose line for `wrong` carries another host's key.
fn swapped_known_hosts(ssh: &Ssh, dir: &std::path::Path, wrong: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&ssh.known_hosts).expect("known_hosts");
    let lines: Vec<&str> = text.lines().collect();
    let port = wrong.rsplit(':').next().expect("port");
    let key_of = |l: &str| l.split_once(' ').map(|(_, k)| k.to_owned()).expect("a key");
    let other = lines
        .iter()
        .find(|l| !l.contains(&format!("]:{port} ")))
        .map(|l| key_of(l))
        .expect("another host");
    let swapped: String = lines
        .iter()
        .map(|l| {
            if l.contains(&format!("]:{port} ")) {
                format!("[127.0.0.1]:{port} {other}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let path = dir.join("known_hosts_swapped");
    std::fs::write(&path, swapped).expect("write");
    path
}

#[test]
fn a_host_whose_key_does_not_match_is_refused_and_the_others_do_the_work() {
    let Some(ssh) = ssh("a_host_whose_key_does_not_match") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let objects = objects(400, 100, 23);
    let wrong = &ssh.hosts[0];
    let known = swapped_known_hosts(&ssh, objects.dir.path(), wrong);
    let out = common::run(
        ssh.mine_with(&known, env!("CARGO_BIN_EXE_lasair-mine"))
            .args(["--hosts", &ssh.hosts[..2].join(","), "--survey", "ztf"])
            .args(["--lightcurves", &objects.lightcurves, "--run", COUNT_POINTS])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{wrong}: lost: REFUSED: its host key (ssh-ed25519 key SHA256:"
        )) && err.contains(&format!("is not the one {} lists for it", known.display())),
        "{err}"
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(by_object(&lines), expected(&objects));

    // A host known_hosts does not list at all is refused too, and nothing runs without hosts.
    let only_other: String = std::fs::read_to_string(&ssh.known_hosts)
        .expect("ok")
        .lines()
        .filter(|l| !l.contains(&format!("]:{} ", wrong.rsplit(':').next().expect("ok"))))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&known, only_other).expect("ok");
    let out = common::run(
        ssh.mine_with(&known, env!("CARGO_BIN_EXE_lasair-mine"))
            .args(["--hosts", wrong, "--survey", "ztf"])
            .args(["--lightcurves", &objects.lightcurves, "--run", COUNT_POINTS])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("is not in {}", known.display())),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unreachable_hosts_and_missing_programs_are_named() {
    let Some(ssh) = ssh("unreachable_hosts_and_missing_programs") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let objects = objects(200, 50, 24);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("ok");
        l.local_addr().expect("ok").port()
    };
    let out = common::run(
        ssh.mine()
            .args(["--hosts", &format!("127.0.0.1:{closed},{}", ssh.hosts[0])])
            .args([
                "--survey",
                "ztf",
                "--lightcurves",
                &objects.lightcurves,
                "--run",
                COUNT_POINTS,
            ])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "127.0.0.1:{closed}: lost: connecting to 127.0.0.1:{closed}: Connection refused"
        )),
        "{err}"
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(by_object(&lines), expected(&objects));

    let out = common::run(
        ssh.mine_with(&ssh.known_hosts, "/nonexistent/lasair-mine")
            .args(["--hosts", &ssh.hosts[0]])
            .args([
                "--survey",
                "ztf",
                "--lightcurves",
                &objects.lightcurves,
                "--run",
                "cat",
            ])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the worker ended before it was ready")
            && err.contains("/nonexistent/lasair-mine"),
        "{err}"
    );
    assert!(err.contains("give --remote-bin PATH"), "{err}");
}

#[test]
fn sigterm_finishes_the_shards_out_and_stops_the_workers() {
    let Some(ssh) = ssh("sigterm_finishes_the_shards_out") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let objects = objects(2000, 600, 25);
    let mut run = Running::start(
        ssh.mine()
            .args(["--hosts", &ssh.hosts[0], "--processes", "2"])
            .args([
                "--survey",
                "ztf",
                "--shard",
                "10",
                "--lightcurves",
                &objects.lightcurves,
            ])
            .args(["--run", &format!("sleep 0.2; {COUNT_POINTS}")])
            .arg("--ids")
            .arg(objects.ids_file()),
    );
    run.wait_for(30);
    let pid = run.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("ok")
        .success());
    let (code, lines, err) = run.end();
    assert_eq!(code, Some(1), "{err}");
    let seen = by_object(&lines);
    assert!(seen.len() < objects.points.len(), "stopped before the end");
    assert!(
        seen.len().is_multiple_of(10),
        "whole shards only: {}",
        seen.len()
    );
    assert!(seen.values().all(|v| v.len() == 1));
    let left = objects.points.len() - seen.len();
    assert!(
        err.contains(&format!("stopped: {left} objects not mined")),
        "{err}"
    );
    // The workers saw their input end and exited.
    let deadline = Instant::now() + Duration::from_secs(10);
    while workers_under(&ssh) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(workers_under(&ssh), 0, "no worker is left running");
}

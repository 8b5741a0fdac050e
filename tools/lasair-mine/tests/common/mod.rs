//! What the mining tests share: simulated objects in a SQLite lightcurve store, the SSH
//! servers scripts/test starts, and running lasair-mine.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lasair_alert::{Decoder, Survey};
use lasair_simulator::{simulate, SimConfig};
use lasair_store::lightcurve::SqliteLightcurves;
use lasair_store::LightcurveStore;

/// The lasair-mine binary.
pub fn mine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lasair-mine"))
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run lasair-mine")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Simulated ZTF objects whose lightcurves are in a SQLite store: what lasair-ingest would
/// have stored for their alerts.
pub struct Objects {
    pub dir: tempfile::TempDir,
    /// `sqlite:PATH` of the store.
    pub lightcurves: String,
    /// Each object and its count of stored points.
    pub points: BTreeMap<String, usize>,
}

impl Objects {
    /// A file of the objects' ids, one a line.
    pub fn ids_file(&self) -> PathBuf {
        let path = self.dir.path().join("ids.txt");
        let text: String = self.points.keys().map(|id| format!("{id}\n")).collect();
        std::fs::write(&path, text).expect("write ids");
        path
    }
}

/// `alerts` simulated ZTF alerts of about `objects` objects, decoded and stored as ingest
/// stores them.
pub fn objects(alerts: usize, objects: usize, seed: u64) -> Objects {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lc.db");
    let mut store = SqliteLightcurves::open(&path).expect("store");
    let decoder = Decoder::new(Survey::Ztf, None);
    let sim = simulate(&SimConfig {
        survey: Survey::Ztf,
        alerts,
        objects,
        seed,
        cutouts: false,
        ..SimConfig::default()
    });
    let mut batch = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for a in sim {
        for alert in decoder.decode(&a.payload) {
            let alert = alert.expect("a simulated alert decodes");
            ids.insert(alert.object_id.0.clone());
            batch.push(alert);
        }
        if batch.len() >= 2000 {
            store.upsert(&batch).expect("upsert");
            batch.clear();
        }
    }
    store.upsert(&batch).expect("upsert");
    let mut points = BTreeMap::new();
    for id in ids {
        let n = store
            .lightcurve(Survey::Ztf, &lasair_alert::ObjectId(id.clone()))
            .expect("read back")
            .len();
        points.insert(id, n);
    }
    Objects {
        lightcurves: format!("sqlite:{}", path.display()),
        dir,
        points,
    }
}

/// The SSH servers scripts/test starts (scripts/lib/services.sh, start_sshd).
pub struct Ssh {
    /// `127.0.0.1:PORT` of each server.
    pub hosts: Vec<String>,
    pub key: PathBuf,
    pub known_hosts: PathBuf,
    /// Each server's process id, in the order of `hosts`.
    pub pids: Vec<u32>,
}

/// The SSH servers, or `None` (with the skip line) when the test runs without them.
pub fn ssh(test: &str) -> Option<Ssh> {
    let Ok(hosts) = std::env::var("LASAIR_TEST_SSH") else {
        eprintln!(
            "skipped: {test}: LASAIR_TEST_SSH is not set (scripts/test starts OpenSSH servers)"
        );
        return None;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    Some(Ssh {
        hosts: hosts.split(',').map(str::to_owned).collect(),
        key: var("LASAIR_TEST_SSH_KEY").into(),
        known_hosts: var("LASAIR_TEST_SSH_KNOWN_HOSTS").into(),
        pids: var("LASAIR_TEST_SSH_PIDS")
            .split(',')
            .map(|p| p.parse().expect("a pid"))
            .collect(),
    })
}

impl Ssh {
    /// lasair-mine reaching these servers with their key, known_hosts and this build as the
    /// remote binary.
    pub fn mine(&self) -> Command {
        self.mine_with(&self.known_hosts, env!("CARGO_BIN_EXE_lasair-mine"))
    }

    /// As [`Ssh::mine`] with another known_hosts file and remote binary.
    pub fn mine_with(&self, known_hosts: &Path, remote_bin: &str) -> Command {
        let mut cmd = mine();
        cmd.arg("--identity")
            .arg(&self.key)
            .arg("--known-hosts")
            .arg(known_hosts)
            .arg("--remote-bin")
            .arg(remote_bin);
        cmd
    }
}

/// Every descendant of process `pid` (from /proc), children before their children.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The parent is the second field after the command's closing parenthesis.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((child, ppid));
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// The lasair-filter binary beside this one (scripts/test builds the workspace first).
pub fn sibling(tool: &str, test: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_lasair-mine")).with_file_name(tool);
    if path.exists() {
        return Some(path);
    }
    eprintln!(
        "skipped: {test}: {} is not built (cargo build -p {tool})",
        path.display()
    );
    None
}

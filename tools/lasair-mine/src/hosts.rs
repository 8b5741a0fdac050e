//! The workers: `--hosts h1,h2:2222,local` or a hosts file of `host[:port] [processes]` lines.
//! `local` runs the workers as processes on this machine, without SSH.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context};

/// The SSH port when none is given.
pub const SSH_PORT: u16 = 22;

/// Where a worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A process on this machine.
    Local,
    /// A machine reached over SSH.
    Ssh { name: String, port: u16 },
}

/// A host and how many worker processes it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub place: Place,
    pub processes: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Local => f.write_str("local"),
            Place::Ssh { name, port } if *port == SSH_PORT => f.write_str(name),
            Place::Ssh { name, port } if name.contains(':') => write!(f, "[{name}]:{port}"),
            Place::Ssh { name, port } => write!(f, "{name}:{port}"),
        }
    }
}

impl Place {
    /// Reads `local`, `NAME`, `NAME:PORT` or `[IPV6]:PORT`. A name is letters, digits, dots,
    /// hyphens and underscores (or an IPv6 address in brackets): nothing a resolver or a
    /// message could take for something else.
    pub fn parse(text: &str) -> anyhow::Result<Place> {
        let bad = |why: &str| anyhow::anyhow!("host {text:?}: {why}");
        if text == "local" {
            return Ok(Place::Local);
        }
        let (name, port) = if let Some(rest) = text.strip_prefix('[') {
            let (v6, after) = rest.split_once(']').ok_or_else(|| bad("no closing ]"))?;
            if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                return Err(bad("not an IPv6 address in brackets"));
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("expected :PORT after ]"))?,
                ),
            };
            (v6, port)
        } else {
            match text.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (text, None),
            }
        };
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 253
                && !n.starts_with('-')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        };
        if !name_ok(name) {
            return Err(bad(
                "a host is a name or an address (letters, digits, . - _)",
            ));
        }
        let port = match port {
            None => SSH_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
        };
        Ok(Place::Ssh {
            name: name.to_owned(),
            port,
        })
    }
}

/// The hosts of `--hosts` (comma-separated), each with `processes` processes.
pub fn from_list(list: &str, processes: usize) -> anyhow::Result<Vec<Host>> {
    let hosts = list
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            Ok(Host {
                place: Place::parse(h)?,
                processes,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if hosts.is_empty() {
        bail!("--hosts names no host");
    }
    Ok(hosts)
}

/// The hosts of a hosts file: a `host[:port] [processes]` line each (`processes` defaulting
/// to `processes`); blank lines and `#` comments are skipped.
pub fn from_file(path: &Path, processes: usize) -> anyhow::Result<Vec<Host>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("hosts file {}", path.display()))?;
    let mut hosts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("hosts file {} line {}", path.display(), i + 1);
        let mut words = line.split_whitespace();
        let place = Place::parse(words.next().unwrap_or("")).with_context(at)?;
        let processes = match words.next() {
            None => processes,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|&n| (1..=1024).contains(&n))
                .with_context(|| format!("{}: processes {n:?} is not 1 to 1024", at()))?,
        };
        if let Some(extra) = words.next() {
            bail!(
                "{}: unexpected {extra:?} (a line is `host[:port] [processes]`)",
                at()
            );
        }
        hosts.push(Host { place, processes });
    }
    if hosts.is_empty() {
        bail!("hosts file {} names no host", path.display());
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_read_with_their_ports() {
        let hosts = from_list("node1, node2:2222,local,[::1]:2200,10.0.0.5", 2).expect("ok");
        let shown: Vec<String> = hosts.iter().map(|h| h.place.to_string()).collect();
        assert_eq!(
            shown,
            ["node1", "node2:2222", "local", "[::1]:2200", "10.0.0.5"]
        );
        assert!(hosts.iter().all(|h| h.processes == 2));
        for bad in [
            "a b",
            "-oProxyCommand=x",
            "h:0",
            "h:99999",
            "h:x",
            "[zz]:1",
            "h;rm",
            "",
        ] {
            let err = from_list(bad, 1).expect_err(bad);
            assert!(err.to_string().contains("host"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_hosts_file_gives_processes_per_host() {
        let dir = tempfile::tempdir().expect("ok");
        let path = dir.path().join("hosts");
        std::fs::write(
            &path,
            "# workers\nnode1 8\n\nnode2:2222   # default\nlocal 2\n",
        )
        .expect("ok");
        let hosts = from_file(&path, 1).expect("ok");
        let got: Vec<(String, usize)> = hosts
            .iter()
            .map(|h| (h.place.to_string(), h.processes))
            .collect();
        assert_eq!(
            got,
            [
                ("node1".into(), 8),
                ("node2:2222".into(), 1),
                ("local".into(), 2)
            ]
        );
        std::fs::write(&path, "node1 0\n").expect("ok");
        let err = format!("{:#}", from_file(&path, 1).expect_err("an error"));
        assert!(err.contains("line 1") && err.contains("processes"), "{err}");
        std::fs::write(&path, "node1 2 3\n").expect("ok");
        assert!(from_file(&path, 1).is_err());
    }
}

//! A worker on another machine, over SSH (libssh2 through the `ssh2` crate): key
//! authentication only, and the host's key checked against known_hosts before anything is
//! sent. The worker's error output is merged into its output, so a remote shell's complaint
//! ("lasair-mine: command not found") reaches the user.

use std::io::{self, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::Engine;
use ssh2::{CheckResult, ExtendedData, HashType, HostKeyType, KnownHostFileKind, MethodType};

use super::{read_line, timed_out, Link, Reach};

/// Host key algorithms in OpenSSH's order of preference, so the key the server shows is the
/// kind `ssh` would have recorded in known_hosts.
const HOST_KEY_ORDER: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
                              ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa";

/// The keys tried, in order, when no `--identity` is given and no agent has one.
const DEFAULT_KEYS: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];

/// A worker over an SSH session's channel.
pub struct Ssh {
    session: ssh2::Session,
    channel: BufReader<ssh2::Channel>,
    timeout: std::time::Duration,
}

/// Connects to `name:port`, checks its host key, logs in with a key and starts the worker.
pub fn start(name: &str, port: u16, reach: &Reach) -> anyhow::Result<Box<dyn Link>> {
    let tcp = connect(name, port, reach)?;
    let mut session = ssh2::Session::new().context("starting an SSH session")?;
    session.set_tcp_stream(tcp);
    session.set_timeout(u32::try_from(reach.timeout.as_millis()).unwrap_or(u32::MAX));
    // An algorithm this libssh2 lacks is left out by it; none at all keeps its defaults.
    let _ = session.method_pref(MethodType::HostKey, HOST_KEY_ORDER);
    session.handshake().context("the SSH handshake")?;
    check_host_key(&session, name, port, &reach.known_hosts)?;
    let user = reach
        .user
        .as_deref()
        .context("give --user: the local user's name is not known (no USER or LOGNAME)")?;
    authenticate(&session, user, reach.identity.as_deref())?;
    let mut channel = session.channel_session().context("opening a channel")?;
    channel
        .handle_extended_data(ExtendedData::Merge)
        .context("merging the worker's error output")?;
    let bin = reach.remote_bin.as_deref().unwrap_or("lasair-mine");
    channel
        .exec(&format!("{} worker", shell_quote(bin)))
        .context("starting the worker")?;
    Ok(Box::new(Ssh {
        session,
        channel: BufReader::with_capacity(1 << 16, channel),
        timeout: reach.timeout,
    }))
}

fn connect(name: &str, port: u16, reach: &Reach) -> anyhow::Result<TcpStream> {
    let addrs: Vec<_> = (name, port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {name}"))?
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, reach.timeout) {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Err(e) => last = Some(anyhow::Error::new(e).context(format!("connecting to {addr}"))),
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("{name} has no address")))
}

/// Refuses a host whose key is not the one known_hosts lists for it.
fn check_host_key(
    session: &ssh2::Session,
    name: &str,
    port: u16,
    known_hosts: &Path,
) -> anyhow::Result<()> {
    let (key, kind) = session
        .host_key()
        .context("the server showed no host key")?;
    let fingerprint = session
        .host_key_hash(HashType::Sha256)
        .map(|h| base64::engine::general_purpose::STANDARD_NO_PAD.encode(h))
        .unwrap_or_default();
    let shown = format!("{} key SHA256:{fingerprint}", kind_name(kind));
    let mut known = session.known_hosts().context("reading known hosts")?;
    known
        .read_file(known_hosts, KnownHostFileKind::OpenSSH)
        .with_context(|| {
            format!(
                "known_hosts file {} could not be read, so the host's {shown} cannot be checked",
                known_hosts.display()
            )
        })?;
    let file = known_hosts.display();
    match known.check_port(name, port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => bail!(
            "REFUSED: its host key ({shown}) is not the one {file} lists for it; \
             someone may be in the middle, or the host was reinstalled (then replace its line)"
        ),
        CheckResult::NotFound => bail!(
            "REFUSED: its host key ({shown}) is not in {file}; check it and add it \
             (ssh-keyscan -p {port} {name} >> {file})"
        ),
        CheckResult::Failure => bail!("REFUSED: its host key ({shown}) could not be checked"),
    }
}

fn kind_name(kind: HostKeyType) -> &'static str {
    match kind {
        HostKeyType::Ed25519 => "ssh-ed25519",
        HostKeyType::Rsa => "ssh-rsa",
        HostKeyType::Dss => "ssh-dss",
        HostKeyType::Ecdsa256 => "ecdsa-sha2-nistp256",
        HostKeyType::Ecdsa384 => "ecdsa-sha2-nistp384",
        HostKeyType::Ecdsa521 => "ecdsa-sha2-nistp521",
        HostKeyType::Unknown => "unknown",
    }
}

/// Logs in as `user` with the given key, else with the agent's keys, else with the default
/// keys of ~/.ssh. No password is ever tried.
fn authenticate(
    session: &ssh2::Session,
    user: &str,
    identity: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(key) = identity {
        session
            .userauth_pubkey_file(user, None, key, None)
            .with_context(|| format!("logging in as {user} with the key {}", key.display()))?;
        return Ok(());
    }
    let mut tried = Vec::new();
    if session.userauth_agent(user).is_ok() && session.authenticated() {
        return Ok(());
    }
    tried.push("the SSH agent's keys".to_owned());
    for key in default_keys() {
        if session.userauth_pubkey_file(user, None, &key, None).is_ok() && session.authenticated() {
            return Ok(());
        }
        tried.push(key.display().to_string());
    }
    bail!(
        "logging in as {user} failed (tried {}); give --identity KEYFILE",
        tried.join(", ")
    )
}

fn default_keys() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let ssh = PathBuf::from(home).join(".ssh");
    DEFAULT_KEYS
        .iter()
        .map(|k| ssh.join(k))
        .filter(|k| k.exists())
        .collect()
}

/// A word the remote shell reads back as exactly `word`.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl Link for Ssh {
    fn send(&mut self, line: &[u8]) -> io::Result<()> {
        let channel = self.channel.get_mut();
        channel.write_all(line)?;
        channel.flush()
    }

    fn recv(&mut self, line: &mut Vec<u8>) -> io::Result<bool> {
        read_line(&mut self.channel, line).map_err(|e| match e.kind() {
            io::ErrorKind::TimedOut => timed_out(self.timeout),
            _ => e,
        })
    }

    fn finish(mut self: Box<Self>) -> io::Result<Option<i32>> {
        self.channel.get_mut().send_eof()?;
        // Whatever the worker still writes is read (so it can finish), then dropped.
        io::copy(&mut self.channel, &mut io::sink())?;
        let channel = self.channel.get_mut();
        channel.wait_close()?;
        Ok(channel.exit_status().ok())
    }
}

impl Drop for Ssh {
    fn drop(&mut self) {
        let _ = self.session.disconnect(
            Some(ssh2::DisconnectCode::ByApplication),
            "lasair-mine done",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_survive_the_shell() {
        for word in [
            "lasair-mine",
            "/opt/my bin/lasair-mine",
            "it's",
            "$(rm -rf ~)",
            "a\"b",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(word)))
                .output()
                .expect("ok");
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }
}

//! What the CQL stores (lightcurves, cutouts) share: the URL, the connection, the keyspace.
//!
//! URL: `cql://HOST:PORT[,HOST:PORT...]/KEYSPACE[?replication=N&...]` (`scylla://` is the same).
//! Opening creates the keyspace (SimpleStrategy, replication factor N, default 1) if missing.
//! A store may take parameters of its own (the cutouts' `ttl_days`); any other is refused.

use std::collections::BTreeMap;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;
use tokio::runtime::Runtime;

/// How many writes a store keeps in flight at once: enough to hide round trips, few enough
/// not to overload a node.
pub const IN_FLIGHT: usize = 64;

/// The schemes a CQL store's URL may start with.
const SCHEMES: [&str; 2] = ["cql://", "scylla://"];

/// Whether `url` names a CQL store.
pub fn is_cql_url(url: &str) -> bool {
    SCHEMES.iter().any(|s| url.starts_with(s))
}

/// Where to connect, read from the URL.
#[derive(Debug)]
pub struct Target {
    pub hosts: Vec<String>,
    pub keyspace: String,
    pub replication: u32,
    /// The store's own parameters (among `allowed`), as given.
    pub params: BTreeMap<String, String>,
}

impl Target {
    /// Reads `url`; `allowed` names the parameters the store takes besides `replication`.
    pub fn parse(url: &str, allowed: &[&str]) -> Result<Self, String> {
        let rest = SCHEMES
            .iter()
            .find_map(|s| url.strip_prefix(s))
            .ok_or("expected cql://HOST:PORT/KEYSPACE")?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hosts, keyspace) = rest.split_once('/').ok_or("no /KEYSPACE after the hosts")?;
        let hosts: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        if hosts.is_empty() {
            return Err("no HOST:PORT".into());
        }
        // The keyspace is spliced into CQL text, so only plain identifiers are accepted.
        let valid = keyspace.len() <= 48
            && keyspace.starts_with(|c: char| c.is_ascii_alphabetic())
            && keyspace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "keyspace {keyspace:?} is not a letter then up to 47 letters, digits, _"
            ));
        }
        let mut replication = 1;
        let mut params = BTreeMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("replication", n)) => {
                    replication = n
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or(format!("replication={n}: expected a positive integer"))?;
                }
                Some((name, value)) if allowed.contains(&name) => {
                    params.insert(name.to_owned(), value.to_owned());
                }
                _ => {
                    let mut known = vec!["replication=N".to_owned()];
                    known.extend(allowed.iter().map(|a| format!("{a}=...")));
                    return Err(format!(
                        "unknown parameter {pair:?} (expected {})",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(Self {
            hosts,
            keyspace: keyspace.to_owned(),
            replication,
            params,
        })
    }
}

/// The runtime a synchronous CQL store blocks on.
pub fn runtime() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting the tokio runtime: {e}"))
}

/// Connects, creates the keyspace if missing, then runs `ddl` (each `{ks}` replaced by the
/// keyspace).
pub async fn connect(target: &Target, ddl: &[&str]) -> Result<Session, String> {
    let session = SessionBuilder::new()
        .known_nodes(&target.hosts)
        .build()
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let ks = &target.keyspace;
    let create_keyspace = format!(
        "CREATE KEYSPACE IF NOT EXISTS {ks} WITH REPLICATION = {{'class': 'SimpleStrategy', 'replication_factor': {}}}",
        target.replication
    );
    let ddl = std::iter::once(create_keyspace).chain(ddl.iter().map(|d| d.replace("{ks}", ks)));
    for cql in ddl {
        session
            .query_unpaged(cql.as_str(), &[])
            .await
            .map_err(|e| format!("{cql}: {e}"))?;
    }
    Ok(session)
}

/// Prepares `cql`, the statement named in the error.
pub async fn prepare(session: &Session, cql: String) -> Result<PreparedStatement, String> {
    session
        .prepare(cql.as_str())
        .await
        .map_err(|e| format!("preparing {cql}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn reads_hosts_keyspace_replication_and_the_stores_own_parameters() {
        let t = Target::parse("scylla://a:9042,b:9042/lasair?replication=3", &[]).expect("valid");
        assert_eq!(t.hosts, ["a:9042", "b:9042"]);
        assert_eq!((t.keyspace.as_str(), t.replication), ("lasair", 3));
        let t = Target::parse("cql://127.0.0.1:9042/lc", &[]).expect("valid");
        assert_eq!((t.keyspace.as_str(), t.replication), ("lc", 1));
        let t = Target::parse("cql://h:9042/c?ttl_days=30&replication=2", &["ttl_days"])
            .expect("valid");
        assert_eq!(t.params["ttl_days"], "30");
        assert_eq!(t.replication, 2);
    }

    #[test]
    fn refuses_what_cannot_be_spliced_into_cql() {
        for url in [
            "scylla://h:9042",
            "scylla:///ks",
            "scylla://h:9042/ks;DROP",
            "cql://h:9042/1ks",
            "scylla://h:9042/ks?replication=0",
            "scylla://h:9042/ks?consistency=one",
            "cql://h:9042/ks?ttl_days=3",
            "http://h:9042/ks",
        ] {
            assert!(Target::parse(url, &[]).is_err(), "{url}");
        }
    }
}

//! The worker protocol: JSON lines both ways, over the SSH channel (or a local pipe).
//!
//! Head to worker (the worker's standard input):
//! 1. once, first: `{"setup":{"version":V,"survey":"ztf","lightcurves":URL,"run":RUN,
//!    "heartbeat_ms":N,"keep_solar_system":false}}`, where RUN is `"features"` or
//!    `{"command":"..."}` (run with `sh -c`);
//! 2. then any number of shards: `{"shard":{"id":17,"objects":["ZTF18abcdefg",...]}}`;
//!    the end of the input ends the worker once its shards are done.
//!
//! Worker to head (its standard output):
//! - `{"ready":{"version":V,"host":NAME}}` once the lightcurve store is open, or
//!   `{"fatal":"why"}` and the worker exits;
//! - for each shard, in the order sent: the header `{"start":17}`; then `{"result":R}` for each
//!   JSON value the command printed (or each features row), `{"failed":{"objectId":..,
//!   "error":..,"stderr":..}}` for each object the command failed on, and the footer
//!   `{"done":{"shard":17,"objects":N,"results":N,"failed":N,"skipped":N}}`;
//! - `{"alive":true}` whenever it has written nothing else for `heartbeat_ms`, so that a
//!   silent connection means a dead or hung host.
//!
//! A shard's results count only once its footer has arrived: a shard cut off by a lost host
//! is run again elsewhere from the start, and each shard completes once, so every object's
//! results appear exactly once. Lines that are not JSON objects (a remote shell's own
//! complaint, say) are shown to the user as the host's words.

use serde::{Deserialize, Serialize};

/// This build's version: head and worker must be the same.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What each worker is to run on each object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Run {
    /// The `objects` row of each object, recomputed by lasair-features from its full
    /// lightcurve.
    Features,
    /// A shell command fed one JSON line per object, printing JSON lines.
    Command(String),
}

/// The first message of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub version: String,
    pub survey: lasair_alert::Survey,
    /// The lightcurve store's URL, as the worker's machine reaches it.
    pub lightcurves: String,
    pub run: Run,
    pub heartbeat_ms: u64,
    #[serde(default)]
    pub keep_solar_system: bool,
}

/// A shard: objects the head hands to one worker at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub id: u64,
    pub objects: Vec<String>,
}

/// A message to a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToWorker {
    Setup(Setup),
    Shard(Shard),
}

/// A worker's greeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    pub version: String,
    pub host: String,
}

/// An object the user's command failed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    #[serde(rename = "objectId")]
    pub object_id: String,
    pub error: String,
    #[serde(default)]
    pub stderr: String,
}

/// A shard's footer: what became of its objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub shard: u64,
    pub objects: u64,
    pub results: u64,
    pub failed: u64,
    /// Objects that give no result by design (features: no detection, a solar-system object).
    pub skipped: u64,
}

/// A message from a worker, other than a result (see [`FromWorker::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Control {
    Ready(Ready),
    Fatal(String),
    Start(u64),
    Failed(Failed),
    Done(Done),
    Alive(bool),
}

/// A line from a worker, read.
#[derive(Debug, PartialEq)]
pub enum FromWorker<'a> {
    /// The bytes of one result (a JSON value), as the command printed it.
    Result(&'a [u8]),
    Control(Control),
    /// Not a protocol line: the remote shell's or the worker's own words.
    Other(&'a str),
}

const RESULT_OPEN: &[u8] = b"{\"result\":";

impl<'a> FromWorker<'a> {
    /// Reads one line (without its newline). Results are not parsed here: the worker checked
    /// each is one JSON value, and the head passes them on as they are.
    pub fn parse(line: &'a [u8]) -> FromWorker<'a> {
        if let Some(inner) = line
            .strip_prefix(RESULT_OPEN)
            .and_then(|l| l.strip_suffix(b"}"))
        {
            return FromWorker::Result(inner);
        }
        match serde_json::from_slice::<Control>(line) {
            Ok(c) => FromWorker::Control(c),
            Err(_) => FromWorker::Other(std::str::from_utf8(line).unwrap_or("(not UTF-8)")),
        }
    }
}

/// Appends the line (with its newline) carrying one result, a JSON value without newlines.
pub fn result_line(value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(RESULT_OPEN);
    out.extend_from_slice(value);
    out.extend_from_slice(b"}\n");
}

/// The line (with its newline) of a message.
pub fn line<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(message).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_documented_json() {
        let setup = ToWorker::Setup(Setup {
            version: "1".into(),
            survey: lasair_alert::Survey::Ztf,
            lightcurves: "sqlite:lc.db".into(),
            run: Run::Command("wc -l".into()),
            heartbeat_ms: 500,
            keep_solar_system: false,
        });
        let text = String::from_utf8(line(&setup)).expect("ok");
        assert_eq!(
            text,
            "{\"setup\":{\"version\":\"1\",\"survey\":\"ztf\",\"lightcurves\":\"sqlite:lc.db\",\
             \"run\":{\"command\":\"wc -l\"},\"heartbeat_ms\":500,\"keep_solar_system\":false}}\n"
        );
        let shard = ToWorker::Shard(Shard {
            id: 3,
            objects: vec!["ZTF1".into()],
        });
        assert_eq!(
            line(&shard),
            b"{\"shard\":{\"id\":3,\"objects\":[\"ZTF1\"]}}\n"
        );
        let features: Run = serde_json::from_str("\"features\"").expect("ok");
        assert_eq!(features, Run::Features);
    }

    #[test]
    fn results_pass_through_and_the_rest_is_read() {
        let mut out = Vec::new();
        result_line(br#"{"objectId":"ZTF1","n":3}"#, &mut out);
        let line = out.strip_suffix(b"\n").expect("ok");
        assert_eq!(
            FromWorker::parse(line),
            FromWorker::Result(br#"{"objectId":"ZTF1","n":3}"#)
        );
        let done = br#"{"done":{"shard":2,"objects":5,"results":4,"failed":1,"skipped":0}}"#;
        assert_eq!(
            FromWorker::parse(done),
            FromWorker::Control(Control::Done(Done {
                shard: 2,
                objects: 5,
                results: 4,
                failed: 1,
                skipped: 0
            }))
        );
        assert_eq!(
            FromWorker::parse(b"{\"alive\":true}"),
            FromWorker::Control(Control::Alive(true))
        );
        assert_eq!(
            FromWorker::parse(b"bash: lasair-mine: command not found"),
            FromWorker::Other("bash: lasair-mine: command not found")
        );
    }
}

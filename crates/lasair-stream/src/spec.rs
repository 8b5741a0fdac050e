//! Parsing of stream spec strings: `-`, `kafka://brokers/topics?group=NAME`, or a path.

use crate::StreamError;

/// What a spec string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Spec {
    /// `-`: stdin for a source, stdout for a sink.
    Stdio,
    Kafka(KafkaSpec),
    /// A file, directory or glob pattern, checked when opened.
    Path(String),
}

/// A parsed `kafka://` spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KafkaSpec {
    /// The spec as given, for error messages.
    pub spec: String,
    /// librdkafka's `bootstrap.servers`: `host1:9092,host2:9092`.
    pub brokers: String,
    pub topics: Topics,
    /// `?group=NAME`, which overrides the group of the options.
    pub group: Option<String>,
}

/// The topics of a Kafka spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Topics {
    Names(Vec<String>),
    /// A regex starting with `^`, which librdkafka subscribes to natively.
    Pattern(String),
}

impl Topics {
    /// The list handed to librdkafka's subscribe.
    pub fn subscription(&self) -> Vec<&str> {
        match self {
            Topics::Names(names) => names.iter().map(String::as_str).collect(),
            Topics::Pattern(pattern) => vec![pattern.as_str()],
        }
    }

    /// The topics as written, for error messages.
    pub fn describe(&self) -> String {
        self.subscription().join(",")
    }
}

const KAFKA_SCHEME: &str = "kafka://";

impl Spec {
    pub fn parse(spec: &str) -> Result<Spec, StreamError> {
        if spec == "-" {
            Ok(Spec::Stdio)
        } else if let Some(rest) = spec.strip_prefix(KAFKA_SCHEME) {
            parse_kafka(spec, rest).map(Spec::Kafka)
        } else if spec.is_empty() {
            Err(StreamError::spec(spec, "empty"))
        } else {
            Ok(Spec::Path(spec.to_owned()))
        }
    }
}

fn parse_kafka(spec: &str, rest: &str) -> Result<KafkaSpec, StreamError> {
    let (brokers, target) = rest
        .split_once('/')
        .ok_or_else(|| StreamError::spec(spec, "expected kafka://HOST:PORT[,HOST:PORT]/TOPIC"))?;
    if brokers.is_empty() || brokers.split(',').any(str::is_empty) {
        return Err(StreamError::spec(spec, "empty broker address"));
    }
    let (topics, query) = split_query(target);
    let topics = if topics.starts_with('^') {
        Topics::Pattern(topics.to_owned())
    } else {
        let names: Vec<String> = topics.split(',').map(str::to_owned).collect();
        if let Some(bad) = names.iter().find(|name| !is_topic_name(name)) {
            let reason = format!("bad topic name {bad:?} (letters, digits, '.', '_', '-')");
            return Err(StreamError::spec(spec, reason));
        }
        Topics::Names(names)
    };
    let group = parse_query(spec, query)?;
    Ok(KafkaSpec {
        spec: spec.to_owned(),
        brokers: brokers.to_owned(),
        topics,
        group,
    })
}

/// Splits `TOPICS?QUERY`. A topic name cannot hold `?`, but a pattern can (`^ztf_a?$`), so in a
/// pattern only a last `?` followed by `word=` starts the query.
fn split_query(target: &str) -> (&str, Option<&str>) {
    if !target.starts_with('^') {
        return match target.split_once('?') {
            Some((topics, query)) => (topics, Some(query)),
            None => (target, None),
        };
    }
    if let Some(at) = target.rfind('?') {
        let query = &target[at + 1..];
        let key = query.split('=').next().unwrap_or("");
        let looks_like_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase());
        if query.contains('=') && looks_like_key {
            return (&target[..at], Some(query));
        }
    }
    (target, None)
}

fn parse_query(spec: &str, query: Option<&str>) -> Result<Option<String>, StreamError> {
    let mut group = None;
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=') {
            Some(("group", name)) if !name.is_empty() => group = Some(name.to_owned()),
            Some(("group", _)) => return Err(StreamError::spec(spec, "empty group name")),
            _ => {
                let reason = format!("unknown parameter {pair:?} (only group=NAME is known)");
                return Err(StreamError::spec(spec, reason));
            }
        }
    }
    Ok(group)
}

/// Kafka's own rule for topic names.
pub(crate) fn is_topic_name(name: &str) -> bool {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    !name.is_empty() && name.len() <= 249 && name.chars().all(legal)
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;

//! The node's config file: one TOML file, one section per tool (`[ingest]`, `[sherlock]`, ...).
//! Each tool reads its own section into a struct with `deny_unknown_fields`; a section for a
//! tool that does not exist is an error too, so typos never pass silently.

use std::path::Path;

use anyhow::{bail, Context};
use serde::de::DeserializeOwned;

/// The sections a node config may have.
pub const SECTIONS: [&str; 8] = [
    "ingest", "sherlock", "filter", "query", "mine", "sync", "serve", "sim",
];

/// Reads `section` of the config file at `path`; an absent section gives `T::default()`.
pub fn load_section<T: DeserializeOwned + Default>(
    path: &Path,
    section: &str,
) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("config {}", path.display()))?;
    parse_section(&text, section).with_context(|| format!("config {}", path.display()))
}

pub fn parse_section<T: DeserializeOwned + Default>(
    text: &str,
    section: &str,
) -> anyhow::Result<T> {
    let mut table: toml::Table = text.parse()?;
    if let Some(unknown) = table.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
        bail!(
            "unknown section [{unknown}] (sections: {})",
            SECTIONS.join(", ")
        );
    }
    match table.remove(section) {
        Some(value) => value
            .try_into()
            .with_context(|| format!("section [{section}]")),
        None => Ok(T::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        brokers: Option<String>,
        batch: Option<usize>,
    }

    #[test]
    fn reads_own_section_and_rejects_typos() {
        let text = "[ingest]\nbrokers = \"k1:9092\"\nbatch = 5\n[filter]\nanything = 1\n";
        let d: Demo = parse_section(text, "ingest").expect("parse");
        assert_eq!(
            d,
            Demo {
                brokers: Some("k1:9092".into()),
                batch: Some(5)
            }
        );
        assert!(parse_section::<Demo>("[ingest]\nbroker = \"x\"\n", "ingest").is_err());
        assert!(parse_section::<Demo>("[ingset]\n", "ingest").is_err());
        assert_eq!(
            parse_section::<Demo>("", "ingest").expect("empty"),
            Demo::default()
        );
    }
}

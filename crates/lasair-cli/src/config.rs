//! The node's config file: one TOML file, one section per tool (`[ingest]`, `[sherlock]`, ...).
//! Each tool reads its own section into a struct with `deny_unknown_fields`; a section for a
//! tool that does not exist is an error too, so typos never pass silently. Options shared by
//! several tools are flattened into their structs, where serde cannot deny unknown fields, so
//! every key is also checked to come back out of the struct it was read into.

use std::path::Path;

use anyhow::{bail, Context};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The sections a node config may have.
pub const SECTIONS: [&str; 8] = [
    "ingest", "sherlock", "filter", "query", "mine", "sync", "serve", "sim",
];

/// The two flags every tool has for its config, flattened into its `Args`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ConfigArgs {
    /// Node config file (TOML, one section per tool: this tool reads its own).
    #[arg(long, global = true, env = "LASAIR_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    /// Print the effective configuration (TOML) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// A tool's options that its section of the node config can also give.
pub trait Section: serde::Serialize + DeserializeOwned + Default + Clone {
    /// The section's name: `ingest`, `filter`, ...
    const NAME: &'static str;
    /// `--config` and `--print-config`.
    fn config_args(&self) -> &ConfigArgs;
    /// Fills what the command line left unset from the file's section.
    fn merged(self, file: Self) -> Self;
}

/// In a [`Section::merged`]: each named `Option` field of `$to` that the command line left
/// `None` takes the config file's value from `$from`.
///
/// ```
/// #[derive(Default)]
/// struct Args { db: Option<String>, batch: Option<u64> }
/// let mut args = Args { db: Some("sqlite:a.db".into()), batch: None };
/// let file = Args { db: Some("sqlite:b.db".into()), batch: Some(500) };
/// lasair_cli::fill_unset!(args, file; db, batch);
/// assert_eq!((args.db.as_deref(), args.batch), (Some("sqlite:a.db"), Some(500)));
/// ```
#[macro_export]
macro_rules! fill_unset {
    ($to:ident, $from:ident; $($field:ident),+ $(,)?) => {
        $( if $to.$field.is_none() { $to.$field = $from.$field; } )+
    };
}

/// The effective options: the command line merged over the config file's section. With
/// `--print-config`, writes them to `out` as the section (TOML) and gives `None`: the tool
/// is done.
pub fn effective<T: Section>(args: T, out: &mut dyn std::io::Write) -> anyhow::Result<Option<T>> {
    // Merged even without a file: merging fills the tool's defaults, which --print-config
    // then shows.
    let file: T = match args.config_args().config.as_deref() {
        Some(path) => load_section(path, T::NAME)?,
        None => T::default(),
    };
    let args = args.merged(file);
    if args.config_args().print_config {
        let text = toml::to_string(&args).context("printing the config")?;
        write!(out, "[{}]\n{text}", T::NAME).context("printing the config")?;
        return Ok(None);
    }
    Ok(Some(args))
}

/// Reads `section` of the config file at `path`; an absent section gives `T::default()`.
pub fn load_section<T: DeserializeOwned + Serialize + Default>(
    path: &Path,
    section: &str,
) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("config {}", path.display()))?;
    parse_section(&text, section).with_context(|| format!("config {}", path.display()))
}

pub fn parse_section<T: DeserializeOwned + Serialize + Default>(
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
    let Some(value) = table.remove(section) else {
        return Ok(T::default());
    };
    let keys: Vec<String> = value
        .as_table()
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    let parsed: T = value
        .try_into()
        .with_context(|| format!("section [{section}]"))?;
    let back = toml::Table::try_from(&parsed).with_context(|| format!("section [{section}]"))?;
    if let Some(unknown) = keys.iter().find(|k| !back.contains_key(k.as_str())) {
        bail!("section [{section}]: unknown key {unknown:?}");
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, serde::Serialize, PartialEq)]
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

    #[derive(Debug, Default, serde::Deserialize, serde::Serialize, PartialEq)]
    struct Shared {
        batch: Option<usize>,
    }

    #[derive(Debug, Default, serde::Deserialize, serde::Serialize, PartialEq)]
    struct Flattened {
        brokers: Option<String>,
        #[serde(flatten)]
        shared: Shared,
        #[serde(skip)]
        quiet: bool,
    }

    #[test]
    fn typos_are_refused_beside_flattened_options_too() {
        let text = "[ingest]\nbrokers = \"k\"\nbatch = 5\n";
        let f: Flattened = parse_section(text, "ingest").expect("parse");
        assert_eq!(f.shared.batch, Some(5));
        for typo in ["bacth = 5", "quiet = true", "brokers = \"k\"\nbrokerz = 1"] {
            let err = parse_section::<Flattened>(&format!("[ingest]\n{typo}\n"), "ingest")
                .expect_err(typo);
            assert!(format!("{err:#}").contains("unknown key"), "{err:#}");
        }
    }
}

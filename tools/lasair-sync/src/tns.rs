//! `lasair-sync tns`: TNS's public objects file, downloaded (or given), kept and matched by
//! lasair-service's `tns`.

use std::path::PathBuf;

use anyhow::Context;
use lasair_db::Db;
use lasair_service::tns::{self, Bot, Period, TnsEntry};

use crate::Args;

/// Which of TNS's files: a day's changes (yesterday's unless given), an hour's, or all.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("period").args(["full", "daily", "hourly"])))]
pub struct TnsArgs {
    /// Every public object (Lasair takes the whole file twice a month).
    #[arg(long)]
    pub full: bool,

    /// A day's new and changed names, `YYYYMMDD` [default, and with no value: yesterday, UTC].
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub daily: Option<String>,

    /// An hour's new and changed names, `HH` [with no value: the hour before this one, UTC].
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub hourly: Option<String>,

    /// Read this file (TNS's zip, or the CSV inside it) instead of downloading.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

impl TnsArgs {
    fn period(&self) -> anyhow::Result<Period> {
        let now = lasair_alert::time::mjd_now();
        if self.full {
            return Ok(Period::Full);
        }
        if let Some(hour) = &self.hourly {
            let hour = if hour.is_empty() {
                let before = lasair_alert::time::utc_string(now - 1.0 / 24.0);
                before[11..13].to_owned()
            } else {
                hour.clone()
            };
            let hour: u32 = hour
                .parse()
                .with_context(|| format!("--hourly {hour:?}: give the hour as HH"))?;
            return Ok(Period::hourly(hour)?);
        }
        let day = match self.daily.as_deref() {
            Some(d) if !d.is_empty() => d.to_owned(),
            _ => crate::yesterday().replace('-', ""),
        };
        Ok(Period::daily(&day)?)
    }
}

pub fn run(args: &Args, tns_args: &TnsArgs, db: &mut Db) -> anyhow::Result<serde_json::Value> {
    let period = tns_args.period()?;
    let (source, entries) = match &tns_args.file {
        Some(path) => (path.display().to_string(), read_file(path)?),
        None => {
            let base = args.base_url.as_deref().unwrap_or(tns::BASE_URL);
            let entries = tns::fetch(base, &period, &bot(args)?)?;
            (period.file_name(), entries)
        }
    };
    let radius = args.radius.unwrap_or(3.0);
    let done = tns::sync(db, &entries, radius)?;
    let mut report = serde_json::to_value(&done).context("the report")?;
    if let Some(map) = report.as_object_mut() {
        map.insert("job".into(), "tns".into());
        map.insert("source".into(), source.into());
    }
    Ok(report)
}

/// A TNS file on disk: the zip TNS publishes, or the CSV in it.
fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<TnsEntry>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let origin = path.display().to_string();
    if bytes.starts_with(b"PK\x03\x04") {
        Ok(tns::read_zip(&bytes, &origin)?)
    } else {
        Ok(tns::read_csv(bytes.as_slice(), &origin)?)
    }
}

/// Our bot at TNS, from the options; the key from its file or LASAIR_TNS_API_KEY.
fn bot(args: &Args) -> anyhow::Result<Bot> {
    let (Some(id), Some(name)) = (args.bot_id, args.bot_name.clone()) else {
        anyhow::bail!(
            "TNS answers bots it knows: give --bot-id and --bot-name (or bot_id and bot_name in the [sync] section) as registered at TNS"
        );
    };
    let api_key = match &args.api_key_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the TNS API key from {}", path.display()))?
            .trim()
            .to_owned(),
        None => std::env::var("LASAIR_TNS_API_KEY").unwrap_or_default(),
    };
    if api_key.is_empty() {
        anyhow::bail!("no TNS API key: give --api-key-file or set LASAIR_TNS_API_KEY");
    }
    Ok(Bot { id, name, api_key })
}

//! `lasair-sherlock catalogue add|list|drop`: managing the per-node catalogue store.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use lasair_cli::Outcome;

use lasair_context::catalogue::{
    AngleUnit, CatalogueKind, CatalogueStore, Format, LoadSpec, MappingFile,
};

/// Managing the catalogue store.
// Parsed once per run: the size of `Add` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Subcommand)]
pub enum CatalogueCommand {
    /// Loads a catalogue file (CSV, pipe-separated or fixed-width; .gz welcome), replacing any
    /// catalogue of the same name. The mapping of columns comes from --map (a TOML file with a
    /// [NAME] table; see catalogues.toml) and/or the flags, which win.
    Add {
        /// The catalogue's name in the store (lowercase letters, digits, _).
        name: String,
        /// The catalogue file.
        file: PathBuf,
        #[command(flatten)]
        mapping: MappingArgs,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Lists the catalogues held: name, kind, rows, source file, load time (JSON lines).
    List,
    /// Removes a catalogue.
    Drop { name: String },
}

/// How the file's columns map to a catalogue source.
#[derive(Debug, Clone, Default, Args)]
pub struct MappingArgs {
    /// A TOML mapping file; its [NAME] table says how the file loads.
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// What the catalogue lists.
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<CatalogueKind>,
    /// The file's layout [default: csv].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Lines to skip before the header.
    #[arg(long)]
    pub skip_lines: Option<usize>,
    /// Lines to skip after the header (units, dashes).
    #[arg(long)]
    pub skip_after_header: Option<usize>,
    /// Lines starting with this character are comments.
    #[arg(long)]
    pub comment: Option<char>,
    /// The file has no header line (columns are then numbers from 1).
    #[arg(long)]
    pub no_header: bool,
    /// Column of right ascension (degrees or sexagesimal hours). Columns are header names,
    /// numbers from 1 without a header, byte ranges like 1-11 for fixed width.
    #[arg(long)]
    pub ra: Option<String>,
    /// Column of declination (degrees or sexagesimal).
    #[arg(long)]
    pub dec: Option<String>,
    /// Column of the source's name [default: the row number].
    #[arg(long)]
    pub id: Option<String>,
    /// Column of spectroscopic redshift.
    #[arg(long)]
    pub z: Option<String>,
    #[arg(long)]
    pub photo_z: Option<String>,
    #[arg(long)]
    pub photo_z_err: Option<String>,
    /// Column of a redshift-independent distance in Mpc.
    #[arg(long)]
    pub distance_mpc: Option<String>,
    /// Column of the semi-major axis, in --major-axis-unit.
    #[arg(long)]
    pub major_axis: Option<String>,
    #[arg(long, value_enum)]
    pub major_axis_unit: Option<AngleUnit>,
    #[arg(long)]
    pub mag: Option<String>,
    #[arg(long)]
    pub mag_err: Option<String>,
    /// Column naming each magnitude's filter.
    #[arg(long, conflicts_with = "mag_band")]
    pub mag_filter: Option<String>,
    /// The one filter of every magnitude (V).
    #[arg(long)]
    pub mag_band: Option<String>,
    /// Column of the source's own type.
    #[arg(long)]
    pub object_type: Option<String>,
}

fn parse_kind(text: &str) -> Result<CatalogueKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_lowercase()))
        .map_err(|_| "one of galaxy, star, variable, cv, agn, yso, highenergy, other".to_owned())
}

impl MappingArgs {
    /// The spec from the mapping file's [name] table (if any) with the flags laid over it.
    pub fn spec(&self, name: &str) -> anyhow::Result<LoadSpec> {
        let base = match &self.map {
            Some(path) => Some(MappingFile::read(path)?.get(name, path)?.clone()),
            None => None,
        };
        let mut spec = match base {
            Some(spec) => spec,
            None => {
                let need = "without --map, give --kind, --ra and --dec";
                let kind = self.kind.context(need)?;
                let (ra, dec) = (self.ra.as_deref(), self.dec.as_deref());
                let (Some(ra), Some(dec)) = (ra, dec) else {
                    anyhow::bail!(need);
                };
                LoadSpec::new(kind, Format::Csv, ra, dec)
            }
        };
        self.lay_over(&mut spec);
        Ok(spec)
    }

    fn lay_over(&self, spec: &mut LoadSpec) {
        fn set<T: Clone>(target: &mut T, flag: &Option<T>) {
            if let Some(v) = flag {
                *target = v.clone();
            }
        }
        fn set_opt(target: &mut Option<String>, flag: &Option<String>) {
            if flag.is_some() {
                target.clone_from(flag);
            }
        }
        set(&mut spec.kind, &self.kind);
        set(&mut spec.format, &self.format);
        set(&mut spec.skip_lines, &self.skip_lines);
        set(&mut spec.skip_after_header, &self.skip_after_header);
        set(&mut spec.ra, &self.ra);
        set(&mut spec.dec, &self.dec);
        set(&mut spec.major_axis_unit, &self.major_axis_unit);
        if self.comment.is_some() {
            spec.comment = self.comment;
        }
        if self.no_header {
            spec.header = Some(false);
        }
        set_opt(&mut spec.id, &self.id);
        set_opt(&mut spec.z, &self.z);
        set_opt(&mut spec.photo_z, &self.photo_z);
        set_opt(&mut spec.photo_z_err, &self.photo_z_err);
        set_opt(&mut spec.distance_mpc, &self.distance_mpc);
        set_opt(&mut spec.major_axis, &self.major_axis);
        set_opt(&mut spec.mag, &self.mag);
        set_opt(&mut spec.mag_err, &self.mag_err);
        set_opt(&mut spec.object_type, &self.object_type);
        if self.mag_filter.is_some() {
            spec.mag_filter.clone_from(&self.mag_filter);
            spec.mag_band = None;
        }
        if self.mag_band.is_some() {
            spec.mag_band.clone_from(&self.mag_band);
            spec.mag_filter = None;
        }
    }
}

/// Runs a catalogue command on the store at `store`, writing JSON lines to stdout.
pub fn run(cmd: CatalogueCommand, store: &Path) -> anyhow::Result<Outcome> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome = run_to(cmd, store, &mut out)?;
    out.flush().context("writing to stdout")?;
    Ok(outcome)
}

/// As [`run`], writing to `out`: `add` writes its load report, `list` one line per
/// catalogue, `drop` whether there was one.
pub fn run_to(cmd: CatalogueCommand, store: &Path, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut store = CatalogueStore::open(store)?;
    match cmd {
        CatalogueCommand::Add {
            name,
            file,
            mapping,
            no_progress,
        } => {
            let spec = mapping.spec(&name)?;
            let report = store.add(&name, &file, &spec, !no_progress)?;
            eprintln!(
                "catalogue {name}: {} rows loaded, {} bad, {:.1} s",
                report.rows, report.bad, report.seconds
            );
            let line = serde_json::json!({
                "name": report.name, "rows": report.rows, "bad": report.bad,
                "seconds": report.seconds,
            });
            writeln!(out, "{line}")?;
            Ok(if report.bad > 0 {
                Outcome::SomeBad
            } else {
                Outcome::Ok
            })
        }
        CatalogueCommand::List => {
            for info in store.list()? {
                writeln!(out, "{}", serde_json::to_string(&info)?)?;
            }
            Ok(Outcome::Ok)
        }
        CatalogueCommand::Drop { name } => {
            let dropped = store.drop(&name)?;
            if !dropped {
                anyhow::bail!("no catalogue named {name:?} in {}", store.path().display());
            }
            writeln!(out, "{}", serde_json::json!({ "dropped": name }))?;
            Ok(Outcome::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_lay_over_the_mapping() {
        let dir = tempfile::tempdir().expect("tempdir");
        let map = dir.path().join("m.toml");
        std::fs::write(
            &map,
            "[cat]\nkind = \"star\"\nra = \"RA\"\ndec = \"DE\"\nmag = \"V\"\nmag_band = \"V\"\n",
        )
        .expect("write");
        let args = MappingArgs {
            map: Some(map),
            kind: Some(CatalogueKind::Variable),
            mag_filter: Some("band".into()),
            ..MappingArgs::default()
        };
        let spec = args.spec("cat").expect("spec");
        assert_eq!(spec.kind, CatalogueKind::Variable);
        assert_eq!(spec.ra, "RA");
        assert_eq!(spec.mag.as_deref(), Some("V"));
        assert_eq!(spec.mag_filter.as_deref(), Some("band"));
        assert_eq!(spec.mag_band, None);
        assert!(args.spec("other").is_err());
    }

    #[test]
    fn without_a_map_kind_and_position_are_needed() {
        let args = MappingArgs {
            ra: Some("ra".into()),
            ..MappingArgs::default()
        };
        assert!(args.spec("x").is_err());
        assert_eq!(parse_kind("HighEnergy"), Ok(CatalogueKind::HighEnergy));
        assert!(parse_kind("planet").is_err());
    }
}

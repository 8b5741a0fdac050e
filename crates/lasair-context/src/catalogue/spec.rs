//! How a catalogue file loads: its text layout and which column holds what. Written once per
//! catalogue in a TOML mapping file (`catalogues.toml`), or given as flags.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CatalogueError, CatalogueKind};

/// The text layout of a catalogue file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated, quoted as RFC 4180.
    #[default]
    Csv,
    /// Pipe-separated (`|`), as VizieR and Lasair watchlists write them.
    Pipe,
    /// Fixed-width columns given as byte ranges (`"1-11"`, 1-based and inclusive, as in a
    /// CDS ReadMe's "Bytes" column).
    Fixed,
}

/// The unit of an angular size column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum AngleUnit {
    #[default]
    Arcsec,
    Arcmin,
    Deg,
}

impl AngleUnit {
    /// Arcseconds in one unit.
    pub fn arcsec(self) -> f64 {
        match self {
            AngleUnit::Arcsec => 1.0,
            AngleUnit::Arcmin => 60.0,
            AngleUnit::Deg => 3600.0,
        }
    }
}

/// How one catalogue file loads. Column references are header names for `csv` and `pipe`
/// (1-based numbers when the file has no header) and byte ranges (`"12-23"`) for `fixed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    /// What the catalogue lists.
    pub kind: CatalogueKind,
    #[serde(default)]
    pub format: Format,
    /// The file this mapping was written for (a note; the file to load is given when adding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Whether the first line (after `skip_lines`) names the columns; default: yes for csv
    /// and pipe, no for fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    /// Lines to skip before the header (a preamble), not counting comment lines.
    #[serde(default)]
    pub skip_lines: usize,
    /// Lines to skip after the header (units, dashes).
    #[serde(default)]
    pub skip_after_header: usize,
    /// Lines starting with this character are comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<char>,
    /// Right ascension and declination, degrees or sexagesimal (J2000).
    pub ra: String,
    pub dec: String,
    /// The source's name in its catalogue; the data row number (1-based) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Spectroscopic redshift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_z: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_z_err: Option<String>,
    /// A redshift-independent distance, Mpc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_mpc: Option<String>,
    /// Semi-major axis (of the galaxy, or of the positional error ellipse), in
    /// `major_axis_unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major_axis: Option<String>,
    #[serde(default)]
    pub major_axis_unit: AngleUnit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mag_err: Option<String>,
    /// The column naming each magnitude's filter...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mag_filter: Option<String>,
    /// ...or one filter for the whole catalogue (`V`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mag_band: Option<String>,
    /// The source's own type (GCVS VarType, Milliquas class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
}

impl LoadSpec {
    /// A spec with only the position mapped.
    pub fn new(kind: CatalogueKind, format: Format, ra: &str, dec: &str) -> LoadSpec {
        LoadSpec {
            kind,
            format,
            file: None,
            header: None,
            skip_lines: 0,
            skip_after_header: 0,
            comment: None,
            ra: ra.to_owned(),
            dec: dec.to_owned(),
            id: None,
            z: None,
            photo_z: None,
            photo_z_err: None,
            distance_mpc: None,
            major_axis: None,
            major_axis_unit: AngleUnit::Arcsec,
            mag: None,
            mag_err: None,
            mag_filter: None,
            mag_band: None,
            object_type: None,
        }
    }

    /// Whether the file names its columns in a header line.
    pub fn has_header(&self) -> bool {
        self.header.unwrap_or(self.format != Format::Fixed)
    }
}

/// A mapping file: one `[name]` table per catalogue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MappingFile {
    pub catalogues: BTreeMap<String, LoadSpec>,
}

impl MappingFile {
    pub fn read(path: &Path) -> Result<MappingFile, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|cause| CatalogueError::MappingRead {
            path: path.to_owned(),
            cause,
        })?;
        toml::from_str(&text).map_err(|cause| CatalogueError::MappingParse {
            path: path.to_owned(),
            cause,
        })
    }

    /// The mapping of catalogue `name`.
    pub fn get(&self, name: &str, path: &Path) -> Result<&LoadSpec, CatalogueError> {
        self.catalogues.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.catalogues.keys().map(String::as_str).collect();
            CatalogueError::NotMapped {
                path: path.to_owned(),
                name: name.to_owned(),
                known: known.join(", "),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_reads_from_toml() {
        let text = r#"
            [fermi]
            kind = "highenergy"
            ra = "ra"
            dec = "dec"
            major_axis = "amaj"
            major_axis_unit = "deg"
            [mq]
            kind = "agn"
            format = "fixed"
            ra = "1-11"
            dec = "12-23"
            mag_band = "R"
        "#;
        let map: MappingFile = toml::from_str(text).expect("parses");
        let fermi = &map.catalogues["fermi"];
        assert_eq!(fermi.kind, CatalogueKind::HighEnergy);
        assert_eq!(fermi.format, Format::Csv);
        assert_eq!(fermi.major_axis_unit, AngleUnit::Deg);
        assert!(fermi.has_header());
        let mq = &map.catalogues["mq"];
        assert_eq!(mq.format, Format::Fixed);
        assert!(!mq.has_header());
        assert_eq!(mq.mag_band.as_deref(), Some("R"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = "[x]\nkind = \"star\"\nra = \"a\"\ndec = \"b\"\nredshift = \"z\"\n";
        assert!(toml::from_str::<MappingFile>(text).is_err());
    }
}

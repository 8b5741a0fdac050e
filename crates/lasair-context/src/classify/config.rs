//! The search configuration (TOML): which catalogues are searched, how far, and what a match
//! in each pass means. `search.toml` beside Cargo.toml is the documented default.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The default configuration, for the catalogues of `catalogues.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../search.toml");

/// What a match says the transient is (Sherlock's association types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Label {
    /// A supernova (or other transient) in or near a galaxy, away from its nucleus.
    SN,
    /// A nuclear transient: on the core of a galaxy.
    NT,
    /// An active galactic nucleus or quasar.
    AGN,
    /// A cataclysmic variable.
    CV,
    /// A variable star.
    VS,
    /// Light from a bright star (its halo or spikes).
    BS,
    /// A match that does not decide what the transient is.
    UNCLEAR,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::SN => "SN",
            Label::NT => "NT",
            Label::AGN => "AGN",
            Label::CV => "CV",
            Label::VS => "VS",
            Label::BS => "BS",
            Label::UNCLEAR => "UNCLEAR",
        }
    }

    /// Sherlock's preference when one source has matches of several types
    /// (AGN, CV, NT, SN, VS, BS, then UNCLEAR): lower is preferred.
    pub fn preference(self) -> u8 {
        match self {
            Label::AGN => 0,
            Label::CV => 1,
            Label::NT => 2,
            Label::SN => 3,
            Label::VS => 4,
            Label::BS => 5,
            Label::UNCLEAR => 6,
        }
    }

    /// Galaxy-like types, ranked by distance rather than by angle.
    pub fn is_galactic(self) -> bool {
        matches!(self, Label::SN | Label::NT | Label::AGN)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The three passes, in order; a pass's matches carry its classificationReliability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The transient is the catalogued source (tight radius): reliability 1.
    Synonym,
    /// The transient is likely related to the source: reliability 2.
    Association,
    /// Context worth showing, searched only when nothing else matched: reliability 3.
    Annotation,
}

impl Pass {
    pub const ALL: [Pass; 3] = [Pass::Synonym, Pass::Association, Pass::Annotation];

    pub fn reliability(self) -> u8 {
        match self {
            Pass::Synonym => 1,
            Pass::Association => 2,
            Pass::Annotation => 3,
        }
    }
}

/// The whole search configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Radius of the synonym pass unless a search gives its own (Sherlock: 1.3").
    #[serde(default = "default_synonym_radius")]
    pub synonym_radius_arcsec: f64,
    /// A galaxy "contains" a transient within this many semi-major axes (Sherlock: 2.5),
    /// reduced to 0.7x for galaxies over 5' and 0.5x over 50' in semi-major axis.
    #[serde(default = "default_stretch")]
    pub galaxy_radius_stretch: f64,
    /// Matches closer than this to each other are one astrophysical source (Sherlock: 1").
    #[serde(default = "default_merge_radius")]
    pub merge_radius_arcsec: f64,
    /// Skip the association pass when the synonym pass found something (Sherlock: true).
    #[serde(default = "default_true")]
    pub stop_on_synonym: bool,
    /// The searches, in order.
    #[serde(rename = "search", default)]
    pub searches: Vec<Search>,
}

/// One search: a catalogue, a radius, and the label a match gives in each pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// The catalogue's name in the store.
    pub catalogue: String,
    /// The association and annotation radius.
    pub radius_arcsec: f64,
    /// The synonym radius, if not the global one (capped by `radius_arcsec` otherwise).
    pub synonym_radius_arcsec: Option<f64>,
    /// Label of a synonym-pass match; no synonym search if absent.
    pub synonym: Option<Label>,
    /// Label of an association-pass match; no association search if absent.
    pub association: Option<Label>,
    /// Label of an annotation-pass match; no annotation search if absent.
    pub annotation: Option<Label>,
    /// A source with a known size matches only within its stretched semi-major axis.
    #[serde(default)]
    pub within_major_axis: bool,
    /// A physical search: a source matches within its stretched semi-major axis, or within
    /// this projected distance at its best distance (direct, spec-z, photo-z); a source
    /// with neither size nor distance does not match.
    pub physical_radius_kpc: Option<f64>,
    /// Bright stars: a source of magnitude m matches only within 10^(3.7 - 0.2 m)" (Sherlock's
    /// bright-star halo), and never beyond `radius_arcsec`.
    #[serde(default)]
    pub magnitude_radius: bool,
}

fn default_synonym_radius() -> f64 {
    1.3
}
fn default_stretch() -> f64 {
    2.5
}
fn default_merge_radius() -> f64 {
    1.0
}
fn default_true() -> bool {
    true
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("search configuration {place}: {cause}")]
    Read {
        place: String,
        #[source]
        cause: std::io::Error,
    },
    /// The text is not a search configuration (TOML, known keys, known labels).
    #[error("search configuration {place}: {cause}")]
    Parse {
        place: String,
        #[source]
        cause: toml::de::Error,
    },
    /// A global radius or stretch that is not a positive number.
    #[error("search configuration {place}: synonym_radius_arcsec, galaxy_radius_stretch and merge_radius_arcsec must be positive numbers")]
    Globals { place: String },
    /// A search that cannot be run.
    #[error("search configuration {place}: search {index} ({catalogue}): {reason}")]
    Invalid {
        place: String,
        index: usize,
        catalogue: String,
        reason: &'static str,
    },
}

impl SearchConfig {
    /// The default configuration (`search.toml`).
    pub fn default_config() -> SearchConfig {
        // The embedded file is checked by a unit test, so this cannot fail in a build.
        SearchConfig::parse(DEFAULT_TOML, "(built in)").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<SearchConfig, ConfigError> {
        let place = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            place: place.clone(),
            cause,
        })?;
        SearchConfig::parse(&text, &place)
    }

    /// Parses and checks configuration text; `place` names it in errors.
    pub fn parse(text: &str, place: &str) -> Result<SearchConfig, ConfigError> {
        let config: SearchConfig = toml::from_str(text).map_err(|cause| ConfigError::Parse {
            place: place.to_owned(),
            cause,
        })?;
        config.check(place)?;
        Ok(config)
    }

    fn check(&self, place: &str) -> Result<(), ConfigError> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        for (index, s) in self.searches.iter().enumerate() {
            let reason = if s.catalogue.is_empty() {
                Some("no catalogue named")
            } else if !positive(s.radius_arcsec) {
                Some("radius_arcsec must be a positive number")
            } else if s.synonym_radius_arcsec.is_some_and(|r| !positive(r)) {
                Some("synonym_radius_arcsec must be a positive number")
            } else if s.physical_radius_kpc.is_some_and(|r| !positive(r)) {
                Some("physical_radius_kpc must be a positive number")
            } else if s.synonym.is_none() && s.association.is_none() && s.annotation.is_none() {
                Some("gives no label (synonym, association or annotation)")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(ConfigError::Invalid {
                    place: place.to_owned(),
                    index: index + 1,
                    catalogue: s.catalogue.clone(),
                    reason,
                });
            }
        }
        let globals = [
            self.synonym_radius_arcsec,
            self.galaxy_radius_stretch,
            self.merge_radius_arcsec,
        ];
        if !globals.into_iter().all(positive) {
            return Err(ConfigError::Globals {
                place: place.to_owned(),
            });
        }
        Ok(())
    }

    /// A stable digest of the configuration's meaning (not its comments or layout), for the
    /// cache: FNV-1a of its canonical TOML.
    pub fn fingerprint(&self) -> String {
        let canonical = toml::to_string(self).unwrap_or_default();
        format!("{:016x}", fnv1a(canonical.as_bytes()))
    }
}

impl Search {
    /// The label this search gives in `pass`, if it searches in that pass.
    pub fn label(&self, pass: Pass) -> Option<Label> {
        match pass {
            Pass::Synonym => self.synonym,
            Pass::Association => self.association,
            Pass::Annotation => self.annotation,
        }
    }

    /// The radius this search uses in `pass`.
    pub fn radius(&self, pass: Pass, global_synonym: f64) -> f64 {
        match pass {
            Pass::Synonym => self
                .synonym_radius_arcsec
                .unwrap_or(global_synonym.min(self.radius_arcsec)),
            Pass::Association | Pass::Annotation => self.radius_arcsec,
        }
    }
}

/// 64-bit FNV-1a: a stable hash (std's hasher may change between Rust releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_parses() {
        let c = SearchConfig::parse(DEFAULT_TOML, "search.toml").expect("default config");
        assert!(c.searches.len() >= 9);
        for name in [
            "gcvs",
            "bsc5",
            "spicy",
            "glade",
            "clu",
            "fermi_4fgl",
            "milliquas",
            "ned_d",
            "veron",
        ] {
            assert!(
                c.searches.iter().any(|s| s.catalogue == name),
                "{name} not searched"
            );
        }
    }

    #[test]
    fn bad_configurations_are_refused_with_their_place() {
        let err = SearchConfig::parse("[[search]]\ncatalogue = \"x\"\nradius_arcsec = 2\n", "t")
            .expect_err("no label");
        assert!(err.to_string().contains("search 1 (x)"), "{err}");
        let err = SearchConfig::parse(
            "[[search]]\ncatalogue = \"x\"\nradius_arcsec = -2\nsynonym = \"VS\"\n",
            "t",
        )
        .expect_err("negative radius");
        assert!(err.to_string().contains("radius_arcsec"), "{err}");
        assert!(
            SearchConfig::parse("radius = 3\n", "t").is_err(),
            "unknown key"
        );
        assert!(SearchConfig::parse(
            "[[search]]\ncatalogue = \"x\"\nradius_arcsec = 2\nsynonym = \"XX\"\n",
            "t"
        )
        .is_err());
    }

    #[test]
    fn synonym_radius_is_the_global_one_capped_by_the_search() {
        let text = "synonym_radius_arcsec = 1.5\n[[search]]\ncatalogue = \"a\"\nradius_arcsec = 1.0\nsynonym = \"VS\"\n[[search]]\ncatalogue = \"b\"\nradius_arcsec = 9.0\nsynonym_radius_arcsec = 3.0\nsynonym = \"VS\"\n";
        let c = SearchConfig::parse(text, "t").expect("parses");
        assert_eq!(c.searches[0].radius(Pass::Synonym, 1.5), 1.0);
        assert_eq!(c.searches[1].radius(Pass::Synonym, 1.5), 3.0);
        assert_eq!(c.searches[1].radius(Pass::Association, 1.5), 9.0);
    }

    #[test]
    fn fingerprint_follows_meaning_not_layout() {
        let a = SearchConfig::parse(
            "[[search]]\ncatalogue = \"x\"\nradius_arcsec = 2\nsynonym = \"VS\"\n",
            "t",
        )
        .expect("a");
        let b = SearchConfig::parse(
            "# comment\n[[search]]\nsynonym = \"VS\"\ncatalogue = \"x\"\nradius_arcsec = 2.0\n",
            "t",
        )
        .expect("b");
        let c = SearchConfig::parse(
            "[[search]]\ncatalogue = \"x\"\nradius_arcsec = 3\nsynonym = \"VS\"\n",
            "t",
        )
        .expect("c");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn fnv1a_known_values() {
        // Published FNV-1a 64 test vectors (Fowler, Noll, Vo).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

//! What the classifier answers, with Lasair's sherlock_classifications field names, and the
//! sentence and summary a person reads.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::catalogue::CatalogueKind;

use super::config::Label;
use super::rank::Merged;
use super::row::{lenient, real};

/// Sherlock's context for one position: the classification, the best match's fields, and the
/// other matches ranked. It is the `sherlock` object of each alert line, written by the stage
/// and read back by lasair-filter into the sherlock_classifications row (see `row`); reading
/// is lenient, a key absent or of another type being no value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// SN, NT, AGN, CV, VS, BS, UNCLEAR, or ORPHAN when nothing matched.
    #[serde(default, deserialize_with = "lenient")]
    pub classification: String,
    #[serde(flatten)]
    pub best: Crossmatch,
    /// The other sources, best first.
    #[serde(default, deserialize_with = "lenient")]
    pub crossmatches: Vec<Crossmatch>,
}

/// One ranked source, with Lasair's column names. Absent keys read as `None` (or empty text).
#[allow(non_snake_case)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Crossmatch {
    #[serde(deserialize_with = "lenient")]
    pub association_type: Option<Label>,
    #[serde(deserialize_with = "lenient")]
    pub catalogue_table_name: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub catalogue_object_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub catalogue_object_type: Option<String>,
    #[serde(deserialize_with = "real")]
    pub raDeg: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub decDeg: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub separationArcsec: Option<f64>,
    /// The source's offset from the transient, north positive (as Sherlock gives it).
    #[serde(deserialize_with = "real")]
    pub northSeparationArcsec: Option<f64>,
    /// The source's offset from the transient, east (increasing RA) positive.
    #[serde(deserialize_with = "real")]
    pub eastSeparationArcsec: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub physical_separation_kpc: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub direct_distance: Option<f64>,
    /// The best distance, Mpc: direct, else luminosity distance of z, else of photoZ.
    #[serde(deserialize_with = "real")]
    pub distance: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub z: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub photoZ: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub photoZErr: Option<f64>,
    #[serde(deserialize_with = "real")]
    pub Mag: Option<f64>,
    #[serde(deserialize_with = "lenient")]
    pub MagFilter: Option<String>,
    #[serde(deserialize_with = "real")]
    pub MagErr: Option<f64>,
    #[serde(deserialize_with = "lenient")]
    pub classificationReliability: Option<u8>,
    #[serde(deserialize_with = "real")]
    pub major_axis_arcsec: Option<f64>,
    #[serde(deserialize_with = "lenient")]
    pub description: String,
    #[serde(deserialize_with = "lenient")]
    pub summary: String,
}

impl Context {
    /// Nothing within any search's reach.
    pub fn orphan() -> Context {
        Context {
            classification: "ORPHAN".into(),
            best: Crossmatch {
                description:
                    "The transient location is not matched against any known catalogued source."
                        .into(),
                summary: "No catalogued match".into(),
                ..Crossmatch::default()
            },
            crossmatches: Vec::new(),
        }
    }

    /// The context from ranked sources (at least one), seen from (ra, dec).
    pub fn from_ranked(ranked: &[Merged], ra: f64, dec: f64) -> Context {
        let mut all = ranked.iter().map(|m| Crossmatch::new(m, ra, dec));
        let Some(best) = all.next() else {
            return Context::orphan();
        };
        Context {
            classification: ranked[0].label.to_string(),
            best,
            crossmatches: all.collect(),
        }
    }
}

impl Crossmatch {
    fn new(m: &Merged, ra: f64, dec: f64) -> Crossmatch {
        let (north, east) = lasair_sky::offsets_arcsec(ra, dec, m.ra, m.dec);
        let object_type = kind_name(m.kind);
        let mut x = Crossmatch {
            association_type: Some(m.label),
            catalogue_table_name: Some(m.catalogues.clone()),
            catalogue_object_id: Some(m.id.clone()),
            catalogue_object_type: Some(object_type.to_owned()),
            raDeg: Some(m.ra),
            decDeg: Some(m.dec),
            separationArcsec: Some(m.separation),
            northSeparationArcsec: Some(north),
            eastSeparationArcsec: Some(east),
            physical_separation_kpc: m.physical_kpc,
            direct_distance: m.direct.map(|d| d.0),
            distance: m.best_distance().map(|d| d.luminosity_mpc),
            z: m.spec.map(|d| d.0),
            photoZ: m.photo.map(|d| d.0),
            photoZErr: m.photo.and_then(|d| d.1),
            Mag: m.mag,
            MagFilter: m.mag_filter.clone(),
            MagErr: m.mag_err,
            classificationReliability: Some(m.reliability),
            major_axis_arcsec: m.major_axis,
            description: String::new(),
            summary: format!("{:.1}\" from {} in {}", m.separation, m.label, m.catalogues),
        };
        x.description = describe(m, north, east);
        x
    }
}

/// catalogue_object_type: what kind of object the source is.
pub fn kind_name(kind: CatalogueKind) -> &'static str {
    match kind {
        CatalogueKind::Galaxy => "galaxy",
        CatalogueKind::Star => "star",
        CatalogueKind::Variable => "variable star",
        CatalogueKind::Cv => "cataclysmic variable",
        CatalogueKind::Agn => "AGN",
        CatalogueKind::Yso => "young stellar object",
        CatalogueKind::HighEnergy => "high-energy source",
        CatalogueKind::Other => "source",
    }
}

/// Sherlock's annotation, as plain text: what the transient is to the source, what the source
/// is, where the transient lies from it, and what a host distance implies.
fn describe(m: &Merged, north: f64, east: f64) -> String {
    let noun = match &m.object_type {
        Some(t) if !t.trim().is_empty() => format!("{} {}", t.trim(), kind_name(m.kind)),
        _ => kind_name(m.kind).to_owned(),
    };
    let relation = if m.reliability == 1 {
        "synonymous with"
    } else {
        "possibly associated with"
    };
    let magnitude = match (m.mag, &m.mag_filter) {
        (Some(mag), Some(f)) if !f.is_empty() => format!("{}={mag:.2} mag", f.trim()),
        (Some(mag), _) => format!("{mag:.2} mag"),
        (None, _) => "unknown-magnitude".to_owned(),
    };
    let catalogue = if m.catalogues.contains('/') {
        format!("the {} catalogues", m.catalogues)
    } else {
        format!("the {} catalogue", m.catalogues)
    };
    let mut text = format!(
        "The transient is {relation} {}; {} {magnitude} {noun} found in {catalogue}.",
        m.id,
        article(&magnitude)
    );
    let physical = m
        .physical_kpc
        .map(|k| format!(" ({k:.1} kpc)"))
        .unwrap_or_default();
    if m.reliability == 1 {
        let _ = write!(
            text,
            " It's located {:.2}\"{physical} from the {noun} core.",
            m.separation
        );
    } else {
        // The offsets are the source's from the transient: the transient lies the other way.
        let ns = if north > 0.0 { "S" } else { "N" };
        let ew = if east > 0.0 { "W" } else { "E" };
        let _ = write!(
            text,
            " It's located {:.2}\" {ns}, {:.2}\" {ew}{physical} from the {noun} centre.",
            north.abs(),
            east.abs()
        );
    }
    let host = if let Some((mpc, d)) = m.direct {
        Some((format!("distance of {mpc:.1} Mpc"), d))
    } else if let Some((z, d)) = m.spec {
        Some((format!("z={z:.3}"), d))
    } else {
        m.photo.map(|(z, err, d)| match err {
            Some(e) => (format!("photoZ={z:.3} (±{e:.3})"), d),
            None => (format!("photoZ={z:.3}"), d),
        })
    };
    if let Some((what, d)) = host {
        let _ = write!(
            text,
            " A host {what} implies a distance modulus m - M = {:.2}.",
            d.modulus()
        );
    }
    text
}

/// "a" or "an" before the magnitude phrase, which starts with a filter letter (said as a
/// letter: "an R=...", "a V=..."), a number ("an 8.20", "an 18.20") or "unknown".
fn article(phrase: &str) -> &'static str {
    let first = phrase.chars().next().unwrap_or('x').to_ascii_lowercase();
    let letter_sounds_vowel = "aefhilmnorsux".contains(first);
    let number_sounds_vowel = ["8", "11", "18"].iter().any(|p| phrase.starts_with(p));
    if letter_sounds_vowel || number_sounds_vowel {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_sound() {
        assert_eq!(article("unknown-magnitude"), "an");
        assert_eq!(article("V=5.00 mag"), "a");
        assert_eq!(article("R=5.00 mag"), "an");
        assert_eq!(article("8.20 mag"), "an");
        assert_eq!(article("18.20 mag"), "an");
        assert_eq!(article("12.20 mag"), "a");
        assert_eq!(article("G=12.20 mag"), "a");
    }

    #[test]
    fn orphan_has_every_key_and_the_sentence() {
        let json = serde_json::to_value(Context::orphan()).expect("json");
        for key in [
            "classification",
            "association_type",
            "catalogue_table_name",
            "catalogue_object_id",
            "catalogue_object_type",
            "raDeg",
            "decDeg",
            "separationArcsec",
            "northSeparationArcsec",
            "eastSeparationArcsec",
            "physical_separation_kpc",
            "direct_distance",
            "distance",
            "z",
            "photoZ",
            "photoZErr",
            "Mag",
            "MagFilter",
            "MagErr",
            "classificationReliability",
            "major_axis_arcsec",
            "description",
            "summary",
            "crossmatches",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        assert_eq!(json["classification"], "ORPHAN");
        assert_eq!(json["summary"], "No catalogued match");
        assert!(json["raDeg"].is_null());
    }
}

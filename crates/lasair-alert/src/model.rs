//! The survey-neutral alert: what every tool after ingest works with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::avro::Record;

/// The survey an alert stream comes from; chosen once at each tool's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Survey {
    Ztf,
    Lsst,
}

impl Survey {
    pub const ALL: [Survey; 2] = [Survey::Ztf, Survey::Lsst];

    pub fn as_str(self) -> &'static str {
        match self {
            Survey::Ztf => "ztf",
            Survey::Lsst => "lsst",
        }
    }
}

impl fmt::Display for Survey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A survey name that is neither ZTF's nor LSST's (what was given, lowercased).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown survey {0:?} (expected ztf or lsst)")]
pub struct UnknownSurvey(pub String);

/// Case-insensitive; `rubin` is LSST. Command lines parse `Survey` with it directly.
impl FromStr for Survey {
    type Err = UnknownSurvey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ztf" => Ok(Survey::Ztf),
            "lsst" | "rubin" => Ok(Survey::Lsst),
            other => Err(UnknownSurvey(other.to_owned())),
        }
    }
}

/// An object's identity: ZTF's name (`ZTF21abiuvdk`) or LSST's diaObjectId in decimal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectId(pub String);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a lightcurve point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointKind {
    /// A detection on the difference image (ZTF candidate with a candid; LSST diaSource).
    Detection,
    /// An upper limit where nothing was detected (ZTF prv_candidate without candid).
    Nondetection,
    /// Forced photometry at the object's position (ZTF fp_hists; LSST diaForcedSources).
    Forced,
}

impl PointKind {
    pub const ALL: [PointKind; 3] = [
        PointKind::Detection,
        PointKind::Nondetection,
        PointKind::Forced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Detection => "detection",
            PointKind::Nondetection => "nondetection",
            PointKind::Forced => "forced",
        }
    }

    pub fn code(self) -> i8 {
        match self {
            PointKind::Detection => 0,
            PointKind::Nondetection => 1,
            PointKind::Forced => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        PointKind::ALL
            .into_iter()
            .find(|k| i64::from(k.code()) == code)
    }
}

/// One point of a lightcurve. Its identity is (object, kind, id): ZTF candid for detections
/// and the image's pid otherwise; LSST diaSourceId or diaForcedSourceId.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub kind: PointKind,
    pub id: i64,
    /// Modified Julian Date of the exposure (ZTF jd - 2400000.5; LSST midpointMjdTai).
    pub mjd: f64,
    pub band: String,
    /// ZTF: magpsf (detections) or diffmaglim (limits); none for LSST.
    pub mag: Option<f64>,
    pub mag_err: Option<f64>,
    /// Difference-image flux in nJy (LSST psfFlux; ZTF forced photometry in DN).
    pub flux: Option<f64>,
    pub flux_err: Option<f64>,
    /// How complete `fields` is: 2 for the alert's own triggering record, 1 for a record
    /// repeated from history. Stores keep the highest, so arrival order does not matter.
    pub rank: u8,
    /// Every field of the survey's own record for this point.
    pub fields: Record,
}

/// Which cutout image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CutoutKind {
    Science,
    Template,
    Difference,
}

impl CutoutKind {
    pub const ALL: [CutoutKind; 3] = [
        CutoutKind::Science,
        CutoutKind::Template,
        CutoutKind::Difference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CutoutKind::Science => "science",
            CutoutKind::Template => "template",
            CutoutKind::Difference => "difference",
        }
    }
}

/// A cutout image as the alert carried it: FITS, gzipped for ZTF.
#[derive(Debug, Clone, PartialEq)]
pub struct Cutout {
    pub kind: CutoutKind,
    /// A view into the message the alert came in (see [`crate::Decoder::decode_shared`]),
    /// or a copy of its own.
    pub data: bytes::Bytes,
}

impl Cutout {
    /// File name suffix matching the content: `.fits.gz` when gzipped, else `.fits`.
    pub fn extension(&self) -> &'static str {
        if self.data.starts_with(&[0x1f, 0x8b]) {
            "fits.gz"
        } else {
            "fits"
        }
    }
}

/// One alert, decoded and normalised; the survey's own records are kept whole.
#[derive(Debug, Clone)]
pub struct Alert {
    pub survey: Survey,
    pub object_id: ObjectId,
    /// ZTF candid or LSST diaSourceId of the triggering detection.
    pub source_id: i64,
    pub ra: f64,
    pub dec: f64,
    pub mjd: f64,
    pub band: String,
    /// Known solar-system object (ZTF ssnamenr set; LSST ssSource present).
    pub solar_system: bool,
    pub ss_name: Option<String>,
    /// The whole alert record without its lightcurve arrays and cutouts (schemavsn, diaObject...).
    pub envelope: Record,
    /// Detections, limits and forced photometry, sorted by (mjd, kind, id); the triggering
    /// detection is among them, with its whole record (see [`Alert::trigger`]).
    pub lightcurve: Vec<Point>,
    pub cutouts: Vec<Cutout>,
}

impl Alert {
    pub fn points(&self, kind: PointKind) -> impl Iterator<Item = &Point> {
        self.lightcurve.iter().filter(move |p| p.kind == kind)
    }

    /// The triggering detection's own record (ZTF candidate; LSST diaSource): the detection
    /// whose id is the alert's sourceId. Every decoded alert has one.
    pub fn trigger(&self) -> Option<&Record> {
        let is_trigger = |p: &&Point| p.kind == PointKind::Detection && p.id == self.source_id;
        self.lightcurve
            .iter()
            .rev()
            .find(is_trigger)
            .map(|p| &p.fields)
    }
}

/// Converts Julian Date to Modified Julian Date.
pub fn jd_to_mjd(jd: f64) -> f64 {
    jd - 2_400_000.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_names_parse_and_unknown_ones_say_what_is_expected() {
        assert_eq!("ZTF".parse::<Survey>(), Ok(Survey::Ztf));
        assert_eq!("rubin".parse::<Survey>(), Ok(Survey::Lsst));
        let err = "foo".parse::<Survey>().unwrap_err();
        assert_eq!(err, UnknownSurvey("foo".into()));
        assert_eq!(
            err.to_string(),
            r#"unknown survey "foo" (expected ztf or lsst)"#
        );
    }

    #[test]
    fn a_command_line_parses_survey_directly() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Tool {
            #[arg(long)]
            survey: Option<Survey>,
        }
        let parse = |line: &[&str]| {
            Tool::try_parse_from(std::iter::once("tool").chain(line.iter().copied()))
        };
        assert_eq!(
            parse(&["--survey", "lsst"]).unwrap().survey,
            Some(Survey::Lsst)
        );
        assert_eq!(parse(&[]).unwrap().survey, None);
        let err = parse(&["--survey", "hst"]).unwrap_err().to_string();
        assert!(
            err.contains(r#"unknown survey "hst" (expected ztf or lsst)"#),
            "{err}"
        );
    }

    #[test]
    fn survey_is_a_lowercase_string_in_config_and_json() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Config {
            survey: Survey,
        }
        for survey in Survey::ALL {
            let json = serde_json::to_string(&Config { survey }).unwrap();
            assert_eq!(json, format!(r#"{{"survey":"{}"}}"#, survey.as_str()));
            assert_eq!(
                serde_json::from_str::<Config>(&json).unwrap(),
                Config { survey }
            );
        }
        serde_json::from_str::<Config>(r#"{"survey":"hst"}"#).unwrap_err();
    }
}

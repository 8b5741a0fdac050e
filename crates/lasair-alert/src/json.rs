//! The JSON alert that ingest writes and every later stage reads: one line per alert, no
//! cutout bytes. Field names are stable; README.md documents them.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::avro::{Datum, Record};
use crate::model::{Alert, Point};

/// An alert as written by `lasair-ingest`, borrowing from the decoded [`Alert`].
#[derive(Debug, Serialize)]
pub struct AlertJson<'a> {
    pub survey: &'a str,
    #[serde(rename = "objectId")]
    pub object_id: &'a str,
    /// ZTF candid, LSST diaSourceId.
    #[serde(rename = "sourceId")]
    pub source_id: i64,
    pub ra: f64,
    pub dec: f64,
    pub mjd: f64,
    pub band: &'a str,
    #[serde(rename = "solarSystem")]
    pub solar_system: bool,
    #[serde(rename = "ssName")]
    pub ss_name: Option<&'a str>,
    /// The triggering detection, every field (ZTF candidate; LSST diaSource).
    pub detection: &'a Record,
    /// The rest of the alert record (ZTF schemavsn, publisher; LSST diaObject, ssSource...).
    pub alert: NonNull<'a>,
    pub lightcurve: &'a [Point],
    /// Where the cutouts were written, by kind; empty when cutouts were not kept.
    pub cutouts: BTreeMap<&'static str, String>,
}

impl<'a> AlertJson<'a> {
    pub fn new(alert: &'a Alert, cutouts: BTreeMap<&'static str, String>) -> Self {
        Self {
            survey: alert.survey.as_str(),
            object_id: &alert.object_id.0,
            source_id: alert.source_id,
            ra: alert.ra,
            dec: alert.dec,
            mjd: alert.mjd,
            band: &alert.band,
            solar_system: alert.solar_system,
            ss_name: alert.ss_name.as_deref(),
            detection: &alert.trigger,
            alert: NonNull(&alert.envelope),
            lightcurve: &alert.lightcurve,
            cutouts,
        }
    }
}

/// A record serialized without its null fields (the parts taken out of the envelope).
#[derive(Debug)]
pub struct NonNull<'a>(pub &'a Record);

impl Serialize for NonNull<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0.iter().filter(|(_, v)| !matches!(v, Datum::Null)) {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

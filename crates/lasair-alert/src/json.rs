//! The JSON alert that ingest writes and every later stage reads: one line per alert, no
//! cutout bytes. Field names are stable; README.md documents them. Written by hand (see
//! [`Datum::write_json`](crate::avro::Datum::write_json)) because it is the hot path of ingest.

use std::collections::BTreeMap;

use crate::avro::datum_json::write_scalar;
use crate::model::{Alert, Point};

/// An alert as written by `lasair-ingest`, with where its cutouts went (by kind).
#[derive(Debug)]
pub struct AlertJson<'a> {
    pub alert: &'a Alert,
    pub cutouts: BTreeMap<&'static str, String>,
}

impl<'a> AlertJson<'a> {
    pub fn new(alert: &'a Alert, cutouts: BTreeMap<&'static str, String>) -> Self {
        Self { alert, cutouts }
    }

    /// The JSON line, without its newline.
    pub fn to_line(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096 + 700 * self.alert.lightcurve.len());
        self.write(&mut out);
        out
    }

    /// Appends the JSON object: survey, objectId, sourceId (ZTF candid, LSST diaSourceId), ra,
    /// dec, mjd, band, solarSystem, ssName, detection (the trigger's own record), alert (the
    /// rest of the alert record, nulls left out), lightcurve, cutouts.
    pub fn write(&self, out: &mut Vec<u8>) {
        let a = self.alert;
        out.extend_from_slice(b"{\"survey\":");
        write_scalar(out, a.survey.as_str());
        out.extend_from_slice(b",\"objectId\":");
        write_scalar(out, a.object_id.0.as_str());
        out.extend_from_slice(b",\"sourceId\":");
        write_scalar(out, &a.source_id);
        out.extend_from_slice(b",\"ra\":");
        write_scalar(out, &a.ra);
        out.extend_from_slice(b",\"dec\":");
        write_scalar(out, &a.dec);
        out.extend_from_slice(b",\"mjd\":");
        write_scalar(out, &a.mjd);
        out.extend_from_slice(b",\"band\":");
        write_scalar(out, a.band.as_str());
        out.extend_from_slice(b",\"solarSystem\":");
        write_scalar(out, &a.solar_system);
        out.extend_from_slice(b",\"ssName\":");
        write_scalar(out, &a.ss_name);
        out.extend_from_slice(b",\"detection\":");
        match a.trigger() {
            Some(record) => record.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"alert\":");
        a.envelope.write_json_non_null(out);
        out.extend_from_slice(b",\"lightcurve\":[");
        for (i, p) in a.lightcurve.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_point(p, out);
        }
        out.extend_from_slice(b"],\"cutouts\":");
        write_scalar(out, &self.cutouts);
        out.push(b'}');
    }
}

/// `{kind, id, mjd, band, mag?, magErr?, flux?, fluxErr?, fields}`; absent values left out.
fn write_point(p: &Point, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":");
    write_scalar(out, p.kind.as_str());
    out.extend_from_slice(b",\"id\":");
    write_scalar(out, &p.id);
    out.extend_from_slice(b",\"mjd\":");
    write_scalar(out, &p.mjd);
    out.extend_from_slice(b",\"band\":");
    write_scalar(out, p.band.as_str());
    for (key, value) in [
        (&b",\"mag\":"[..], p.mag),
        (b",\"magErr\":", p.mag_err),
        (b",\"flux\":", p.flux),
        (b",\"fluxErr\":", p.flux_err),
    ] {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            out.extend_from_slice(key);
            write_scalar(out, &v);
        }
    }
    out.extend_from_slice(b",\"fields\":");
    p.fields.write_json(out);
    out.push(b'}');
}

//! ZTF: the northern sky at Palomar, g and r every 2-3 nights, alerts as one Avro object
//! container file each, named `ZTF` + year + seven letters.

mod build;
mod container;
mod history;
mod records;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::{Schema, Writer};
use lasair_alert::Survey;

use self::records::{Alert, Cutout};
use super::{pixel_noise, SurveyParams, SurveySim};
use crate::avro_schema;
use crate::cadence::Cadence;
use crate::error::SimError;
use crate::object::{Epoch, Object};
use crate::photometry::{Band, AB_NJY};
use crate::random::{self, Purpose};
use crate::sky::{FieldGrid, SkyRegion};
use crate::stamps::{Cutouts, StampParams};
use lasair_alert::time::{civil, new_year};

/// Median seeing (arcsec) and pixel scale, which set the cutouts' PSF.
const SEEING: f64 = 2.0;
const ZERO_POINT: f64 = 26.2;

pub struct Ztf {
    params: SurveyParams,
    seed: u64,
    schema: Schema,
    schema_json: String,
    /// The container header: every file shares it, so it is built once.
    header: Vec<u8>,
    marker: [u8; 16],
}

fn params() -> SurveyParams {
    let psf_sigma_px = SEEING / 2.355 / build::ARCSEC_PER_PX;
    let per_njy = 10f64.powf(0.4 * (ZERO_POINT - AB_NJY));
    SurveyParams {
        cadence: Cadence {
            first_night: 59_400,
            // JD 2460990.5: alerts stay within JD 2459000-2461000.
            last_night: 60_990,
            gap_nights: (2, 3),
            pair_probability: 0.5,
            bands: &[(Band::G, 1.0), (Band::R, 1.0)],
            alternate: true,
            night_start: 0.15,
            slot_seconds: 40.0,
            slots: 720,
            depth: [0.0, 20.6, 20.4, 0.0, 0.0, 0.0],
            depth_scatter: 0.3,
            seeing: (SEEING, 0.4, 1.2),
        },
        sky: SkyRegion {
            dec_min: -30.0,
            dec_max: 90.0,
            plane_boost: 4.0,
        },
        grid: FieldGrid {
            first_field: 245,
            size_deg: 6.9,
            sub: 8,
            sub_count: 64,
        },
        stamp: StampParams {
            size: 63,
            psf_sigma_px,
            noise: pixel_noise(20.5, psf_sigma_px),
            sky: 150.0 / per_njy,
            per_njy,
            unit: "DN",
            gzip: true,
        },
        ss_fraction: 0.03,
        astrometry: 0.3,
        history_from: 58_194.0,
    }
}

impl Ztf {
    pub fn new(seed: u64) -> Result<Self, SimError> {
        let (schema_json, schema) = avro_schema::compile(&records::schema_json()?)?;
        let h = |i| random::hash(seed, Purpose::Population, &[0xa7_0c, i]).to_le_bytes();
        let mut marker = [0u8; 16];
        marker[..8].copy_from_slice(&h(0));
        marker[8..].copy_from_slice(&h(1));
        let header = container::header(&schema_json, &marker);
        Ok(Ztf {
            params: params(),
            seed,
            schema,
            schema_json,
            header,
            marker,
        })
    }
}

/// The alert of an object's epoch `k`.
fn alert<'a>(seed: u64, object: &'a Object, k: usize, cutouts: Option<&'a Cutouts>) -> Alert<'a> {
    let candidate = build::candidate(seed, object, k);
    let (candid, pid) = (candidate.candid, candidate.pid);
    let cutout = |data: &'a Arc<[u8]>, kind: &str| Cutout {
        fileName: format!("candid{candid}_pid{pid}_targ_{kind}.fits.gz"),
        stampData: data,
    };
    Alert {
        schemavsn: "4.02",
        publisher: "lasair-sim",
        objectId: &object.name,
        candid,
        candidate,
        prv_candidates: history::prv_candidates(seed, object, k),
        fp_hists: history::fp_hists(seed, object, k),
        cutoutScience: cutouts.map(|c| cutout(&c.science, "sci")),
        cutoutTemplate: cutouts.map(|c| cutout(&c.template, "ref")),
        cutoutDifference: cutouts.map(|c| cutout(&c.difference, "diff")),
    }
}

/// Seven lowercase letters counting in base 26.
fn letters(mut index: u64) -> String {
    let mut out = [b'a'; 7];
    for slot in out.iter_mut().rev() {
        *slot = b'a' + (index % 26) as u8;
        index /= 26;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

impl SurveySim for Ztf {
    fn params(&self) -> &SurveyParams {
        &self.params
    }

    fn exposure(&self, object: &Object, epoch: &Epoch) -> i64 {
        build::pid(epoch.mjd, object.sub)
    }

    fn source_id(&self, pid: i64, seq: u32) -> i64 {
        // candid = pid, then the readout channel and a counter, as ZTF's 1642404680815015001.
        let rcid = pid % 100;
        let low = if seq < 999 {
            rcid * 1000 + i64::from(seq) + 1
        } else {
            64_000 + i64::from(seq)
        };
        pid * 1_000_000 + low
    }

    fn forced_id(&self, _exposure: i64, _seq: u32) -> i64 {
        0
    }

    /// Names follow the order of first detection within each year, as ZTF's do.
    fn name_objects(&self, objects: &mut [Object]) {
        let mut order: Vec<usize> = (0..objects.len()).collect();
        order.sort_by(|&a, &b| {
            objects[a]
                .history_start
                .total_cmp(&objects[b].history_start)
                .then(a.cmp(&b))
        });
        let mut last: HashMap<i64, u64> = HashMap::new();
        for i in order {
            let start = objects[i].history_start;
            let (year, _, _) = civil(start);
            // About 30 million names a year: the first two letters reach "ac" by December.
            let wanted = ((start - new_year(year)) / 366.0 * 2.5 * 26f64.powi(5)) as u64;
            let index = last.get(&year).map_or(wanted, |&prev| wanted.max(prev + 1));
            last.insert(year, index);
            objects[i].name = format!("ZTF{:02}{}", year.rem_euclid(100), letters(index));
        }
    }

    fn encode(
        &self,
        object: &Object,
        k: usize,
        cutouts: Option<&Cutouts>,
    ) -> Result<Vec<u8>, SimError> {
        let candid = object.epochs[k].source_id;
        let alert = alert(self.seed, object, k, cutouts);
        let mut writer = Writer::append_to(&self.schema, self.header.clone(), self.marker);
        writer
            .append_ser(&alert)
            .map_err(SimError::encode(Survey::Ztf, candid))?;
        writer
            .into_inner()
            .map_err(SimError::encode(Survey::Ztf, candid))
    }

    fn schema_json(&self) -> &str {
        &self.schema_json
    }

    fn needs_schema(&self) -> bool {
        false
    }

    fn file_extension(&self) -> &'static str {
        "avro"
    }
}

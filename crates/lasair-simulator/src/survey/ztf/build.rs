//! The candidate record of a ZTF alert, and the per-exposure and per-detection values its
//! history repeats.

use rand::Rng;

use super::records::Candidate;
use crate::object::{Epoch, Object};
use crate::photometry::{njy_to_mag, Band, AB_NJY};
use crate::random::{self, keyed, uniform, Purpose};

/// ZTF alerts carry 30 days of history.
pub(super) const HISTORY_DAYS: f64 = 30.0;
pub(super) const JD_MJD: f64 = 2_400_000.5;
/// ZTF's night ids count from 2017-01-01.
pub(super) const NID_ORIGIN_MJD: i64 = 57_754;
pub(super) const ARCSEC_PER_PX: f64 = 1.01;

/// ZTF filter ids.
pub fn fid(band: Band) -> i32 {
    match band {
        Band::G => 1,
        Band::R => 2,
        _ => 3,
    }
}

/// The reference image of a field, readout channel and band.
pub fn rfid(object: &Object, band: Band) -> i64 {
    i64::from(object.field) * 1_000_000
        + i64::from(object.sub) * 1000
        + i64::from(fid(band)) * 100
        + 47
}

/// The processing id of an image: night, time of the exposure, readout channel, as ZTF's.
pub fn pid(mjd: f64, rcid: u32) -> i64 {
    let nid = mjd.floor() as i64 - NID_ORIGIN_MJD;
    let jd_fraction = (mjd + 0.5).rem_euclid(1.0);
    nid * 1_000_000_000 + (jd_fraction * 1e7) as i64 * 100 + i64::from(rcid)
}

/// What an exposure adds to its measurements: program, photometric zero point.
pub(super) struct Exposure {
    pub pid: i64,
    pub programid: i32,
    pub magzpsci: f64,
}

impl Exposure {
    pub fn of(seed: u64, object: &Object, epoch: &Epoch) -> Self {
        let pid = pid(epoch.mjd, object.sub);
        let h = random::hash(seed, Purpose::Visit, &[pid as u64]);
        let u = random::unit(h);
        let programid = if u < 0.7 {
            1
        } else if u < 0.95 {
            2
        } else {
            3
        };
        let zp = if epoch.band == Band::G { 26.3 } else { 26.2 };
        Exposure {
            pid,
            programid,
            magzpsci: zp + 0.2 * (random::unit(random::mix(h)) - 0.5),
        }
    }

    /// DN per nJy on this image.
    pub fn dn(&self, njy: f64) -> f32 {
        (njy * 10f64.powf(0.4 * (self.magzpsci - AB_NJY))) as f32
    }
}

/// Per-detection scores no model predicts, drawn once per candid so that a detection repeated
/// in later alerts' history carries the same values.
pub(super) struct Quality {
    pub rb: f32,
    pub drb: f32,
    pub xpos: f32,
    pub ypos: f32,
    pub elong: f32,
    pub nbad: i32,
    pub aperture: f32,
    pub ss_dist: f32,
    pub ss_mag: f32,
}

impl Quality {
    pub fn of(seed: u64, candid: i64) -> Self {
        let mut rng = keyed(seed, Purpose::Detection, &[candid as u64]);
        Quality {
            rb: uniform(&mut rng, 0.65, 1.0) as f32,
            drb: uniform(&mut rng, 0.9, 1.0) as f32,
            xpos: uniform(&mut rng, 20.0, 3060.0) as f32,
            ypos: uniform(&mut rng, 20.0, 3060.0) as f32,
            elong: uniform(&mut rng, 1.0, 1.25) as f32,
            nbad: if rng.random::<f64>() < 0.9 {
                0
            } else {
                rng.random_range(1..4)
            },
            aperture: uniform(&mut rng, -0.02, 0.06) as f32,
            ss_dist: uniform(&mut rng, 0.0, 1.5) as f32,
            ss_mag: uniform(&mut rng, -0.3, 0.3) as f32,
        }
    }
}

/// The reference source nearest the position: distance (px), magnitude, its position.
pub(super) fn nearest_reference(
    seed: u64,
    object: &Object,
    epoch: &Epoch,
) -> (Option<f32>, Option<f32>, f64, f64) {
    let mag = if epoch.reference > 0.0 {
        Some(njy_to_mag(epoch.reference))
    } else {
        object.context.nr_mag
    };
    let dist = object.context.nr_dist.unwrap_or(0.0);
    let angle = std::f64::consts::TAU
        * random::unit(random::hash(
            seed,
            Purpose::Object,
            &[object.context.ps1_id as u64],
        ));
    let ranr = object.ra + dist / 3600.0 * angle.cos() / object.dec.to_radians().cos().max(0.01);
    let decnr = object.dec + dist / 3600.0 * angle.sin();
    let dist_px = object.context.nr_dist.map(|d| (d / ARCSEC_PER_PX) as f32);
    (
        dist_px,
        mag.map(|m| m as f32),
        ranr.rem_euclid(360.0),
        decnr.clamp(-90.0, 90.0),
    )
}

pub(super) fn sigmagnr(magnr: Option<f32>) -> Option<f32> {
    magnr.map(|m| (0.01 + 0.02 * f64::from(m - 14.0).max(0.0)) as f32)
}

pub fn candidate(seed: u64, object: &Object, k: usize) -> Candidate {
    let epoch = &object.epochs[k];
    let exposure = Exposure::of(seed, object, epoch);
    let q = Quality::of(seed, epoch.source_id);
    let (magpsf, sigmapsf) = epoch.measured.mag();
    let (distnr, magnr, ranr, decnr) = nearest_reference(seed, object, epoch);
    let ctx = &object.context;
    let mut rng = keyed(seed, Purpose::Object, &[ctx.ps1_id as u64, 1]);
    let jd_ref = 2_458_150.5 + f64::from(rng.random_range(0..200u32));
    let asteroid = object.ss_name.is_some();
    Candidate {
        jd: epoch.mjd + JD_MJD,
        fid: fid(epoch.band),
        pid: exposure.pid,
        diffmaglim: Some(epoch.limit as f32),
        programid: exposure.programid,
        candid: epoch.source_id,
        isdiffpos: if epoch.measured.flux >= 0.0 { "t" } else { "f" },
        nid: Some((epoch.mjd.floor() as i64 - NID_ORIGIN_MJD) as i32),
        rcid: Some(object.sub as i32),
        field: Some(object.field as i32),
        xpos: Some(q.xpos),
        ypos: Some(q.ypos),
        ra: epoch.ra,
        dec: epoch.dec,
        magpsf: magpsf as f32,
        sigmapsf: sigmapsf as f32,
        chipsf: Some(uniform(&mut rng, 0.5, 3.0) as f32),
        magap: Some(magpsf as f32 + q.aperture),
        sigmagap: Some(sigmapsf as f32 * 1.15),
        distnr,
        magnr,
        sigmagnr: sigmagnr(magnr),
        sky: Some(uniform(&mut rng, -1.0, 1.0) as f32),
        fwhm: Some((epoch.seeing / ARCSEC_PER_PX) as f32),
        classtar: Some(uniform(&mut rng, 0.8, 1.0) as f32),
        elong: Some(q.elong),
        nbad: Some(q.nbad),
        rb: Some(q.rb),
        ssdistnr: asteroid.then_some(q.ss_dist),
        ssmagnr: asteroid.then_some(magpsf as f32 + q.ss_mag),
        ssnamenr: object.ss_name.clone(),
        ranr,
        decnr,
        sgmag1: Some(ctx.ps1_g as f32),
        srmag1: Some(ctx.ps1_r as f32),
        sgscore1: Some(ctx.ps1_score as f32),
        distpsnr1: Some(ctx.ps1_dist as f32),
        ndethist: (object.prior_detections as usize + object.detections_until(k)) as i32,
        ncovhist: (object.prior_coverage as usize + k + 1) as i32,
        jdstarthist: Some(object.history_start + JD_MJD),
        jdendhist: Some(epoch.mjd + JD_MJD),
        scorr: Some(epoch.measured.snr() * uniform(&mut rng, 0.9, 1.2)),
        objectidps1: Some(ctx.ps1_id),
        nmtchps: rng.random_range(3..20),
        rfid: rfid(object, epoch.band),
        jdstartref: jd_ref,
        jdendref: jd_ref + 60.0,
        nframesref: rng.random_range(15..40),
        rbversion: "t17_f5_c3",
        magzpsci: Some(exposure.magzpsci as f32),
        magzpsciunc: Some(3e-6),
        nmatches: rng.random_range(500..2000),
        exptime: Some(30.0),
        drb: Some(q.drb),
        drbversion: "d6_m7",
    }
}

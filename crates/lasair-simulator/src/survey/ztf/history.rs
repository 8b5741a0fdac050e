//! The history a ZTF alert carries from the 30 days before it: earlier detections and upper
//! limits (prv_candidates) and forced photometry (fp_hists).

use super::build::{
    fid, nearest_reference, rfid, sigmagnr, Exposure, Quality, ARCSEC_PER_PX, HISTORY_DAYS, JD_MJD,
    NID_ORIGIN_MJD,
};
use super::records::{FpHist, PrvCandidate};
use crate::object::{Epoch, Object};
use crate::random::{keyed, uniform, Purpose};

/// Earlier detections (with their candid) and non-detections (candid null, only the limit).
pub fn prv_candidates(seed: u64, object: &Object, k: usize) -> Option<Vec<PrvCandidate>> {
    let history = object.history(k, HISTORY_DAYS);
    let out: Vec<_> = history
        .iter()
        .map(|e| prv_candidate(seed, object, e))
        .collect();
    (!out.is_empty()).then_some(out)
}

fn prv_candidate(seed: u64, object: &Object, epoch: &Epoch) -> PrvCandidate {
    let exposure = Exposure::of(seed, object, epoch);
    let mut prv = PrvCandidate {
        jd: epoch.mjd + JD_MJD,
        fid: fid(epoch.band),
        pid: exposure.pid,
        diffmaglim: Some(epoch.limit as f32),
        programid: exposure.programid,
        candid: None,
        isdiffpos: None,
        nid: Some((epoch.mjd.floor() as i64 - NID_ORIGIN_MJD) as i32),
        rcid: Some(object.sub as i32),
        field: Some(object.field as i32),
        xpos: None,
        ypos: None,
        ra: None,
        dec: None,
        magpsf: None,
        sigmapsf: None,
        magap: None,
        sigmagap: None,
        distnr: None,
        magnr: None,
        sigmagnr: None,
        fwhm: None,
        elong: None,
        nbad: None,
        rb: None,
        ssdistnr: None,
        ssmagnr: None,
        ssnamenr: None,
        ranr: None,
        decnr: None,
        scorr: None,
        magzpsci: Some(exposure.magzpsci as f32),
        rbversion: "t17_f5_c3",
    };
    if epoch.detected {
        let q = Quality::of(seed, epoch.source_id);
        let (magpsf, sigmapsf) = epoch.measured.mag();
        let (distnr, magnr, ranr, decnr) = nearest_reference(seed, object, epoch);
        prv.candid = Some(epoch.source_id);
        prv.isdiffpos = Some(if epoch.measured.flux >= 0.0 { "t" } else { "f" });
        prv.xpos = Some(q.xpos);
        prv.ypos = Some(q.ypos);
        prv.ra = Some(epoch.ra);
        prv.dec = Some(epoch.dec);
        prv.magpsf = Some(magpsf as f32);
        prv.sigmapsf = Some(sigmapsf as f32);
        prv.magap = Some(magpsf as f32 + q.aperture);
        prv.sigmagap = Some(sigmapsf as f32 * 1.15);
        prv.distnr = distnr;
        prv.magnr = magnr;
        prv.sigmagnr = sigmagnr(magnr);
        prv.fwhm = Some((epoch.seeing / ARCSEC_PER_PX) as f32);
        prv.elong = Some(q.elong);
        prv.nbad = Some(q.nbad);
        prv.rb = Some(q.rb);
        prv.ranr = Some(ranr);
        prv.decnr = Some(decnr);
        prv.scorr = Some(epoch.measured.snr());
    }
    prv
}

/// Forced photometry on every earlier image of the field in the window, detection or not.
pub fn fp_hists(seed: u64, object: &Object, k: usize) -> Option<Vec<FpHist>> {
    let history = object.history(k, HISTORY_DAYS);
    let out: Vec<_> = history.iter().map(|e| fp_hist(seed, object, e)).collect();
    (!out.is_empty()).then_some(out)
}

fn fp_hist(seed: u64, object: &Object, epoch: &Epoch) -> FpHist {
    let exposure = Exposure::of(seed, object, epoch);
    let (distnr, magnr, ranr, decnr) = nearest_reference(seed, object, epoch);
    let mut rng = keyed(seed, Purpose::Visit, &[exposure.pid as u64, 1]);
    let noise = exposure.dn(epoch.measured.flux_err) / 3.2;
    FpHist {
        field: Some(object.field as i32),
        rcid: Some(object.sub as i32),
        fid: fid(epoch.band),
        pid: exposure.pid,
        rfid: rfid(object, epoch.band),
        sciinpseeing: Some(epoch.seeing as f32),
        scibckgnd: Some(uniform(&mut rng, 120.0, 400.0) as f32),
        scisigpix: Some(noise),
        magzpsci: Some(exposure.magzpsci as f32),
        magzpsciunc: Some(3e-6),
        exptime: Some(30.0),
        diffmaglim: Some(epoch.limit as f32),
        programid: exposure.programid,
        jd: epoch.mjd + JD_MJD,
        forcediffimflux: Some(exposure.dn(epoch.measured.flux)),
        forcediffimfluxunc: Some(exposure.dn(epoch.measured.flux_err)),
        procstatus: Some("0"),
        distnr,
        ranr,
        decnr,
        magnr,
        sigmagnr: sigmagnr(magnr),
    }
}

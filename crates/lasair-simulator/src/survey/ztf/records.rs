//! The ZTF alert records: a reduced form of ZTF's schema 4.02, every field kept with its real
//! name and type, in the real order.

use serde_json::Value;

use crate::avro_schema::{avro_record, def, schema};
use crate::error::SimError;

avro_record! {
    /// The detection that triggered the alert.
    pub struct Candidate = "candidate" {
        jd: f64 = "double",
        fid: i32 = "int",
        pid: i64 = "long",
        diffmaglim: Option<f32> = "float?",
        programid: i32 = "int",
        candid: i64 = "long",
        isdiffpos: &'static str = "string",
        nid: Option<i32> = "int?",
        rcid: Option<i32> = "int?",
        field: Option<i32> = "int?",
        xpos: Option<f32> = "float?",
        ypos: Option<f32> = "float?",
        ra: f64 = "double",
        dec: f64 = "double",
        magpsf: f32 = "float",
        sigmapsf: f32 = "float",
        chipsf: Option<f32> = "float?",
        magap: Option<f32> = "float?",
        sigmagap: Option<f32> = "float?",
        distnr: Option<f32> = "float?",
        magnr: Option<f32> = "float?",
        sigmagnr: Option<f32> = "float?",
        sky: Option<f32> = "float?",
        fwhm: Option<f32> = "float?",
        classtar: Option<f32> = "float?",
        elong: Option<f32> = "float?",
        nbad: Option<i32> = "int?",
        rb: Option<f32> = "float?",
        ssdistnr: Option<f32> = "float?",
        ssmagnr: Option<f32> = "float?",
        ssnamenr: Option<String> = "string?",
        ranr: f64 = "double",
        decnr: f64 = "double",
        sgmag1: Option<f32> = "float?",
        srmag1: Option<f32> = "float?",
        sgscore1: Option<f32> = "float?",
        distpsnr1: Option<f32> = "float?",
        ndethist: i32 = "int",
        ncovhist: i32 = "int",
        jdstarthist: Option<f64> = "double?",
        jdendhist: Option<f64> = "double?",
        scorr: Option<f64> = "double?",
        objectidps1: Option<i64> = "long?",
        nmtchps: i32 = "int",
        rfid: i64 = "long",
        jdstartref: f64 = "double",
        jdendref: f64 = "double",
        nframesref: i32 = "int",
        rbversion: &'static str = "string",
        magzpsci: Option<f32> = "float?",
        magzpsciunc: Option<f32> = "float?",
        nmatches: i32 = "int",
        exptime: Option<f32> = "float?",
        drb: Option<f32> = "float?",
        drbversion: &'static str = "string",
    }
}

avro_record! {
    /// An earlier detection (with candid) or non-detection (candid, magpsf, ra, dec null).
    pub struct PrvCandidate = "prv_candidate" {
        jd: f64 = "double",
        fid: i32 = "int",
        pid: i64 = "long",
        diffmaglim: Option<f32> = "float?",
        programid: i32 = "int",
        candid: Option<i64> = "long?",
        isdiffpos: Option<&'static str> = "string?",
        nid: Option<i32> = "int?",
        rcid: Option<i32> = "int?",
        field: Option<i32> = "int?",
        xpos: Option<f32> = "float?",
        ypos: Option<f32> = "float?",
        ra: Option<f64> = "double?",
        dec: Option<f64> = "double?",
        magpsf: Option<f32> = "float?",
        sigmapsf: Option<f32> = "float?",
        magap: Option<f32> = "float?",
        sigmagap: Option<f32> = "float?",
        distnr: Option<f32> = "float?",
        magnr: Option<f32> = "float?",
        sigmagnr: Option<f32> = "float?",
        fwhm: Option<f32> = "float?",
        elong: Option<f32> = "float?",
        nbad: Option<i32> = "int?",
        rb: Option<f32> = "float?",
        ssdistnr: Option<f32> = "float?",
        ssmagnr: Option<f32> = "float?",
        ssnamenr: Option<String> = "string?",
        ranr: Option<f64> = "double?",
        decnr: Option<f64> = "double?",
        scorr: Option<f64> = "double?",
        magzpsci: Option<f32> = "float?",
        rbversion: &'static str = "string",
    }
}

avro_record! {
    /// Forced photometry at the object's position on an earlier image (flux in DN).
    pub struct FpHist = "fp_hist" {
        field: Option<i32> = "int?",
        rcid: Option<i32> = "int?",
        fid: i32 = "int",
        pid: i64 = "long",
        rfid: i64 = "long",
        sciinpseeing: Option<f32> = "float?",
        scibckgnd: Option<f32> = "float?",
        scisigpix: Option<f32> = "float?",
        magzpsci: Option<f32> = "float?",
        magzpsciunc: Option<f32> = "float?",
        exptime: Option<f32> = "float?",
        diffmaglim: Option<f32> = "float?",
        programid: i32 = "int",
        jd: f64 = "double",
        forcediffimflux: Option<f32> = "float?",
        forcediffimfluxunc: Option<f32> = "float?",
        procstatus: Option<&'static str> = "string?",
        distnr: Option<f32> = "float?",
        ranr: f64 = "double",
        decnr: f64 = "double",
        magnr: Option<f32> = "float?",
        sigmagnr: Option<f32> = "float?",
    }
}

avro_record! {
    /// A cutout: a gzipped FITS file.
    pub struct Cutout<'a> = "cutout" {
        fileName: String = "string",
        #[serde(with = "apache_avro::serde_avro_slice")]
        stampData: &'a [u8] = "bytes",
    }
}

avro_record! {
    /// One alert.
    pub struct Alert<'a> = "alert" {
        schemavsn: &'static str = "string",
        publisher: &'static str = "string",
        objectId: &'a str = "string",
        candid: i64 = "long",
        candidate: Candidate = "candidate",
        prv_candidates: Option<Vec<PrvCandidate>> = "[prv_candidate]?",
        fp_hists: Option<Vec<FpHist>> = "[fp_hist]?",
        cutoutScience: Option<Cutout<'a>> = "cutout?",
        cutoutTemplate: Option<Cutout<'a>> = "cutout?",
        cutoutDifference: Option<Cutout<'a>> = "cutout?",
    }
}

/// The whole schema, namespace `ztf.alert`.
pub fn schema_json() -> Result<Value, SimError> {
    let defs = [
        def::<Candidate>(),
        def::<PrvCandidate>(),
        def::<FpHist>(),
        def::<Cutout>(),
    ];
    let doc = "ZTF alert, a reduced form of ZTF's schema 4.02 (real field names and types), simulated by lasair-sim";
    schema("ztf.alert", doc, def::<Alert>(), &defs)
}

//! The LSST alert records: a reduced form of Rubin's lsst.v10_0 schema, every field kept with
//! its real name and type, in the real order.

use serde_json::Value;

use crate::avro_schema::{avro_record, def, schema};
use crate::error::SimError;

avro_record! {
    /// A detection on a difference image.
    pub struct DiaSource = "diaSource" {
        diaSourceId: i64 = "long",
        visit: i64 = "long",
        detector: i32 = "int",
        diaObjectId: Option<i64> = "long?",
        ssObjectId: Option<i64> = "long?",
        midpointMjdTai: f64 = "double",
        ra: f64 = "double",
        raErr: Option<f32> = "float?",
        dec: f64 = "double",
        decErr: Option<f32> = "float?",
        ra_dec_Cov: Option<f32> = "float?",
        x: f32 = "float",
        y: f32 = "float",
        centroid_flag: Option<bool> = "boolean?",
        apFlux: Option<f32> = "float?",
        apFluxErr: Option<f32> = "float?",
        isNegative: Option<bool> = "boolean?",
        snr: Option<f32> = "float?",
        psfFlux: Option<f32> = "float?",
        psfFluxErr: Option<f32> = "float?",
        psfChi2: Option<f32> = "float?",
        psfNdata: Option<i32> = "int?",
        scienceFlux: Option<f32> = "float?",
        scienceFluxErr: Option<f32> = "float?",
        templateFlux: Option<f32> = "float?",
        templateFluxErr: Option<f32> = "float?",
        extendedness: Option<f32> = "float?",
        reliability: Option<f32> = "float?",
        band: Option<&'static str> = "string?",
        isDipole: Option<bool> = "boolean?",
        timeProcessedMjdTai: f64 = "double",
        timeWithdrawnMjdTai: Option<f64> = "double?",
        pixelFlags: Option<bool> = "boolean?",
    }
}

avro_record! {
    /// Forced photometry at the object's position on one visit.
    pub struct DiaForcedSource = "diaForcedSource" {
        diaForcedSourceId: i64 = "long",
        diaObjectId: i64 = "long",
        ra: f64 = "double",
        dec: f64 = "double",
        visit: i64 = "long",
        detector: i32 = "int",
        psfFlux: Option<f32> = "float?",
        psfFluxErr: Option<f32> = "float?",
        midpointMjdTai: f64 = "double",
        scienceFlux: Option<f32> = "float?",
        scienceFluxErr: Option<f32> = "float?",
        band: Option<&'static str> = "string?",
        timeProcessedMjdTai: f64 = "double",
        timeWithdrawnMjdTai: Option<f64> = "double?",
    }
}

avro_record! {
    /// The object's summary over its detections so far.
    pub struct DiaObject = "diaObject" {
        diaObjectId: i64 = "long",
        validityStartMjdTai: f64 = "double",
        ra: f64 = "double",
        raErr: Option<f32> = "float?",
        dec: f64 = "double",
        decErr: Option<f32> = "float?",
        u_psfFluxMean: Option<f32> = "float?",
        u_psfFluxMeanErr: Option<f32> = "float?",
        u_psfFluxNdata: Option<i32> = "int?",
        g_psfFluxMean: Option<f32> = "float?",
        g_psfFluxMeanErr: Option<f32> = "float?",
        g_psfFluxNdata: Option<i32> = "int?",
        r_psfFluxMean: Option<f32> = "float?",
        r_psfFluxMeanErr: Option<f32> = "float?",
        r_psfFluxNdata: Option<i32> = "int?",
        i_psfFluxMean: Option<f32> = "float?",
        i_psfFluxMeanErr: Option<f32> = "float?",
        i_psfFluxNdata: Option<i32> = "int?",
        z_psfFluxMean: Option<f32> = "float?",
        z_psfFluxMeanErr: Option<f32> = "float?",
        z_psfFluxNdata: Option<i32> = "int?",
        y_psfFluxMean: Option<f32> = "float?",
        y_psfFluxMeanErr: Option<f32> = "float?",
        y_psfFluxNdata: Option<i32> = "int?",
        firstDiaSourceMjdTai: Option<f64> = "double?",
        lastDiaSourceMjdTai: Option<f64> = "double?",
        nDiaSources: i32 = "int",
    }
}

avro_record! {
    /// The known solar-system object a detection was associated with.
    pub struct SsSource = "ssSource" {
        diaSourceId: i64 = "long",
        ssObjectId: i64 = "long",
        designation: Option<String> = "string?",
        eclLambda: f64 = "double",
        eclBeta: f64 = "double",
        galLon: f64 = "double",
        galLat: f64 = "double",
        elongation: Option<f32> = "float?",
        phaseAngle: Option<f32> = "float?",
        topoRange: Option<f32> = "float?",
        helioRange: Option<f32> = "float?",
        ephRa: Option<f64> = "double?",
        ephDec: Option<f64> = "double?",
        ephVmag: Option<f32> = "float?",
    }
}

avro_record! {
    /// One alert.
    pub struct Alert<'a> = "alert" {
        diaSourceId: i64 = "long",
        observation_reason: Option<&'static str> = "string?",
        target_name: Option<&'static str> = "string?",
        diaSource: DiaSource = "diaSource",
        prvDiaSources: Option<Vec<DiaSource>> = "[diaSource]?",
        prvDiaForcedSources: Option<Vec<DiaForcedSource>> = "[diaForcedSource]?",
        diaObject: Option<DiaObject> = "diaObject?",
        ssSource: Option<SsSource> = "ssSource?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutDifference: Option<&'a [u8]> = "bytes?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutScience: Option<&'a [u8]> = "bytes?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutTemplate: Option<&'a [u8]> = "bytes?",
    }
}

/// The whole schema as one self-contained document, namespace `lsst.v10_0`.
pub fn schema_json() -> Result<Value, SimError> {
    let defs = [
        def::<DiaSource>(),
        def::<DiaForcedSource>(),
        def::<DiaObject>(),
        def::<SsSource>(),
    ];
    let doc = "Rubin alert, a reduced form of lsst.v10_0 (real field names and types), simulated by lasair-sim";
    schema("lsst.v10_0", doc, def::<Alert>(), &defs)
}

//! The LSST alert records: Rubin's lsst.v10_0 and lsst.v11_0 schemas whole, every field with
//! its real name and type, in the real order. The two versions differ only in a few counts
//! (`*_psfFluxNdata`, `psfNdata`, `trailNdata`, `dipoleNdata`, `bboxSize`), nullable in 10.0
//! and not in 11.0: those fields are [`Count`]s, written as the chosen version declares them.

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::avro_schema::{avro_record, def, schema_with};
use crate::error::SimError;

/// The Rubin alert schema the simulator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum LsstSchema {
    /// lsst.v10_0, the schema of Rubin's first alerts (schema id 1000).
    #[default]
    V10_0,
    /// lsst.v11_0, the newest (schema id 1100).
    V11_0,
}

impl LsstSchema {
    /// Every version, oldest first.
    pub const ALL: [LsstSchema; 2] = [LsstSchema::V10_0, LsstSchema::V11_0];

    /// The Avro namespace, `lsst.v10_0`.
    pub fn namespace(self) -> &'static str {
        match self {
            LsstSchema::V10_0 => "lsst.v10_0",
            LsstSchema::V11_0 => "lsst.v11_0",
        }
    }

    /// The version as Rubin numbers it, `10.0`.
    pub fn version(self) -> &'static str {
        match self {
            LsstSchema::V10_0 => "10.0",
            LsstSchema::V11_0 => "11.0",
        }
    }

    /// The schema id Rubin's registry gives the version: 1000 for 10.0 (the id Rubin's real
    /// alerts carry), 1100 for 11.0 (the `confluent:version` its files carry).
    pub const fn schema_id(self) -> u32 {
        match self {
            LsstSchema::V10_0 => 1000,
            LsstSchema::V11_0 => 1100,
        }
    }

    /// A count as this version writes it.
    pub fn count(self, n: usize) -> Count {
        Count {
            n: i32::try_from(n).unwrap_or(i32::MAX),
            nullable: self == LsstSchema::V10_0,
        }
    }
}

impl std::fmt::Display for LsstSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.version())
    }
}

impl std::str::FromStr for LsstSchema {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        LsstSchema::ALL
            .into_iter()
            .find(|v| s == v.version() || s == v.namespace())
            .ok_or_else(|| format!("unknown LSST schema {s:?}: expected 10.0 or 11.0"))
    }
}

/// A count that lsst.v10_0 declares `["null", "int"]` and lsst.v11_0 `int`; Rubin writes 0,
/// never null, when there is nothing to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    n: i32,
    nullable: bool,
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.nullable {
            s.serialize_some(&self.n)
        } else {
            s.serialize_i32(self.n)
        }
    }
}

avro_record! {
    /// A detection on a difference image.
    pub struct DiaSource = "diaSource" {
        diaSourceId: i64 = "long",
        visit: i64 = "long",
        detector: i32 = "int",
        diaObjectId: Option<i64> = "long?",
        ssObjectId: Option<i64> = "long?",
        parentDiaSourceId: Option<i64> = "long?",
        midpointMjdTai: f64 = "double",
        ra: f64 = "double",
        raErr: Option<f32> = "float?",
        dec: f64 = "double",
        decErr: Option<f32> = "float?",
        ra_dec_Cov: Option<f32> = "float?",
        x: f32 = "float",
        xErr: Option<f32> = "float?",
        y: f32 = "float",
        yErr: Option<f32> = "float?",
        centroid_flag: Option<bool> = "boolean?",
        apFlux: Option<f32> = "float?",
        apFluxErr: Option<f32> = "float?",
        apFlux_flag: Option<bool> = "boolean?",
        apFlux_flag_apertureTruncated: Option<bool> = "boolean?",
        isNegative: Option<bool> = "boolean?",
        snr: Option<f32> = "float?",
        psfFlux: Option<f32> = "float?",
        psfFluxErr: Option<f32> = "float?",
        psfLnL: Option<f32> = "float?",
        psfChi2: Option<f32> = "float?",
        psfNdata: Count = "count",
        psfFlux_flag: Option<bool> = "boolean?",
        psfFlux_flag_edge: Option<bool> = "boolean?",
        psfFlux_flag_noGoodPixels: Option<bool> = "boolean?",
        trailFlux: Option<f32> = "float?",
        trailFluxErr: Option<f32> = "float?",
        trailRa: Option<f64> = "double?",
        trailRaErr: Option<f32> = "float?",
        trailDec: Option<f64> = "double?",
        trailDecErr: Option<f32> = "float?",
        trailLength: Option<f32> = "float?",
        trailLengthErr: Option<f32> = "float?",
        trailAngle: Option<f32> = "float?",
        trailAngleErr: Option<f32> = "float?",
        trailChi2: Option<f32> = "float?",
        trailNdata: Count = "count",
        trail_flag_edge: Option<bool> = "boolean?",
        dipoleMeanFlux: Option<f32> = "float?",
        dipoleMeanFluxErr: Option<f32> = "float?",
        dipoleFluxDiff: Option<f32> = "float?",
        dipoleFluxDiffErr: Option<f32> = "float?",
        dipoleLength: Option<f32> = "float?",
        dipoleAngle: Option<f32> = "float?",
        dipoleChi2: Option<f32> = "float?",
        dipoleNdata: Count = "count",
        scienceFlux: Option<f32> = "float?",
        scienceFluxErr: Option<f32> = "float?",
        forced_PsfFlux_flag: Option<bool> = "boolean?",
        forced_PsfFlux_flag_edge: Option<bool> = "boolean?",
        forced_PsfFlux_flag_noGoodPixels: Option<bool> = "boolean?",
        templateFlux: Option<f32> = "float?",
        templateFluxErr: Option<f32> = "float?",
        ixx: Option<f32> = "float?",
        iyy: Option<f32> = "float?",
        ixy: Option<f32> = "float?",
        ixxPSF: Option<f32> = "float?",
        iyyPSF: Option<f32> = "float?",
        ixyPSF: Option<f32> = "float?",
        shape_flag: Option<bool> = "boolean?",
        shape_flag_no_pixels: Option<bool> = "boolean?",
        shape_flag_not_contained: Option<bool> = "boolean?",
        shape_flag_parent_source: Option<bool> = "boolean?",
        extendedness: Option<f32> = "float?",
        reliability: Option<f32> = "float?",
        band: Option<&'static str> = "string?",
        isDipole: Option<bool> = "boolean?",
        dipoleFitAttempted: Option<bool> = "boolean?",
        timeProcessedMjdTai: f64 = "double",
        timeWithdrawnMjdTai: Option<f64> = "double?",
        bboxSize: Count = "count",
        pixelFlags: Option<bool> = "boolean?",
        pixelFlags_bad: Option<bool> = "boolean?",
        pixelFlags_cr: Option<bool> = "boolean?",
        pixelFlags_crCenter: Option<bool> = "boolean?",
        pixelFlags_edge: Option<bool> = "boolean?",
        pixelFlags_nodata: Option<bool> = "boolean?",
        pixelFlags_nodataCenter: Option<bool> = "boolean?",
        pixelFlags_interpolated: Option<bool> = "boolean?",
        pixelFlags_interpolatedCenter: Option<bool> = "boolean?",
        pixelFlags_offimage: Option<bool> = "boolean?",
        pixelFlags_saturated: Option<bool> = "boolean?",
        pixelFlags_saturatedCenter: Option<bool> = "boolean?",
        pixelFlags_suspect: Option<bool> = "boolean?",
        pixelFlags_suspectCenter: Option<bool> = "boolean?",
        pixelFlags_streak: Option<bool> = "boolean?",
        pixelFlags_streakCenter: Option<bool> = "boolean?",
        pixelFlags_injected: Option<bool> = "boolean?",
        pixelFlags_injectedCenter: Option<bool> = "boolean?",
        pixelFlags_injected_template: Option<bool> = "boolean?",
        pixelFlags_injected_templateCenter: Option<bool> = "boolean?",
        glint_trail: Option<bool> = "boolean?",
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
    /// The object's summary over its detections and forced photometry so far.
    pub struct DiaObject = "diaObject" {
        diaObjectId: i64 = "long",
        validityStartMjdTai: f64 = "double",
        ra: f64 = "double",
        raErr: Option<f32> = "float?",
        dec: f64 = "double",
        decErr: Option<f32> = "float?",
        ra_dec_Cov: Option<f32> = "float?",
        u_psfFluxMean: Option<f32> = "float?",
        u_psfFluxMeanErr: Option<f32> = "float?",
        u_psfFluxSigma: Option<f32> = "float?",
        u_psfFluxNdata: Count = "count",
        u_fpFluxMean: Option<f32> = "float?",
        u_fpFluxMeanErr: Option<f32> = "float?",
        g_psfFluxMean: Option<f32> = "float?",
        g_psfFluxMeanErr: Option<f32> = "float?",
        g_psfFluxSigma: Option<f32> = "float?",
        g_psfFluxNdata: Count = "count",
        g_fpFluxMean: Option<f32> = "float?",
        g_fpFluxMeanErr: Option<f32> = "float?",
        r_psfFluxMean: Option<f32> = "float?",
        r_psfFluxMeanErr: Option<f32> = "float?",
        r_psfFluxSigma: Option<f32> = "float?",
        r_psfFluxNdata: Count = "count",
        r_fpFluxMean: Option<f32> = "float?",
        r_fpFluxMeanErr: Option<f32> = "float?",
        i_psfFluxMean: Option<f32> = "float?",
        i_psfFluxMeanErr: Option<f32> = "float?",
        i_psfFluxSigma: Option<f32> = "float?",
        i_psfFluxNdata: Count = "count",
        i_fpFluxMean: Option<f32> = "float?",
        i_fpFluxMeanErr: Option<f32> = "float?",
        z_psfFluxMean: Option<f32> = "float?",
        z_psfFluxMeanErr: Option<f32> = "float?",
        z_psfFluxSigma: Option<f32> = "float?",
        z_psfFluxNdata: Count = "count",
        z_fpFluxMean: Option<f32> = "float?",
        z_fpFluxMeanErr: Option<f32> = "float?",
        y_psfFluxMean: Option<f32> = "float?",
        y_psfFluxMeanErr: Option<f32> = "float?",
        y_psfFluxSigma: Option<f32> = "float?",
        y_psfFluxNdata: Count = "count",
        y_fpFluxMean: Option<f32> = "float?",
        y_fpFluxMeanErr: Option<f32> = "float?",
        u_scienceFluxMean: Option<f32> = "float?",
        u_scienceFluxMeanErr: Option<f32> = "float?",
        g_scienceFluxMean: Option<f32> = "float?",
        g_scienceFluxMeanErr: Option<f32> = "float?",
        r_scienceFluxMean: Option<f32> = "float?",
        r_scienceFluxMeanErr: Option<f32> = "float?",
        i_scienceFluxMean: Option<f32> = "float?",
        i_scienceFluxMeanErr: Option<f32> = "float?",
        z_scienceFluxMean: Option<f32> = "float?",
        z_scienceFluxMeanErr: Option<f32> = "float?",
        y_scienceFluxMean: Option<f32> = "float?",
        y_scienceFluxMeanErr: Option<f32> = "float?",
        u_psfFluxMin: Option<f32> = "float?",
        u_psfFluxMax: Option<f32> = "float?",
        u_psfFluxMaxSlope: Option<f32> = "float?",
        u_psfFluxErrMean: Option<f32> = "float?",
        g_psfFluxMin: Option<f32> = "float?",
        g_psfFluxMax: Option<f32> = "float?",
        g_psfFluxMaxSlope: Option<f32> = "float?",
        g_psfFluxErrMean: Option<f32> = "float?",
        r_psfFluxMin: Option<f32> = "float?",
        r_psfFluxMax: Option<f32> = "float?",
        r_psfFluxMaxSlope: Option<f32> = "float?",
        r_psfFluxErrMean: Option<f32> = "float?",
        i_psfFluxMin: Option<f32> = "float?",
        i_psfFluxMax: Option<f32> = "float?",
        i_psfFluxMaxSlope: Option<f32> = "float?",
        i_psfFluxErrMean: Option<f32> = "float?",
        z_psfFluxMin: Option<f32> = "float?",
        z_psfFluxMax: Option<f32> = "float?",
        z_psfFluxMaxSlope: Option<f32> = "float?",
        z_psfFluxErrMean: Option<f32> = "float?",
        y_psfFluxMin: Option<f32> = "float?",
        y_psfFluxMax: Option<f32> = "float?",
        y_psfFluxMaxSlope: Option<f32> = "float?",
        y_psfFluxErrMean: Option<f32> = "float?",
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
        topoRangeRate: Option<f32> = "float?",
        helioRange: Option<f32> = "float?",
        helioRangeRate: Option<f32> = "float?",
        ephRa: Option<f64> = "double?",
        ephDec: Option<f64> = "double?",
        ephVmag: Option<f32> = "float?",
        ephRate: Option<f32> = "float?",
        ephRateRa: Option<f32> = "float?",
        ephRateDec: Option<f32> = "float?",
        ephOffset: Option<f32> = "float?",
        ephOffsetRa: Option<f64> = "double?",
        ephOffsetDec: Option<f64> = "double?",
        ephOffsetAlongTrack: Option<f32> = "float?",
        ephOffsetCrossTrack: Option<f32> = "float?",
        helio_x: Option<f32> = "float?",
        helio_y: Option<f32> = "float?",
        helio_z: Option<f32> = "float?",
        helio_vx: Option<f32> = "float?",
        helio_vy: Option<f32> = "float?",
        helio_vz: Option<f32> = "float?",
        helio_vtot: Option<f32> = "float?",
        topo_x: Option<f32> = "float?",
        topo_y: Option<f32> = "float?",
        topo_z: Option<f32> = "float?",
        topo_vx: Option<f32> = "float?",
        topo_vy: Option<f32> = "float?",
        topo_vz: Option<f32> = "float?",
        topo_vtot: Option<f32> = "float?",
        diaDistanceRank: Option<i32> = "int?",
    }
}

avro_record! {
    /// The Minor Planet Center's orbit of that object.
    pub struct MpcOrbits = "mpc_orbits" {
        id: i32 = "int",
        designation: String = "string",
        packed_primary_provisional_designation: String = "string",
        unpacked_primary_provisional_designation: String = "string",
        mpc_orb_jsonb: Option<String> = "string?",
        created_at: Option<i64> = "timestamp-micros?",
        updated_at: Option<i64> = "timestamp-micros?",
        orbit_type_int: Option<i32> = "int?",
        u_param: Option<i32> = "int?",
        nopp: Option<i32> = "int?",
        arc_length_total: Option<f64> = "double?",
        arc_length_sel: Option<f64> = "double?",
        nobs_total: Option<i32> = "int?",
        nobs_total_sel: Option<i32> = "int?",
        a: Option<f64> = "double?",
        q: Option<f64> = "double?",
        e: Option<f64> = "double?",
        i: Option<f64> = "double?",
        node: Option<f64> = "double?",
        argperi: Option<f64> = "double?",
        peri_time: Option<f64> = "double?",
        yarkovsky: Option<f64> = "double?",
        srp: Option<f64> = "double?",
        a1: Option<f64> = "double?",
        a2: Option<f64> = "double?",
        a3: Option<f64> = "double?",
        dt: Option<f64> = "double?",
        mean_anomaly: Option<f64> = "double?",
        period: Option<f64> = "double?",
        mean_motion: Option<f64> = "double?",
        a_unc: Option<f64> = "double?",
        q_unc: Option<f64> = "double?",
        e_unc: Option<f64> = "double?",
        i_unc: Option<f64> = "double?",
        node_unc: Option<f64> = "double?",
        argperi_unc: Option<f64> = "double?",
        peri_time_unc: Option<f64> = "double?",
        yarkovsky_unc: Option<f64> = "double?",
        srp_unc: Option<f64> = "double?",
        a1_unc: Option<f64> = "double?",
        a2_unc: Option<f64> = "double?",
        a3_unc: Option<f64> = "double?",
        dt_unc: Option<f64> = "double?",
        mean_anomaly_unc: Option<f64> = "double?",
        period_unc: Option<f64> = "double?",
        mean_motion_unc: Option<f64> = "double?",
        epoch_mjd: Option<f64> = "double?",
        h: Option<f64> = "double?",
        g: Option<f64> = "double?",
        not_normalized_rms: Option<f64> = "double?",
        normalized_rms: Option<f64> = "double?",
        earth_moid: Option<f64> = "double?",
        fitting_datetime: Option<i64> = "timestamp-micros?",
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
        mpc_orbits: Option<MpcOrbits> = "mpc_orbits?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutDifference: Option<&'a [u8]> = "bytes?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutScience: Option<&'a [u8]> = "bytes?",
        #[serde(with = "apache_avro::serde_avro_slice_opt")]
        cutoutTemplate: Option<&'a [u8]> = "bytes?",
    }
}

/// The whole schema of `version` as one self-contained document, in its namespace.
pub fn schema_json(version: LsstSchema) -> Result<Value, SimError> {
    let defs = [
        def::<DiaSource>(),
        def::<DiaForcedSource>(),
        def::<DiaObject>(),
        def::<SsSource>(),
        def::<MpcOrbits>(),
    ];
    let count = match version {
        LsstSchema::V10_0 => "int?",
        LsstSchema::V11_0 => "int",
    };
    let doc = format!(
        "Rubin alert, {} (real field names and types), simulated by lasair-sim",
        version.namespace()
    );
    schema_with(
        version.namespace(),
        &doc,
        def::<Alert>(),
        &defs,
        &[("count", count)],
    )
}

//! LSST: Lasair-LSST's `objects` columns (schema 11.1) from the diaSource, its prvDiaSources
//! and prvDiaForcedSources and the diaObject (after lsst-uk/lasair-lsst's filter features).
//!
//! Definitions, as Lasair's: the lightcurve is the diaSources with a psfFlux, in time order.
//! Latest flux per band and its MJD; medianR / latestR are the median and the latest
//! reliability, nSourcesGood counts reliability above 0.5; nPosDiaSourcesNights counts the
//! distinct nights (MJD rounded, noon to noon) with a positive flux. absMag is the brightest
//! absolute magnitude 31.4 - 2.5 log10(flux nJy) - μ of the diaSources, for objects Sherlock
//! calls SN, NT or ORPHAN and places at a distance (μ its distance modulus); absMagMJD its
//! time. The Bazin x blackbody fit ([`bbb`]) runs for those same classes. glat is the
//! diaObject's galactic latitude. The diaObject gives ra, decl, nDiaSources, the mean fluxes
//! and firstDiaSourceMjdTai (when Rubin sets it; else the earliest diaSource's MJD);
//! lastDiaSourceMjdTai is the latest diaSource's. Jumps: [`jump`]; pair colours: [`pair`].
//! htm16 is the row's position's HTM id at level 16 ([`lasair_sky::htm_id`]); the diaObject's
//! other fields Lasair keeps (schema 11.1's `ext_fields`) are copied as the alert has them.
//! Sources of known solar-system objects have no diaObject: keyed by their ssObjectId and
//! placed at the diaSource, when [`Options::keep_solar_system`] keeps them.
//!
//! ebv is the SFD map's E(B-V) at the diaObject's position ([`Options::dust`]); as in
//! Lasair, absMag, the pair colours and the Bazin x blackbody fit (detections and forced
//! sources) use fluxes dereddened by 10^(0.4 ebv R_band), R from Schlafly & Finkbeiner 2011
//! ([`EXTINCTION`]); the latest fluxes, counts and jumps use the fluxes as measured.
//!
//! Checked against Lasair-LSST's own code (`tests/lsst_lasair.rs`). Where we differ (see
//! docs/differences-from-lasair.md): ebv is NULL when no dust map is configured (Lasair's code
//! would take 0); firstDiaSourceMjdTai is Rubin's when it sets it (Lasair's code means to, but
//! always takes the earliest diaSource's); BBBPeakAbsMag uses absMag's distance modulus
//! (Lasair's, a redshift's with 2.5 ln(1+z) added); a Bazin fit with no peak has no peak MJD;
//! pair colours are computed whichever band comes first (see [`pair`]); sources without a
//! finite flux are left out of the fit (see [`bbb`]); nothing crashes on a missing value.

mod bbb;
mod blackbody;
mod jump;
mod pair;

use lasair_alert::{Alert, Point, PointKind};
use lasair_sql::catalog::{ColType, Column, LSST_OBJECTS, LSST_OBJECT_FIELDS};
use lasair_sql::Value;

use crate::row::{count, index, real, set, text};
use crate::stats;
use crate::{Context, NoRow, Options, SurveyFeatures};
use blackbody::{band_index, BANDS};

pub(crate) struct Lsst;

/// A_band / E(B-V) for LSST's bands in [`BANDS`] order: Schlafly & Finkbeiner (2011) Table 6,
/// R_V = 3.1, Lasair-LSST's `EXTCOEF`.
pub(crate) const EXTINCTION: [f64; 6] = [4.145, 3.237, 2.273, 1.684, 1.323, 1.088];

/// Reliability above which a diaSource is "good".
const GOOD: f64 = 0.5;
/// Sherlock's classes for which absMag and the fit are computed.
const TRANSIENT_CLASSES: [&str; 3] = ["SN", "NT", "ORPHAN"];

/// One diaSource or forced source with a flux.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub mjd: f64,
    pub band: &'a str,
    pub flux: f64,
    pub reliability: Option<f64>,
}

impl<'a> Source<'a> {
    fn new(p: &'a Point) -> Option<Self> {
        Some(Source {
            mjd: p.mjd,
            band: &p.band,
            flux: p.flux.filter(|f| f.is_finite())?,
            reliability: p.fields.f64("reliability"),
        })
    }
}

macro_rules! band_columns {
    ($b:literal) => {
        [
            index(LSST_OBJECTS.columns, concat!($b, "_psfFlux")),
            index(LSST_OBJECTS.columns, concat!($b, "_latestMJD")),
            index(LSST_OBJECTS.columns, concat!($b, "_psfFluxMean")),
            index(LSST_OBJECTS.columns, concat!($b, "_psfFluxMeanErr")),
            index(LSST_OBJECTS.columns, concat!("n", $b, "Sources")),
        ]
    };
}

/// The diaObject's mean flux fields and their errors, in [`BANDS`] order.
const MEAN_FIELDS: [(&str, &str); 6] = [
    ("u_psfFluxMean", "u_psfFluxMeanErr"),
    ("g_psfFluxMean", "g_psfFluxMeanErr"),
    ("r_psfFluxMean", "r_psfFluxMeanErr"),
    ("i_psfFluxMean", "i_psfFluxMeanErr"),
    ("z_psfFluxMean", "z_psfFluxMeanErr"),
    ("y_psfFluxMean", "y_psfFluxMeanErr"),
];

/// The columns of each band, in [`BANDS`] order: latest flux, its MJD, the diaObject's mean
/// flux and its error, the count of diaSources.
const BAND_COLUMNS: [[usize; 5]; 6] = [
    band_columns!("u"),
    band_columns!("g"),
    band_columns!("r"),
    band_columns!("i"),
    band_columns!("z"),
    band_columns!("y"),
];

impl SurveyFeatures for Lsst {
    fn columns(&self) -> &'static [Column] {
        LSST_OBJECTS.columns
    }

    fn point_fields(&self) -> &'static [&'static str] {
        // A source's reliability (`Source::new`); the rest is the point's own or the
        // diaObject's.
        &["reliability"]
    }

    fn object_row(
        &self,
        alert: &Alert,
        ctx: &Context<'_>,
        opts: &Options,
    ) -> Result<Vec<Value>, NoRow> {
        let sources: Vec<Source> = alert
            .points(PointKind::Detection)
            .filter_map(Source::new)
            .collect();
        if sources.is_empty() {
            return Err(NoRow::NoDetection);
        }
        if alert.solar_system && !opts.keep_solar_system {
            return Err(NoRow::SolarSystem);
        }
        let mut row = vec![Value::Null; LSST_OBJECTS.columns.len()];
        fill_object(&mut row, alert, &sources);
        fill_object_fields(&mut row, alert);
        fill_bands(&mut row, alert, &sources);
        fill_counts(&mut row, &sources);
        let (ra, dec) = position(alert);
        let ebv = opts.dust.as_ref().and_then(|map| map.ebv(ra, dec));
        set!(row, LSST_OBJECTS, "ebv", real(ebv));
        let raw = sources;
        let sources = deredden(&raw, ebv);
        set!(row, LSST_OBJECTS, "tns_name", text(ctx.tns_name));
        let transient = ctx
            .classification
            .is_some_and(|c| TRANSIENT_CLASSES.contains(&c));
        let modulus = ctx
            .distance_mpc
            .filter(|d| *d > 0.0 && transient)
            .map(|d| 5.0 * (d * 1e6).log10() - 5.0);
        if let Some(mu) = modulus {
            let brightest = sources
                .iter()
                .filter(|s| s.flux > 0.0)
                .max_by(|a, b| a.flux.total_cmp(&b.flux));
            set!(
                row,
                LSST_OBJECTS,
                "absMag",
                real(brightest.map(|s| abs_mag(s.flux, mu)))
            );
            set!(
                row,
                LSST_OBJECTS,
                "absMagMJD",
                real(brightest.map(|s| s.mjd))
            );
        }
        if transient {
            fill_bbb(&mut row, alert, &sources, ebv, modulus);
        }
        let (jump1, jump2) = jump::jumps(&raw);
        set!(row, LSST_OBJECTS, "jump1", real(Some(jump1)));
        set!(row, LSST_OBJECTS, "jump2", real(Some(jump2)));
        fill_pairs(&mut row, &sources);
        Ok(row)
    }
}

/// The diaObject's position (the alert's when it has none): where ebv is looked up.
fn position(alert: &Alert) -> (f64, f64) {
    let object = alert.envelope.record("diaObject");
    let ra = object.and_then(|o| o.f64("ra")).unwrap_or(alert.ra);
    let dec = object.and_then(|o| o.f64("dec")).unwrap_or(alert.dec);
    (ra, dec)
}

/// The sources with their fluxes dereddened for E(B-V) `ebv` (Lasair's `dustflux`); the same
/// sources when there is no ebv.
fn deredden<'a>(sources: &[Source<'a>], ebv: Option<f64>) -> Vec<Source<'a>> {
    let factor = |band: &str| match (ebv, band_index(band)) {
        (Some(ebv), Some(b)) => 10f64.powf(0.4 * ebv * EXTINCTION[b]),
        _ => 1.0,
    };
    sources
        .iter()
        .map(|s| Source {
            flux: s.flux * factor(s.band),
            ..s.clone()
        })
        .collect()
}

/// Absolute magnitude of a flux in nJy at distance modulus `mu`.
fn abs_mag(flux: f64, mu: f64) -> f64 {
    31.4 - 2.5 * flux.log10() - mu
}

/// The diaObject's identity, position and time span.
fn fill_object(row: &mut [Value], alert: &Alert, sources: &[Source]) {
    let object = alert.envelope.record("diaObject");
    let id = object
        .and_then(|o| o.i64("diaObjectId"))
        .or_else(|| alert.object_id.0.parse().ok());
    let (ra, dec) = position(alert);
    set!(
        row,
        LSST_OBJECTS,
        "diaObjectId",
        id.map_or(Value::Null, Value::Int)
    );
    set!(row, LSST_OBJECTS, "ra", real(Some(ra)));
    set!(row, LSST_OBJECTS, "decl", real(Some(dec)));
    set!(
        row,
        LSST_OBJECTS,
        "glat",
        real(Some(lasair_sky::galactic(ra, dec).1))
    );
    let mjds: Vec<f64> = sources.iter().map(|s| s.mjd).collect();
    let (first, last) = stats::min_max(&mjds).unzip();
    let rubin_first = object.and_then(|o| o.f64("firstDiaSourceMjdTai"));
    set!(
        row,
        LSST_OBJECTS,
        "firstDiaSourceMjdTai",
        real(rubin_first.filter(|v| v.is_finite()).or(first))
    );
    set!(row, LSST_OBJECTS, "lastDiaSourceMjdTai", real(last));
    let n = object.and_then(|o| o.i64("nDiaSources"));
    set!(
        row,
        LSST_OBJECTS,
        "nDiaSources",
        n.map_or(count(sources.len()), Value::Int)
    );
}

/// htm16, the row's position's HTM id at level 16 (Lasair's index, made as its gkhtm does),
/// and the diaObject's own fields Lasair copies into the row as the alert has them (NULL
/// where it has none, as for a solar-system source).
fn fill_object_fields(row: &mut [Value], alert: &Alert) {
    const RA: usize = index(LSST_OBJECTS.columns, "ra");
    const DEC: usize = index(LSST_OBJECTS.columns, "decl");
    const HTM16: usize = index(LSST_OBJECTS.columns, "htm16");
    const _: () = assert!(HTM16 + LSST_OBJECT_FIELDS.len() == LSST_OBJECTS.columns.len());
    if let (Value::Real(ra), Value::Real(dec)) = (&row[RA], &row[DEC]) {
        row[HTM16] = Value::Int(lasair_sky::htm_id(16, *ra, *dec));
    }
    let Some(object) = alert.envelope.record("diaObject") else {
        return;
    };
    for (i, column) in LSST_OBJECT_FIELDS.iter().enumerate().skip(1) {
        row[HTM16 + i] = match column.ty {
            ColType::Int => object.i64(column.name).map_or(Value::Null, Value::Int),
            ColType::Real => real(object.f64(column.name)),
            ColType::Text => text(object.str(column.name)),
        };
    }
}

/// Per band: the latest flux and its MJD, the diaObject's mean flux, the count of sources.
fn fill_bands(row: &mut [Value], alert: &Alert, sources: &[Source]) {
    let object = alert.envelope.record("diaObject");
    let mut counts = [0usize; 6];
    for s in sources {
        if let Some(b) = band_index(s.band) {
            counts[b] += 1;
            row[BAND_COLUMNS[b][0]] = real(Some(s.flux));
            row[BAND_COLUMNS[b][1]] = real(Some(s.mjd));
        }
    }
    for b in 0..BANDS.len() {
        let mean = object.and_then(|o| o.f64(MEAN_FIELDS[b].0));
        let err = object.and_then(|o| o.f64(MEAN_FIELDS[b].1));
        row[BAND_COLUMNS[b][2]] = real(mean);
        row[BAND_COLUMNS[b][3]] = real(err);
        row[BAND_COLUMNS[b][4]] = count(counts[b]);
    }
    set!(
        row,
        LSST_OBJECTS,
        "latest_psfFlux",
        real(sources.last().map(|s| s.flux))
    );
}

/// Reliabilities and counts of positive sources and their nights.
fn fill_counts(row: &mut [Value], sources: &[Source]) {
    let mut rel: Vec<f64> = sources.iter().filter_map(|s| s.reliability).collect();
    let good = rel.iter().filter(|r| **r > GOOD).count();
    let mut nights: Vec<i64> = sources
        .iter()
        .filter(|s| s.flux > 0.0)
        .map(|s| (s.mjd + 0.5).floor() as i64)
        .collect();
    let positive = nights.len();
    nights.sort_unstable();
    nights.dedup();
    set!(
        row,
        LSST_OBJECTS,
        "latestR",
        real(sources.last().and_then(|s| s.reliability))
    );
    set!(row, LSST_OBJECTS, "medianR", real(stats::median(&mut rel)));
    set!(row, LSST_OBJECTS, "nSourcesGood", count(good));
    set!(row, LSST_OBJECTS, "nPosDiaSources", count(positive));
    set!(
        row,
        LSST_OBJECTS,
        "nPosDiaSourcesNights",
        count(nights.len())
    );
}

/// The Bazin x blackbody fit's columns; all NULL when it fails.
fn fill_bbb(
    row: &mut [Value],
    alert: &Alert,
    sources: &[Source],
    ebv: Option<f64>,
    modulus: Option<f64>,
) {
    let forced: Vec<Source> = alert
        .points(PointKind::Forced)
        .filter_map(Source::new)
        .collect();
    let forced = deredden(&forced, ebv);
    let Some(fit) = bbb::fit(sources, &forced) else {
        return;
    };
    set!(row, LSST_OBJECTS, "BBBRiseRate", real(Some(fit.rise_rate)));
    set!(row, LSST_OBJECTS, "BBBFallRate", real(fit.fall_rate));
    set!(row, LSST_OBJECTS, "BBBTemp", real(Some(fit.temp)));
    set!(row, LSST_OBJECTS, "BBBPeakFlux", real(fit.peak_flux));
    set!(row, LSST_OBJECTS, "BBBPeakMJD", real(fit.peak_mjd));
    let peak_abs = fit
        .peak_flux
        .filter(|f| *f > 0.0)
        .zip(modulus)
        .map(|(f, mu)| abs_mag(f, mu));
    set!(row, LSST_OBJECTS, "BBBPeakAbsMag", real(peak_abs));
}

fn fill_pairs(row: &mut [Value], sources: &[Source]) {
    let [latest, penultimate] = pair::latest_pairs(sources);
    if let Some(p) = latest {
        set!(row, LSST_OBJECTS, "latestPairMJD", real(Some(p.mjd)));
        set!(
            row,
            LSST_OBJECTS,
            "latestPairColourMag",
            real(Some(p.colour_mag))
        );
        set!(
            row,
            LSST_OBJECTS,
            "latestPairColourTemp",
            real(Some(p.temp))
        );
        set!(
            row,
            LSST_OBJECTS,
            "latestPairColourBands",
            Value::Text(p.bands)
        );
    }
    if let Some(p) = penultimate {
        set!(row, LSST_OBJECTS, "penultimatePairMJD", real(Some(p.mjd)));
        set!(
            row,
            LSST_OBJECTS,
            "penultimatePairColourMag",
            real(Some(p.colour_mag))
        );
        set!(
            row,
            LSST_OBJECTS,
            "penultimatePairColourTemp",
            real(Some(p.temp))
        );
        set!(
            row,
            LSST_OBJECTS,
            "penultimatePairColourBands",
            Value::Text(p.bands)
        );
    }
}

#[cfg(test)]
mod tests;

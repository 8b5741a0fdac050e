//! ZTF: Lasair's `objects` columns from the candidate and the detections among its
//! prv_candidates (after lsst-uk/lasair4's filter features).
//!
//! Definitions, as Lasair's: detections are the points with a candid, in time order (upper
//! limits play no part); g is fid 1, r fid 2; good = rb or drb above 0.75; positive =
//! isdiffpos `t` or `1`. `ncandgp_7` / `_14` count good positive detections less than 7 / 14
//! days older than the latest detection. `dmdt_X` comes from the band's last two detections
//! when both are positive, its error the two errors added in quadrature, over their time
//! apart. The moving averages start at the band's first magnitude and decay with e-folding
//! times of 2, 8 and 28 days. `g_minus_r` is from the latest night (nid) with positive
//! detections in both bands, its jd the g detection's. PS1 fields come from the candidate;
//! `ssnamenr` from the latest detection.
//!
//! Where we differ from Lasair's Python, on purpose: counts of zero are 0 and a single
//! detection's spread 0.0 (Lasair writes every falsy value as NULL); ra is averaged across
//! 0/360 correctly; a detection with a fid other than 1 or 2 counts in `ncand` but in no band
//! (Lasair puts it in r); `maggmedian` / `magrmedian` are filled (Lasair's code leaves them
//! NULL).

use std::collections::BTreeMap;

use lasair_alert::{Alert, Point, PointKind};
use lasair_sql::catalog::{Column, ZTF_OBJECTS};
use lasair_sql::Value;

use crate::row::{count, real, set, text};
use crate::stats;
use crate::{Context, NoRow, Options, SurveyFeatures};

pub(crate) struct Ztf;

/// The reliability above which a detection is "good" (rb or drb).
const GOOD: f64 = 0.75;
/// The moving averages' e-folding times, in days.
const EMA_DAYS: [f64; 3] = [2.0, 8.0, 28.0];

/// One detection, with what the features use of its record.
struct Det {
    jd: f64,
    fid: i64,
    mag: f64,
    mag_err: Option<f64>,
    ra: f64,
    dec: f64,
    positive: bool,
    good: bool,
    nid: Option<i64>,
}

impl Det {
    fn new(p: &Point) -> Option<Det> {
        let f = &p.fields;
        let above = |field| f.f64(field).is_some_and(|v| v > GOOD);
        // Integers read back from JSON lines may come as floats.
        let int = |field| f.i64(field).or_else(|| f.f64(field).map(|v| v as i64));
        Some(Det {
            jd: f.f64("jd")?,
            fid: int("fid")?,
            mag: p.mag.or_else(|| f.f64("magpsf"))?,
            mag_err: p.mag_err.or_else(|| f.f64("sigmapsf")),
            ra: f.f64("ra")?,
            dec: f.f64("dec")?,
            positive: matches!(f.str("isdiffpos"), Some("t" | "1")),
            good: above("rb") || above("drb"),
            nid: int("nid"),
        })
    }
}

/// The columns of one band.
#[derive(Debug, Default, PartialEq)]
struct Band {
    latest_mag: Option<f64>,
    jd_max: Option<f64>,
    dmdt: Option<f64>,
    dmdt_err: Option<f64>,
    /// Lasair's `dmdt_X_2`, between the third- and second-latest detections.
    dmdt_2: Option<f64>,
    ema: [Option<f64>; 3],
    min: Option<f64>,
    mean: Option<f64>,
    max: Option<f64>,
    median: Option<f64>,
}

impl Band {
    fn new(dets: &[&Det]) -> Band {
        let Some(last) = dets.last() else {
            return Band::default();
        };
        let mut mags: Vec<f64> = dets.iter().map(|d| d.mag).collect();
        let (min, max) = stats::min_max(&mags).unzip();
        let mean = stats::mean(&mags);
        let (dmdt, dmdt_err) = dmdt(dets).unzip();
        Band {
            latest_mag: Some(last.mag),
            jd_max: dets.iter().map(|d| d.jd).reduce(f64::max),
            dmdt,
            dmdt_err: dmdt_err.flatten(),
            dmdt_2: dmdt_2(dets),
            ema: EMA_DAYS.map(|tau| moving_average(dets, tau)),
            min,
            mean,
            max,
            median: stats::median(&mut mags),
        }
    }
}

/// The rate of brightening (mag/day) between the last two detections if both are positive,
/// and its error when both have one.
fn dmdt(dets: &[&Det]) -> Option<(f64, Option<f64>)> {
    let [.., a, b] = dets else { return None };
    let dt = b.jd - a.jd;
    if !(a.positive && b.positive) || dt == 0.0 {
        return None;
    }
    let err = a.mag_err.zip(b.mag_err).map(|(ea, eb)| ea.hypot(eb) / dt);
    Some(((a.mag - b.mag) / dt, err))
}

/// Lasair's `dmdt_X_2`: from the band's third- and second-latest detections when both are
/// positive, (mag[-2] - mag[-3]) / dt, as its code computes it: the opposite sign to `dmdt_X`
/// (fading is positive here), which Lasair's schema calls deprecated and always NULL while its
/// code fills it. Ours is what its code stores.
fn dmdt_2(dets: &[&Det]) -> Option<f64> {
    let [.., a, b, _] = dets else { return None };
    let dt = b.jd - a.jd;
    if !(a.positive && b.positive) || dt == 0.0 {
        return None;
    }
    Some((b.mag - a.mag) / dt)
}

/// Lasair's exponential moving average of the magnitudes with e-folding time `tau` days.
fn moving_average(dets: &[&Det], tau: f64) -> Option<f64> {
    let (first, rest) = dets.split_first()?;
    let (mut m, mut last_jd) = (first.mag, first.jd);
    for d in rest {
        let f = (-(d.jd - last_jd) / tau).exp();
        m = m * f + d.mag * (1.0 - f);
        last_jd = d.jd;
    }
    Some(m)
}

/// g - r and the jd of its g detection, from the latest night with positive detections in
/// both bands (each band's last positive detection that night).
fn g_minus_r(dets: &[Det]) -> Option<(f64, f64)> {
    let mut nights: BTreeMap<i64, [Option<&Det>; 2]> = BTreeMap::new();
    for d in dets.iter().filter(|d| d.positive) {
        if let (Some(nid), 1 | 2) = (d.nid, d.fid) {
            nights.entry(nid).or_default()[(d.fid - 1) as usize] = Some(d);
        }
    }
    nights.values().rev().find_map(|night| match night {
        [Some(g), Some(r)] => Some((g.mag - r.mag, g.jd)),
        _ => None,
    })
}

/// The latest detection's solar-system name, if any (`null` is ZTF's "none").
fn ss_name(p: Option<&Point>) -> Option<&str> {
    p?.fields
        .str("ssnamenr")
        .filter(|s| !s.is_empty() && *s != "null")
}

impl SurveyFeatures for Ztf {
    fn columns(&self) -> &'static [Column] {
        ZTF_OBJECTS.columns
    }

    fn point_fields(&self) -> &'static [&'static str] {
        &[
            // Each detection (`Det::new`), its solar-system name, and the trigger's.
            "jd",
            "fid",
            "magpsf",
            "sigmapsf",
            "ra",
            "dec",
            "isdiffpos",
            "rb",
            "drb",
            "nid",
            "ssnamenr",
            "distpsnr1",
            "sgscore1",
            "sgmag1",
            "srmag1",
        ]
    }

    fn object_row(
        &self,
        alert: &Alert,
        _: &Context<'_>,
        opts: &Options,
    ) -> Result<Vec<Value>, NoRow> {
        let points: Vec<&Point> = alert.points(PointKind::Detection).collect();
        let mut dets: Vec<Det> = points.iter().filter_map(|p| Det::new(p)).collect();
        // The lightcurve is sorted by mjd already; sorting by the record's own jd costs
        // nothing then and keeps Lasair's order whatever the source.
        dets.sort_by(|a, b| a.jd.total_cmp(&b.jd));
        if dets.is_empty() {
            return Err(NoRow::NoDetection);
        }
        let latest = points
            .iter()
            .copied()
            .max_by(|a, b| a.mjd.total_cmp(&b.mjd));
        let ssnamenr = ss_name(latest);
        if ssnamenr.is_some() && !opts.keep_solar_system {
            return Err(NoRow::SolarSystem);
        }
        let mut row = vec![Value::Null; ZTF_OBJECTS.columns.len()];
        set!(
            row,
            ZTF_OBJECTS,
            "objectId",
            Value::Text(alert.object_id.0.clone())
        );
        set!(row, ZTF_OBJECTS, "ssnamenr", text(ssnamenr));
        fill_counts(&mut row, &dets);
        fill_position(&mut row, &dets);
        let band = |fid| Band::new(&dets.iter().filter(|d| d.fid == fid).collect::<Vec<_>>());
        fill_g(&mut row, &band(1));
        fill_r(&mut row, &band(2));
        let (gmr, jd_gmr) = g_minus_r(&dets).unzip();
        set!(row, ZTF_OBJECTS, "g_minus_r", real(gmr));
        set!(row, ZTF_OBJECTS, "jd_g_minus_r", real(jd_gmr));
        if let Some(cand) = alert.trigger() {
            set!(row, ZTF_OBJECTS, "distpsnr1", real(cand.f64("distpsnr1")));
            set!(row, ZTF_OBJECTS, "sgscore1", real(cand.f64("sgscore1")));
            set!(row, ZTF_OBJECTS, "sgmag1", real(cand.f64("sgmag1")));
            set!(row, ZTF_OBJECTS, "srmag1", real(cand.f64("srmag1")));
        }
        Ok(row)
    }
}

/// ncand, the time span and the counts of good positive detections.
fn fill_counts(row: &mut [Value], dets: &[Det]) {
    let jds = dets.iter().map(|d| d.jd);
    let jdmax = jds.clone().reduce(f64::max).unwrap_or(f64::NAN);
    let gp: Vec<f64> = dets
        .iter()
        .filter(|d| d.good && d.positive)
        .map(|d| jdmax - d.jd)
        .collect();
    let younger = |days| gp.iter().filter(|&&age| age < days).count();
    set!(row, ZTF_OBJECTS, "ncand", count(dets.len()));
    set!(row, ZTF_OBJECTS, "jdmin", real(jds.reduce(f64::min)));
    set!(row, ZTF_OBJECTS, "jdmax", real(Some(jdmax)));
    set!(row, ZTF_OBJECTS, "ncandgp", count(gp.len()));
    set!(row, ZTF_OBJECTS, "ncandgp_7", count(younger(7.0)));
    set!(row, ZTF_OBJECTS, "ncandgp_14", count(younger(14.0)));
}

/// Mean position, its spread in arcseconds, and the mean's galactic coordinates.
fn fill_position(row: &mut [Value], dets: &[Det]) {
    let ras: Vec<f64> = dets.iter().map(|d| d.ra).collect();
    let decs: Vec<f64> = dets.iter().map(|d| d.dec).collect();
    let (ramean, rastd) = stats::circular_mean_std(&ras).unzip();
    let (decmean, decstd) = (stats::mean(&decs), stats::std(&decs));
    set!(row, ZTF_OBJECTS, "ramean", real(ramean));
    set!(row, ZTF_OBJECTS, "rastd", real(rastd.map(|s| s * 3600.0)));
    set!(row, ZTF_OBJECTS, "decmean", real(decmean));
    set!(row, ZTF_OBJECTS, "decstd", real(decstd.map(|s| s * 3600.0)));
    let (glon, glat) = ramean
        .zip(decmean)
        .map(|(ra, dec)| lasair_sky::galactic(ra, dec))
        .unzip();
    set!(row, ZTF_OBJECTS, "glonmean", real(glon));
    set!(row, ZTF_OBJECTS, "glatmean", real(glat));
}

fn fill_g(row: &mut [Value], b: &Band) {
    set!(row, ZTF_OBJECTS, "gmag", real(b.latest_mag));
    set!(row, ZTF_OBJECTS, "jdgmax", real(b.jd_max));
    set!(row, ZTF_OBJECTS, "dmdt_g", real(b.dmdt));
    set!(row, ZTF_OBJECTS, "dmdt_g_err", real(b.dmdt_err));
    set!(row, ZTF_OBJECTS, "dmdt_g_2", real(b.dmdt_2));
    set!(row, ZTF_OBJECTS, "mag_g02", real(b.ema[0]));
    set!(row, ZTF_OBJECTS, "mag_g08", real(b.ema[1]));
    set!(row, ZTF_OBJECTS, "mag_g28", real(b.ema[2]));
    set!(row, ZTF_OBJECTS, "maggmin", real(b.min));
    set!(row, ZTF_OBJECTS, "maggmean", real(b.mean));
    set!(row, ZTF_OBJECTS, "maggmax", real(b.max));
    set!(row, ZTF_OBJECTS, "maggmedian", real(b.median));
}

fn fill_r(row: &mut [Value], b: &Band) {
    set!(row, ZTF_OBJECTS, "rmag", real(b.latest_mag));
    set!(row, ZTF_OBJECTS, "jdrmax", real(b.jd_max));
    set!(row, ZTF_OBJECTS, "dmdt_r", real(b.dmdt));
    set!(row, ZTF_OBJECTS, "dmdt_r_err", real(b.dmdt_err));
    set!(row, ZTF_OBJECTS, "dmdt_r_2", real(b.dmdt_2));
    set!(row, ZTF_OBJECTS, "mag_r02", real(b.ema[0]));
    set!(row, ZTF_OBJECTS, "mag_r08", real(b.ema[1]));
    set!(row, ZTF_OBJECTS, "mag_r28", real(b.ema[2]));
    set!(row, ZTF_OBJECTS, "magrmin", real(b.min));
    set!(row, ZTF_OBJECTS, "magrmean", real(b.mean));
    set!(row, ZTF_OBJECTS, "magrmax", real(b.max));
    set!(row, ZTF_OBJECTS, "magrmedian", real(b.median));
}

#[cfg(test)]
mod tests;

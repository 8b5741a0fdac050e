//! Fills a main database with N synthetic ZTF objects for `scripts/bench serve`: every column
//! of the `objects` row with plausible values, positions uniform on the sphere over ZTF's sky
//! (Dec -30 to +90), and a Sherlock row for one object in ten.
//!
//! `bench_objects objects DB_URL N`; progress on stderr. `bench_objects lightcurves STORE_URL
//! N M [CUTOUT_DIR]` gives the first M of the N objects lightcurves in a lightcurve store: the
//! points of the real ZTF alerts of `../shared/data` (each alert's history and forced
//! photometry, every field as ZTF sent it), one alert's points per object, cycling through the
//! alerts; and, given a cutout folder, that alert's three cutouts as object i's source i.
//!
//! The names are Lasair's, assigned in order as ZTF assigns them: the N objects are spread
//! over eight years (`ZTF18` to `ZTF25`), each year's numbered from `aaaaaaa` in base 26;
//! `scripts/bench.d/serve.lua` names a random existing object by the same rule.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lasair_alert::{Alert, Decoder, ObjectId, Survey};
use lasair_db::{Db, Value};
use lasair_testdata::Rng;

/// Rows per upsert (one transaction), as lasair-filter writes a batch.
const BATCH: usize = 10_000;
/// Years the objects are spread over, from 2018.
const YEARS: usize = 8;
/// JD of 2018-01-01.
const JD_2018: f64 = 2_458_119.5;
const CLASSES: [&str; 6] = ["SN", "NT", "VS", "AGN", "ORPHAN", "CV"];

#[rustfmt::skip]
const COLUMNS: [&str; 41] = [
    "objectId", "ncand", "ramean", "rastd", "decmean", "decstd", "jdmin", "jdmax", "ncandgp",
    "ncandgp_7", "ncandgp_14", "gmag", "rmag", "jdgmax", "jdrmax", "dmdt_g", "dmdt_r",
    "dmdt_g_err", "dmdt_r_err", "mag_g02", "mag_g08", "mag_g28", "mag_r02", "mag_r08", "mag_r28",
    "maggmin", "maggmean", "maggmax", "maggmedian", "magrmin", "magrmean", "magrmax",
    "magrmedian", "g_minus_r", "jd_g_minus_r", "glatmean", "glonmean", "distpsnr1", "sgscore1",
    "sgmag1", "srmag1",
];

/// The name of object `i` of `n` (see the module's note; serve.lua has the same rule).
fn object_id(i: usize, n: usize) -> String {
    let per_year = n.div_ceil(YEARS);
    let (year, mut j) = (18 + i / per_year, i % per_year);
    let mut letters = [b'a'; 7];
    for slot in letters.iter_mut().rev() {
        *slot = b'a' + (j % 26) as u8;
        j /= 26;
    }
    format!("ZTF{year}{}", String::from_utf8_lossy(&letters))
}

fn object_row(rng: &mut Rng, i: usize, n: usize) -> Vec<Value> {
    let ra = rng.unit() * 360.0;
    // Uniform on the sphere between Dec -30 and +90, as ZTF sees it.
    let dec = (rng.unit() * 1.5 - 0.5).asin().to_degrees();
    let (glon, glat) = lasair_sky::galactic(ra, dec);
    // Most objects are seen a few times, some dozens (exponential, mean 8.5).
    let ncand = (-(rng.unit().max(1e-12)).ln() * 8.0) as i64 + 1;
    let ncandgp = ((ncand as f64) * rng.range(0.3, 1.0)).ceil() as i64;
    let year = (i / n.div_ceil(YEARS)) as f64;
    let jdmin = JD_2018 + 365.25 * (year + rng.unit());
    let jdmax = jdmin + (ncand as f64 - 1.0) * rng.range(0.5, 4.0);
    let (gmag, rmag) = (rng.range(15.0, 21.5), rng.range(15.0, 21.5));
    let mut mags = |m: f64| {
        [
            m + rng.range(-0.3, 0.3),
            m + rng.range(-0.5, 0.5),
            m + rng.range(-1.0, 1.0),
        ]
    };
    // Magnitudes 2, 8 and 28 days before the latest.
    let (g, r) = (mags(gmag), mags(rmag));
    let spread = |m: f64, rng: &mut Rng| {
        let (lo, hi) = (m - rng.range(0.0, 1.5), m + rng.range(0.0, 0.5));
        [
            lo,
            (lo + hi) / 2.0,
            hi,
            (lo + hi) / 2.0 + rng.range(-0.1, 0.1),
        ]
    };
    let (gs, rs) = (spread(gmag, rng), spread(rmag, rng));
    let mut row: Vec<Value> = vec![
        object_id(i, n).into(),
        ncand.into(),
        ra.into(),
        rng.range(0.02, 0.5).into(),
        dec.into(),
        rng.range(0.02, 0.5).into(),
        jdmin.into(),
        jdmax.into(),
        ncandgp.into(),
        ncandgp.min(rng.range(0.0, 4.0) as i64).into(),
        ncandgp.min(rng.range(0.0, 7.0) as i64).into(),
        gmag.into(),
        rmag.into(),
        (jdmax - rng.range(0.0, 3.0)).into(),
        (jdmax - rng.range(0.0, 3.0)).into(),
    ];
    for _ in 0..2 {
        row.push(rng.range(-0.3, 0.3).into());
    }
    for _ in 0..2 {
        row.push(rng.range(0.01, 0.1).into());
    }
    row.extend(g.into_iter().chain(r).map(Value::from));
    row.extend(gs.into_iter().chain(rs).map(Value::from));
    row.extend([
        (gmag - rmag).into(),
        jdmax.into(),
        glat.into(),
        glon.into(),
        rng.range(0.0, 30.0).into(),
        rng.unit().into(),
        rng.range(14.0, 22.0).into(),
        rng.range(14.0, 22.0).into(),
    ]);
    row
}

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = |i: usize| args.get(i).and_then(|n| n.parse().ok());
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("objects"), Some(url)) if args.len() == 3 => objects(url, count(2).ok_or(USAGE)?),
        (Some("lightcurves"), Some(url)) if args.len() == 4 || args.len() == 5 => {
            let cutouts = args.get(4).map(lasair_store::CutoutStore::new);
            lightcurves(url, count(2).ok_or(USAGE)?, count(3).ok_or(USAGE)?, cutouts)
        }
        _ => Err(USAGE.into()),
    }
}

const USAGE: &str =
    "usage: bench_objects objects DB_URL N | bench_objects lightcurves STORE_URL N M [CUTOUT_DIR]";

fn objects(url: &str, n: usize) -> Result<(), Error> {
    let seed = 42;
    let mut db = Db::open(url)?;
    let start = Instant::now();
    // A progress line every twentieth of the way.
    let step = (n / 20).max(BATCH);
    let mut report = step;
    for from in (0..n).step_by(BATCH) {
        let to = n.min(from + BATCH);
        // One generator per batch: the rows do not depend on the batch size of a past run.
        let mut rng = Rng(seed ^ (from as u64).wrapping_mul(0x9e37_79b9));
        let rows: Vec<Vec<Value>> = (from..to).map(|i| object_row(&mut rng, i, n)).collect();
        db.upsert("objects", &COLUMNS, &rows)?;
        let sherlock: Vec<Vec<Value>> = (from..to)
            .filter(|i| i % 10 == 0)
            .map(|i| {
                let class = CLASSES[(i / 10) % CLASSES.len()];
                vec![
                    object_id(i, n).into(),
                    class.into(),
                    rng.range(0.0, 5.0).into(),
                ]
            })
            .collect();
        db.upsert(
            "sherlock_classifications",
            &["objectId", "classification", "separationArcsec"],
            &sherlock,
        )?;
        if to >= report || to == n {
            report += step;
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "bench_objects: {to} of {n} objects in {secs:.0} s ({:.0} objects/s)",
                to as f64 / secs
            );
        }
    }
    Ok(())
}

/// Lightcurves for the first `m` of `n` objects, from the real ZTF alerts; with a cutout
/// store, each of those objects also gets its alert's three cutouts, filed under source id
/// `i` for object `i` (the rule serve.lua asks them by).
fn lightcurves(
    url: &str,
    n: usize,
    m: usize,
    cutouts: Option<lasair_store::CutoutStore>,
) -> Result<(), Error> {
    let folder = lasair_testdata::shared_data("ztf/alerts").ok_or("no real ZTF alerts")?;
    let decoder = Decoder::new(Survey::Ztf, None);
    let mut alerts: Vec<Alert> = Vec::new();
    for path in avro_files(&folder)? {
        for alert in decoder.decode(&std::fs::read(&path)?) {
            let mut alert = alert.map_err(|e| format!("{}: {e}", path.display()))?;
            if cutouts.is_none() {
                alert.cutouts.clear();
            }
            alerts.push(alert);
        }
    }
    if alerts.is_empty() {
        return Err(format!("no alerts in {}", folder.display()).into());
    }
    alerts.sort_by_key(|a| a.source_id);
    let mut store = lasair_store::open_lightcurves(url)?;
    let mut points = 0;
    for from in (0..m.min(n)).step_by(1000) {
        let batch: Vec<Alert> = (from..m.min(n).min(from + 1000))
            .map(|i| {
                let mut alert = alerts[i % alerts.len()].clone();
                alert.object_id = ObjectId(object_id(i, n));
                points += alert.lightcurve.len();
                alert
            })
            .collect();
        store.upsert(&batch)?;
        if let Some(cutouts) = &cutouts {
            for i in from..from + batch.len() {
                // Every object gets three: those of the next alert that has them.
                let mut alert = (i..)
                    .map(|j| &alerts[j % alerts.len()])
                    .take(alerts.len())
                    .find(|a| !a.cutouts.is_empty())
                    .ok_or("no real ZTF alert has cutouts")?
                    .clone();
                alert.object_id = ObjectId(object_id(i, n));
                alert.source_id = i as i64;
                cutouts.write(&alert)?;
            }
        }
    }
    if let Some(cutouts) = &cutouts {
        cutouts.sync()?;
    }
    eprintln!(
        "bench_objects: lightcurves of {m} objects from {} real ZTF alerts: {:.1} points each",
        alerts.len(),
        points as f64 / m.max(1) as f64
    );
    Ok(())
}

fn avro_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(avro_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "avro") {
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_run_in_order_within_each_year() {
        assert_eq!(super::object_id(0, 800), "ZTF18aaaaaaa");
        assert_eq!(super::object_id(27, 800), "ZTF18aaaaabb");
        assert_eq!(super::object_id(100, 800), "ZTF19aaaaaaa");
        assert_eq!(super::object_id(799, 800), "ZTF25aaaaadv");
    }
}

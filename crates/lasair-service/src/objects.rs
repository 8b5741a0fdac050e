//! Objects of the main database as the services look them up: an object's identity checked
//! against its survey's form, and its position.

use lasair_db::{Db, Select, Value};
use lasair_sql::catalog::{Catalog, ColType};

use crate::ServiceError;

/// The key value of object `id` in `catalog`'s database: a ZTF name (letters and digits, at
/// most 64) or an LSST diaObjectId (an integer). Anything else is refused with the reason.
pub fn key(catalog: &Catalog, id: &str) -> Result<Value, ServiceError> {
    let what = format!("objectId {id:?}");
    let ty = catalog.tables[0].column(catalog.key).map(|c| c.ty);
    match ty {
        Some(ColType::Int) => {
            id.trim().parse::<i64>().map(Value::Int).map_err(|_| {
                ServiceError::invalid(what, format!("a {} is an integer", catalog.key))
            })
        }
        _ if id.is_empty()
            || id.len() > 64
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Err(ServiceError::invalid(
                what,
                "letters, digits and _ only, at most 64",
            ))
        }
        _ => Ok(Value::from(id)),
    }
}

/// The value the `objects` column `catalog.latest` has at a time given as an MJD in TAI:
/// ZTF's `jdmax` is a Julian Date (UTC), LSST's `lastDiaSourceMjdTai` the MJD itself.
pub fn latest_of_mjd(catalog: &Catalog, mjd_tai: f64) -> f64 {
    if catalog.latest == lasair_sql::catalog::ZTF.latest {
        let utc = mjd_tai - lasair_alert::time::tai_minus_utc(mjd_tai) / 86_400.0;
        utc + 2_400_000.5
    } else {
        mjd_tai
    }
}

/// An alert's time as an MJD in TAI: ZTF's alerts give UTC (jd - 2400000.5), LSST's TAI.
pub fn alert_tai(catalog: &Catalog, mjd: f64) -> f64 {
    if catalog.latest == lasair_sql::catalog::ZTF.latest {
        lasair_alert::time::tai_of_utc(mjd)
    } else {
        mjd
    }
}

/// The position (RA, Dec in degrees) of object `id`.
pub fn position(db: &mut Db, id: &str) -> Result<(f64, f64), ServiceError> {
    let catalog = db.catalog();
    let key = key(catalog, id)?;
    let (ra, dec) = catalog.position;
    let select = Select::from("objects")
        .columns(&[ra, dec])
        .eq(catalog.key, key);
    let rows = db.select(&select)?;
    let row = rows.rows.first().ok_or_else(|| ServiceError::NotFound {
        table: "objects",
        key: catalog.key,
        id: id.to_owned(),
    })?;
    match (row[0].as_f64(), row[1].as_f64()) {
        (Some(ra), Some(dec)) => Ok((ra, dec)),
        _ => Err(ServiceError::invalid(
            format!("object {id}"),
            format!("it has no {ra}/{dec} in {}", db.url()),
        )),
    }
}

/// The value of the catalogue's `latest` column (ZTF's `jdmax`, a Julian Date; LSST's
/// `lastDiaSourceMjdTai`, an MJD) at the moment `mjd`.
pub fn latest_value(catalog: &Catalog, mjd: f64) -> f64 {
    if catalog.latest.starts_with("jd") {
        mjd + 2_400_000.5
    } else {
        mjd
    }
}

/// The objects within `radius` arcseconds of (ra, dec), nearest first: each one's key and
/// separation in arcseconds. Read by the index on declination, a band of twice the radius,
/// narrowed by right ascension (two ranges where the cone crosses RA 0), then measured.
pub fn cone(
    db: &mut Db,
    ra: f64,
    dec: f64,
    radius: f64,
) -> Result<Vec<(Value, f64)>, ServiceError> {
    if !(0.0..=360.0).contains(&ra)
        || !(-90.0..=90.0).contains(&dec)
        || radius.is_nan()
        || radius < 0.0
    {
        return Err(ServiceError::invalid(
            format!("cone ({ra}, {dec}, {radius}\")"),
            "RA is 0 to 360, Dec -90 to 90 and the radius at least 0",
        ));
    }
    let catalog = db.catalog();
    let (ra_col, dec_col) = catalog.position;
    let r = radius / 3600.0;
    let (low, high) = (dec - r, dec + r);
    // How far RA reaches at the band's edge nearest a pole; everything near a pole.
    let edge = low.abs().max(high.abs());
    let ranges: Vec<(f64, f64)> = if edge >= 89.999 {
        vec![(0.0, 360.0)]
    } else {
        let reach = (r.to_radians().sin() / edge.to_radians().cos())
            .min(1.0)
            .asin()
            .to_degrees()
            + 1e-9;
        if reach >= 180.0 {
            vec![(0.0, 360.0)]
        } else if ra - reach < 0.0 {
            vec![(0.0, ra + reach), (ra - reach + 360.0, 360.0)]
        } else if ra + reach > 360.0 {
            vec![(ra - reach, 360.0), (0.0, ra + reach - 360.0)]
        } else {
            vec![(ra - reach, ra + reach)]
        }
    };
    let mut found = Vec::new();
    for (from, to) in ranges {
        let index = [dec_col, ra_col];
        let select = Select::from("objects")
            .columns(&[catalog.key, ra_col, dec_col])
            .using_index(&index)
            .between(dec_col, low, high)
            .between(ra_col, from, to);
        for row in db.select(&select)?.rows {
            let (Some(ra2), Some(dec2)) = (row[1].as_f64(), row[2].as_f64()) else {
                continue;
            };
            let sep = lasair_sky::separation_arcsec(ra, dec, ra2, dec2);
            if sep <= radius {
                found.push((row[0].clone(), sep));
            }
        }
    }
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    // RA 0 and 360 are one place: an object there is in both ranges once at most, but a
    // cone of the whole sky reads every row once; keep each key once all the same.
    found.dedup_by(|a, b| a.0 == b.0);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::{LSST, ZTF};

    #[test]
    fn positions_of_either_survey() {
        let mut db = Db::open("sqlite::memory:").expect("ztf");
        let row = vec![Value::from("ZTF18abcdefg"), 123.25.into(), (-45.5).into()];
        db.upsert("objects", &["objectId", "ramean", "decmean"], &[row])
            .expect("upsert");
        assert_eq!(
            position(&mut db, "ZTF18abcdefg").expect("found"),
            (123.25, -45.5)
        );
        let err = position(&mut db, "ZTF18zzzzzzz").expect_err("absent");
        assert_eq!(err.to_string(), "no objects with objectId ZTF18zzzzzzz");
        let err = position(&mut db, "x' OR '1'='1").expect_err("not an id");
        assert!(err.to_string().contains("letters, digits"), "{err}");

        let mut db = Db::open_with("sqlite::memory:", &LSST, false).expect("lsst");
        let row = vec![
            Value::Int(313_853_259_557_322_802),
            10.5.into(),
            (-3.25).into(),
        ];
        db.upsert("objects", &["diaObjectId", "ra", "decl"], &[row])
            .expect("upsert");
        assert_eq!(
            position(&mut db, "313853259557322802").expect("found"),
            (10.5, -3.25)
        );
        assert!(position(&mut db, "ZTF18abcdefg").is_err());
        assert!(key(&ZTF, &"Z".repeat(65)).is_err());
    }

    #[test]
    fn cones_find_what_is_inside_nearest_first_across_ra_zero_and_poles() {
        let mut db = Db::open("sqlite::memory:").expect("ztf");
        let objects = [
            ("A", 0.0005, 10.0),
            ("B", 359.9995, 10.0),
            ("C", 0.0, 10.01),
            ("D", 180.0, 89.9999),
            ("E", 0.0, 89.9999),
            ("F", 100.0, -20.0),
        ];
        let rows: Vec<Vec<Value>> = objects
            .iter()
            .map(|(id, ra, dec)| vec![Value::from(*id), (*ra).into(), (*dec).into()])
            .collect();
        db.upsert("objects", &["objectId", "ramean", "decmean"], &rows)
            .expect("upsert");
        let ids = |found: Vec<(Value, f64)>| -> Vec<String> {
            found
                .iter()
                .map(|(k, _)| k.as_str().unwrap_or("").to_owned())
                .collect()
        };
        let near_zero = cone(&mut db, 0.0, 10.0, 5.0).expect("cone");
        assert_eq!(ids(near_zero.clone()), ["A", "B"]);
        assert!((near_zero[0].1 - 0.0005 * 3600.0 * 10f64.to_radians().cos()).abs() < 1e-3);
        assert_eq!(
            ids(cone(&mut db, 0.0, 10.0, 40.0).expect("cone")),
            ["A", "B", "C"]
        );
        assert_eq!(
            ids(cone(&mut db, 359.9999, 10.0, 5.0).expect("cone")),
            ["B", "A"]
        );
        let pole = cone(&mut db, 90.0, 90.0, 1.0).expect("pole");
        assert_eq!(pole.len(), 2, "{pole:?}");
        assert_eq!(ids(cone(&mut db, 100.0, -20.0, 0.0).expect("cone")), ["F"]);
        assert!(cone(&mut db, 400.0, 0.0, 5.0).is_err());
        assert!(cone(&mut db, 0.0, 0.0, f64::NAN).is_err());
    }
}

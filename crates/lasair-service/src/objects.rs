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
}

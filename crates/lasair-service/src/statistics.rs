//! The pipeline's figures (a stage's last batch: sizes, times), one row per name, for the web
//! front end's status page and for operators.

use lasair_db::{Db, Select, Value};

use crate::ServiceError;

/// One figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistic {
    pub name: String,
    pub value: f64,
    /// When it was recorded (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub updated: String,
}

/// Records `figures`, each replacing the last value of its name, stamped `updated`.
pub fn record(db: &mut Db, figures: &[(&str, f64)], updated: &str) -> Result<(), ServiceError> {
    let rows: Vec<Vec<Value>> = figures
        .iter()
        .map(|(name, v)| vec![(*name).into(), (*v).into(), updated.into()])
        .collect();
    db.upsert("statistics", &["name", "value", "updated"], &rows)?;
    Ok(())
}

/// Adds `figures` to the night's counts (`night.YYYYMMDD.NAME`, the UTC day of `updated`,
/// which is `YYYY-MM-DD HH:MM:SS`): a stage's alerts, results and seconds as the night goes
/// on, for the status page. A batch delivered again is counted again.
pub fn add_to_night(
    db: &mut Db,
    figures: &[(&str, f64)],
    updated: &str,
) -> Result<(), ServiceError> {
    let day: String = updated
        .chars()
        .take(10)
        .filter(char::is_ascii_digit)
        .collect();
    if day.len() != 8 {
        return Err(ServiceError::invalid(
            format!("time {updated:?}"),
            "give it as YYYY-MM-DD HH:MM:SS",
        ));
    }
    let rows: Vec<Vec<Value>> = figures
        .iter()
        .map(|(name, v)| {
            vec![
                format!("night.{day}.{name}").into(),
                (*v).into(),
                updated.into(),
            ]
        })
        .collect();
    db.upsert_adding("statistics", &["name", "value", "updated"], &rows, "value")?;
    Ok(())
}

/// The figures recorded for the night `date` (`YYYY-MM-DD`): (NAME, value), by name.
pub fn of_night(db: &mut Db, date: &str) -> Result<Vec<(String, f64)>, ServiceError> {
    let prefix = format!("night.{}.", date.replace('-', ""));
    Ok(all(db)?
        .into_iter()
        .filter_map(|s| Some((s.name.strip_prefix(&prefix)?.to_owned(), s.value)))
        .collect())
}

/// Every figure, by name.
pub fn all(db: &mut Db) -> Result<Vec<Statistic>, ServiceError> {
    let select = Select::from("statistics").order_by("name");
    Ok(db
        .select(&select)?
        .rows
        .iter()
        .filter_map(|r| {
            Some(Statistic {
                name: r[0].as_str()?.to_owned(),
                value: r[1].as_f64()?,
                updated: r[2].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect())
}

/// The figures of one night (the UTC day `date`, `YYYY-MM-DD`) that the status page shows,
/// read from the main database: objects updated that night and in all, TNS names, annotations,
/// active filters, watchlists and watchmaps, users. Recorded as `night.YYYYMMDD.NAME`, and
/// returned as (NAME, value).
pub fn night(db: &mut Db, date: &str) -> Result<Vec<(String, f64)>, ServiceError> {
    let figures = figures(db, date)?;
    let day = date.replace('-', "");
    let names: Vec<String> = figures
        .iter()
        .map(|(n, _)| format!("night.{day}.{n}"))
        .collect();
    let recorded: Vec<(&str, f64)> = names
        .iter()
        .zip(&figures)
        .map(|(n, (_, v))| (n.as_str(), *v))
        .collect();
    record(db, &recorded, &crate::now())?;
    Ok(figures.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect())
}

/// The figures of the night `date` (see [`night`]) as they stand, without recording them: the
/// home page's.
pub fn figures(db: &mut Db, date: &str) -> Result<Vec<(&'static str, f64)>, ServiceError> {
    let start = lasair_alert::time::mjd_of_utc(date)
        .filter(|_| date.len() == 10)
        .ok_or_else(|| ServiceError::invalid(format!("night {date:?}"), "give it as YYYY-MM-DD"))?;
    let catalog = db.catalog();
    let (from, to) = (
        crate::objects::latest_value(catalog, start),
        crate::objects::latest_value(catalog, start + 1.0 - 1e-9),
    );
    let count = |db: &mut Db, select: Select<'_>| -> Result<f64, ServiceError> {
        let rows = db.select(&select.count())?;
        Ok(rows.rows.first().and_then(|r| r[0].as_f64()).unwrap_or(0.0))
    };
    let figures = [
        (
            "objects_updated",
            count(
                db,
                Select::from("objects").between(catalog.latest, from, to),
            )?,
        ),
        ("objects", count(db, Select::from("objects"))?),
        ("tns_names", count(db, Select::from("tns"))?),
        ("annotations", count(db, Select::from("annotations"))?),
        (
            "filters_active",
            count(db, Select::from("filters").gt("active", 0))?,
        ),
        (
            "watchlists_active",
            count(db, Select::from("watchlists").gt("active", 0))?,
        ),
        (
            "watchmaps_active",
            count(db, Select::from("watchmaps").gt("active", 0))?,
        ),
        ("users", count(db, Select::from("users"))?),
    ];
    Ok(figures.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nights_figures_count_that_nights_objects() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        // jdmax of ZTF objects: two on 2026-12-05 (MJD 61379), one the night before.
        let rows: Vec<Vec<Value>> = [("ZTF1", 61_379.2), ("ZTF2", 61_379.9), ("ZTF3", 61_378.5)]
            .iter()
            .map(|(id, mjd)| vec![(*id).into(), (mjd + 2_400_000.5).into()])
            .collect();
        db.upsert("objects", &["objectId", "jdmax"], &rows)
            .expect("objects");
        let got = night(&mut db, "2026-12-05").expect("night");
        let value = |name: &str| got.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(value("objects_updated"), Some(2.0));
        assert_eq!(value("objects"), Some(3.0));
        assert_eq!(value("filters_active"), Some(0.0));
        add_to_night(&mut db, &[("filter_alerts", 10.0)], "2026-12-05 01:00:00").expect("add");
        add_to_night(&mut db, &[("filter_alerts", 5.0)], "2026-12-05 02:00:00").expect("add");
        add_to_night(&mut db, &[("filter_alerts", 7.0)], "2026-12-06 00:10:00").expect("add");
        assert!(add_to_night(&mut db, &[("x", 1.0)], "yesterday").is_err());
        let of = of_night(&mut db, "2026-12-05").expect("of_night");
        let value = |name: &str| of.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(value("filter_alerts"), Some(15.0));
        assert_eq!(value("objects"), Some(3.0), "night() recorded its figures");
        let stored = all(&mut db).expect("all");
        assert!(stored
            .iter()
            .any(|s| s.name == "night.20261205.objects_updated" && s.value == 2.0));
        assert!(night(&mut db, "2026-12-5").is_err());
        assert!(night(&mut db, "yesterday").is_err());
    }

    #[test]
    fn a_figure_keeps_its_last_value() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        record(&mut db, &[("b", 1.0), ("a", 2.0)], "2026-12-05 10:00:00").expect("first");
        record(&mut db, &[("b", 3.5)], "2026-12-05 11:00:00").expect("second");
        let all = all(&mut db).expect("read");
        let got: Vec<(&str, f64, &str)> = all
            .iter()
            .map(|s| (s.name.as_str(), s.value, s.updated.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", 2.0, "2026-12-05 10:00:00"),
                ("b", 3.5, "2026-12-05 11:00:00")
            ]
        );
    }
}

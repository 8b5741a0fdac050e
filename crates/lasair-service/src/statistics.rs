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

#[cfg(test)]
mod tests {
    use super::*;

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

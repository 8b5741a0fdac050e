//! The checked form of a bulk upsert: the table and columns resolved against the catalogue
//! (so only catalogue names, never the caller's strings, reach the SQL) and the rows checked
//! for width before any backend sees them.

use lasair_sql::catalog::{Catalog, Table};

use crate::schema::primary_key;
use crate::select::{resolve_columns, resolve_table};
use lasair_sql::Value;

/// A bulk upsert whose names are the catalogue's own.
#[derive(Debug)]
pub(crate) struct UpsertPlan {
    pub table: &'static Table,
    /// The columns, spelled as the catalogue spells them, in the caller's order.
    pub columns: Vec<&'static str>,
    /// The primary key columns (all among `columns`).
    pub key: Vec<&'static str>,
    /// When set, a row replaces an existing one only if its value here is not older (NULL
    /// counts as older): an object's row is never replaced by an older alert's.
    pub newer: Option<&'static str>,
    /// When set, this column's new value is added to the existing row's rather than
    /// replacing it: a count kept as it grows.
    pub adding: Option<&'static str>,
}

impl UpsertPlan {
    /// Resolves `table` and `columns`; the error is the reason, for [`crate::DbError::Invalid`].
    pub fn new(
        catalog: &'static Catalog,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<UpsertPlan, String> {
        let t = resolve_table(catalog, table)?;
        let resolved = resolve_columns(t, columns)?;
        let key = primary_key(catalog, t);
        if let Some(missing) = key.iter().find(|k| !resolved.contains(k)) {
            return Err(format!("the key column {missing} is missing"));
        }
        if let Some((i, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != resolved.len())
        {
            let (n, w) = (row.len(), resolved.len());
            return Err(format!("row {i} has {n} values for {w} columns"));
        }
        Ok(UpsertPlan {
            table: t,
            columns: resolved,
            key,
            newer: None,
            adding: None,
        })
    }

    /// Adds column `column`'s values to the existing rows' (it must be among the columns and
    /// not a key).
    pub fn adding(mut self, column: &str) -> Result<UpsertPlan, String> {
        let col = self
            .columns
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(column) && !self.key.contains(c))
            .ok_or_else(|| {
                format!("the added column {column:?} is not among the updated columns")
            })?;
        self.adding = Some(col);
        Ok(self)
    }

    /// Guards the upsert on column `newer`, which must be among the columns and not a key.
    pub fn guarded_by(mut self, newer: &str) -> Result<UpsertPlan, String> {
        let col = self
            .columns
            .iter()
            .copied()
            .find(|c| c.eq_ignore_ascii_case(newer) && !self.key.contains(c))
            .ok_or_else(|| {
                format!("the ordering column {newer:?} is not among the updated columns")
            })?;
        self.newer = Some(col);
        Ok(self)
    }

    /// The columns an upsert overwrites on conflict (all but the key), the ordering column
    /// last (MariaDB assigns left to right, and the guards compare against it).
    pub fn updated(&self) -> impl Iterator<Item = &'static str> + '_ {
        let plain = self
            .columns
            .iter()
            .copied()
            .filter(|c| !self.key.contains(c) && Some(*c) != self.newer);
        plain.chain(self.newer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn names_come_from_the_catalogue() {
        let rows = vec![vec![Value::from("ZTF1"), Value::from(1.0)]];
        let plan = UpsertPlan::new(&ZTF, "OBJECTS", &["objectid", "GMAG"], &rows).unwrap();
        assert_eq!(plan.table.name, "objects");
        assert_eq!(plan.columns, ["objectId", "gmag"]);
        assert_eq!(plan.updated().collect::<Vec<_>>(), ["gmag"]);
    }

    #[test]
    fn unknown_names_missing_keys_and_ragged_rows_are_refused() {
        let rows = vec![vec![Value::from("ZTF1")]];
        let err = |t, c: &[&str], r: &[Vec<Value>]| UpsertPlan::new(&ZTF, t, c, r).unwrap_err();
        assert!(err("users; DROP", &["objectId"], &rows).contains("no such table"));
        assert!(err("objects", &["objectId\"--"], &rows).contains("no column"));
        assert!(err("watchlist_hits", &["objectId"], &rows).contains("wl_id"));
        assert!(err("objects", &["objectId", "gmag"], &rows).contains("row 0"));
        assert!(err("objects", &["objectId", "objectid"], &rows).contains("twice"));
    }
}

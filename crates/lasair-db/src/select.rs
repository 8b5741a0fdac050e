//! Our own reads and writes of single rows (service objects, an object's position): tables and
//! columns resolved against the catalogue and the service tables, so only their own spellings
//! reach the SQL, and every value bound as a parameter, never spliced into it.

use lasair_sql::catalog::{Catalog, Table};
use lasair_sql::{Dialect, Value};

use crate::schema::quote;
use crate::service;

/// How a condition compares its column with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Gt,
    Ge,
    Le,
}

/// A read of one table: `SELECT columns FROM table WHERE c1 = ? AND c2 > ? ORDER BY c LIMIT n`.
///
/// ```
/// use lasair_db::{Db, Select};
/// let mut db = Db::open("sqlite::memory:").unwrap();
/// let rows = db.select(&Select::from("filters").columns(&["mq_id", "name"]).eq("name", "bright"));
/// assert!(rows.unwrap().rows.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Select<'a> {
    table: &'a str,
    columns: Vec<&'a str>,
    conditions: Vec<(&'a str, Cmp, Value)>,
    order_by: Option<&'a str>,
    descending: bool,
    limit: Option<u64>,
    count: bool,
    index: Option<&'a [&'a str]>,
    one_of: Option<(&'a str, Vec<Value>)>,
}

impl<'a> Select<'a> {
    /// Every column of `table`, every row, until narrowed.
    pub fn from(table: &'a str) -> Select<'a> {
        Select {
            table,
            columns: Vec::new(),
            conditions: Vec::new(),
            order_by: None,
            descending: false,
            limit: None,
            count: false,
            index: None,
            one_of: None,
        }
    }

    /// Only these columns, in this order (default: all of the table's, in its order).
    pub fn columns(mut self, columns: &[&'a str]) -> Select<'a> {
        self.columns = columns.to_vec();
        self
    }

    /// Rows whose `column` equals `value`.
    pub fn eq(mut self, column: &'a str, value: impl Into<Value>) -> Select<'a> {
        self.conditions.push((column, Cmp::Eq, value.into()));
        self
    }

    /// Rows whose `column` is greater than `value`.
    pub fn gt(mut self, column: &'a str, value: impl Into<Value>) -> Select<'a> {
        self.conditions.push((column, Cmp::Gt, value.into()));
        self
    }

    /// Rows whose `column` is one of `values` (none when there are none); the caller keeps
    /// the list to a few thousand, as each value is a parameter.
    pub fn one_of(mut self, column: &'a str, values: Vec<Value>) -> Select<'a> {
        self.one_of = Some((column, values));
        self
    }

    /// Rows whose `column` is between `low` and `high`, both included (an index range).
    pub fn between(
        mut self,
        column: &'a str,
        low: impl Into<Value>,
        high: impl Into<Value>,
    ) -> Select<'a> {
        self.conditions.push((column, Cmp::Ge, low.into()));
        self.conditions.push((column, Cmp::Le, high.into()));
        self
    }

    /// Read through the schema's index on `columns` (SQLite's planner does not pick the
    /// composite position index for a cone by itself); refused if there is no such index.
    pub fn using_index(mut self, columns: &'a [&'a str]) -> Select<'a> {
        self.index = Some(columns);
        self
    }

    /// Ordered by `column`, ascending.
    pub fn order_by(mut self, column: &'a str) -> Select<'a> {
        self.order_by = Some(column);
        self
    }

    /// Ordered by `column`, descending (the newest first).
    pub fn order_by_desc(mut self, column: &'a str) -> Select<'a> {
        self.order_by = Some(column);
        self.descending = true;
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Select<'a> {
        self.limit = Some(n);
        self
    }

    /// One row, one column: how many rows match.
    pub fn count(mut self) -> Select<'a> {
        self.count = true;
        self
    }

    /// The table asked for, as the caller spelled it.
    pub fn table(&self) -> &'a str {
        self.table
    }

    /// The statement for `dialect` and its parameters; the error is the reason a name is
    /// refused, for [`crate::DbError::Invalid`].
    pub(crate) fn render(
        &self,
        catalog: &'static Catalog,
        dialect: Dialect,
    ) -> Result<(String, Vec<Value>), String> {
        let table = resolve_table(catalog, self.table)?;
        let q = |c: &str| quote(dialect, c);
        let what = if self.count {
            "COUNT(*)".to_owned()
        } else if self.columns.is_empty() {
            let all: Vec<String> = table.columns.iter().map(|c| q(c.name)).collect();
            all.join(", ")
        } else {
            let cols = resolve_columns(table, &self.columns)?;
            let cols: Vec<String> = cols.iter().map(|c| q(c)).collect();
            cols.join(", ")
        };
        let mut sql = format!("SELECT {what} FROM {}", q(table.name));
        if let Some(cols) = self.index {
            let name = crate::schema::index_name(catalog, table.name, cols)
                .ok_or_else(|| format!("no index on {}", cols.join(", ")))?;
            match dialect {
                Dialect::Sqlite => sql.push_str(&format!(" INDEXED BY {}", q(&name))),
                Dialect::MariaDb => sql.push_str(&format!(" FORCE INDEX ({})", q(&name))),
            }
        }
        let (clause, mut params) = conditions(table, &self.conditions, dialect)?;
        sql.push_str(&clause);
        if let Some((column, values)) = &self.one_of {
            let c = q(resolve_column(table, column)?);
            let marks = if values.is_empty() {
                "NULL".to_owned()
            } else {
                vec!["?"; values.len()].join(", ")
            };
            let and = if clause.is_empty() { "WHERE" } else { "AND" };
            sql.push_str(&format!(" {and} {c} IN ({marks})"));
            params.extend(values.iter().cloned());
        }
        if let Some(c) = self.order_by {
            sql.push_str(&format!(" ORDER BY {}", q(resolve_column(table, c)?)));
            if self.descending {
                sql.push_str(" DESC");
            }
        }
        if let Some(n) = self.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        Ok((sql, params))
    }
}

/// ` WHERE a = ? AND b > ?` (empty without conditions) and its parameters.
pub(crate) fn conditions(
    table: &'static Table,
    conditions: &[(&str, Cmp, Value)],
    dialect: Dialect,
) -> Result<(String, Vec<Value>), String> {
    let mut parts = Vec::with_capacity(conditions.len());
    let mut params = Vec::with_capacity(conditions.len());
    for (column, cmp, value) in conditions {
        let op = match cmp {
            Cmp::Eq => "=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Le => "<=",
        };
        let c = quote(dialect, resolve_column(table, column)?);
        parts.push(format!("{c} {op} ?"));
        params.push(value.clone());
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    Ok((clause, params))
}

/// The catalogue's or a service table's own spelling of `name`.
pub(crate) fn resolve_table(
    catalog: &'static Catalog,
    name: &str,
) -> Result<&'static Table, String> {
    catalog
        .table(name)
        .or_else(|| service::table(name))
        .ok_or_else(|| format!("no such table in the {} catalogue", catalog.survey))
}

fn resolve_column(table: &'static Table, name: &str) -> Result<&'static str, String> {
    table
        .column(name)
        .map(|c| c.name)
        .ok_or_else(|| format!("no column {name:?}"))
}

/// Each of `names` in the table's spelling, none twice.
pub(crate) fn resolve_columns(
    table: &'static Table,
    names: &[&str],
) -> Result<Vec<&'static str>, String> {
    let mut resolved: Vec<&'static str> = Vec::with_capacity(names.len());
    for c in names {
        let col = resolve_column(table, c)?;
        if resolved.contains(&col) {
            return Err(format!("column {c:?} given twice"));
        }
        resolved.push(col);
    }
    Ok(resolved)
}

/// `INSERT INTO table (columns) VALUES (?, ...)`: a new row whose integer id the database
/// assigns (left out of `columns`).
pub(crate) fn insert_sql(
    catalog: &'static Catalog,
    table: &str,
    columns: &[&str],
    dialect: Dialect,
) -> Result<String, String> {
    let t = resolve_table(catalog, table)?;
    let cols = resolve_columns(t, columns)?;
    let quoted: Vec<String> = cols.iter().map(|c| quote(dialect, c)).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    Ok(format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        quote(dialect, t.name),
        quoted.join(", ")
    ))
}

/// `UPDATE table SET a = ?, b = ? WHERE ...` and its parameters, the SET values first.
pub(crate) fn update_sql(
    catalog: &'static Catalog,
    table: &str,
    sets: &[(&str, Value)],
    conditions_: &[(&str, Cmp, Value)],
    dialect: Dialect,
) -> Result<(String, Vec<Value>), String> {
    let t = resolve_table(catalog, table)?;
    if sets.is_empty() || conditions_.is_empty() {
        return Err("an update needs columns to set and a condition".into());
    }
    let names: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
    let cols = resolve_columns(t, &names)?;
    let assigned: Vec<String> = cols
        .iter()
        .map(|c| format!("{} = ?", quote(dialect, c)))
        .collect();
    let (clause, mut params) = conditions(t, conditions_, dialect)?;
    let mut all: Vec<Value> = sets.iter().map(|(_, v)| v.clone()).collect();
    all.append(&mut params);
    let sql = format!(
        "UPDATE {} SET {}{clause}",
        quote(dialect, t.name),
        assigned.join(", ")
    );
    Ok((sql, all))
}

/// `DELETE FROM table WHERE ...` and its parameters; a condition is required.
pub(crate) fn delete_sql(
    catalog: &'static Catalog,
    table: &str,
    conditions_: &[(&str, Cmp, Value)],
    dialect: Dialect,
) -> Result<(String, Vec<Value>), String> {
    let t = resolve_table(catalog, table)?;
    if conditions_.is_empty() {
        return Err("a delete needs a condition".into());
    }
    let (clause, params) = conditions(t, conditions_, dialect)?;
    Ok((
        format!("DELETE FROM {}{clause}", quote(dialect, t.name)),
        params,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn names_are_the_catalogues_and_values_are_parameters() {
        let s = Select::from("FILTERS")
            .columns(&["MQ_ID", "name"])
            .eq("name", "x' OR '1'='1")
            .gt("active", 0)
            .order_by("mq_id")
            .limit(5);
        let (sql, params) = s.render(&ZTF, Dialect::Sqlite).unwrap();
        assert_eq!(
            sql,
            r#"SELECT "mq_id", "name" FROM "filters" WHERE "name" = ? AND "active" > ? ORDER BY "mq_id" LIMIT 5"#
        );
        assert_eq!(params, [Value::from("x' OR '1'='1"), Value::Int(0)]);
        let (sql, _) = Select::from("objects")
            .count()
            .eq("objectId", "ZTF1")
            .render(&ZTF, Dialect::MariaDb)
            .unwrap();
        assert_eq!(sql, "SELECT COUNT(*) FROM `objects` WHERE `objectId` = ?");
        let (sql, _) = Select::from("objects")
            .columns(&["objectId"])
            .order_by_desc("JDMAX")
            .limit(2)
            .render(&ZTF, Dialect::MariaDb)
            .unwrap();
        assert_eq!(
            sql,
            "SELECT `objectId` FROM `objects` ORDER BY `jdmax` DESC LIMIT 2"
        );
        let (sql, params) = Select::from("objects")
            .columns(&["objectId"])
            .between("decmean", -1.5, 2.5)
            .render(&ZTF, Dialect::Sqlite)
            .unwrap();
        assert_eq!(
            sql,
            r#"SELECT "objectId" FROM "objects" WHERE "decmean" >= ? AND "decmean" <= ?"#
        );
        assert_eq!(params, [Value::from(-1.5), Value::from(2.5)]);
        let cone = Select::from("objects")
            .columns(&["objectId"])
            .using_index(&["decmean", "ramean"])
            .between("decmean", -1.5, 2.5);
        let (sql, _) = cone.render(&ZTF, Dialect::MariaDb).unwrap();
        assert!(
            sql.starts_with(
                "SELECT `objectId` FROM `objects` FORCE INDEX (`idx_objects_decmean_ramean`) WHERE"
            ),
            "{sql}"
        );
        let (sql, _) = cone.render(&ZTF, Dialect::Sqlite).unwrap();
        assert!(
            sql.contains(r#"FROM "objects" INDEXED BY "idx_objects_decmean_ramean" WHERE"#),
            "{sql}"
        );
        let lsst = Select::from("objects").using_index(&["decmean", "ramean"]);
        assert!(
            lsst.render(&lasair_sql::catalog::LSST, Dialect::Sqlite)
                .is_err(),
            "not LSST's index"
        );
    }

    #[test]
    fn one_of_binds_each_value_and_matches_nothing_when_empty() {
        let ids = vec![Value::from("ZTF1"), Value::from("ZTF2') OR ('1")];
        let (sql, params) = Select::from("objects")
            .columns(&["objectId", "jdmax"])
            .one_of("OBJECTID", ids.clone())
            .render(&ZTF, Dialect::MariaDb)
            .unwrap();
        assert_eq!(
            sql,
            "SELECT `objectId`, `jdmax` FROM `objects` WHERE `objectId` IN (?, ?)"
        );
        assert_eq!(params, ids);
        let (sql, params) = Select::from("objects")
            .columns(&["objectId"])
            .gt("jdmax", 1.5)
            .one_of("objectId", Vec::new())
            .render(&ZTF, Dialect::Sqlite)
            .unwrap();
        assert_eq!(
            sql,
            r#"SELECT "objectId" FROM "objects" WHERE "jdmax" > ? AND "objectId" IN (NULL)"#
        );
        assert_eq!(params, [Value::from(1.5)]);
        let mut db = crate::Db::open("sqlite::memory:").unwrap();
        db.upsert(
            "objects",
            &["objectId", "jdmax"],
            &[
                vec!["ZTF1".into(), 2.0.into()],
                vec!["ZTF3".into(), 3.0.into()],
            ],
        )
        .unwrap();
        let mut read = |values| {
            let s = Select::from("objects")
                .columns(&["objectId"])
                .one_of("objectId", values);
            db.select(&s).unwrap().rows
        };
        assert_eq!(read(ids), [vec![Value::from("ZTF1")]]);
        assert!(read(Vec::new()).is_empty());
    }

    #[test]
    fn unknown_names_and_unconditional_writes_are_refused() {
        let err = |s: Select<'_>| s.render(&ZTF, Dialect::Sqlite).unwrap_err();
        assert!(err(Select::from("users; DROP")).contains("no such table"));
        assert!(err(Select::from("users").columns(&["password\"--"])).contains("no column"));
        assert!(err(Select::from("users").eq("1=1 OR id", 1)).contains("no column"));
        assert!(err(Select::from("users").order_by("id DESC")).contains("no column"));
        assert!(delete_sql(&ZTF, "users", &[], Dialect::Sqlite).is_err());
        assert!(update_sql(
            &ZTF,
            "users",
            &[],
            &[("id", Cmp::Eq, 1.into())],
            Dialect::Sqlite
        )
        .is_err());
        let (sql, params) = update_sql(
            &ZTF,
            "filters",
            &[("active", 2.into())],
            &[("mq_id", Cmp::Eq, 7.into())],
            Dialect::MariaDb,
        )
        .unwrap();
        assert_eq!(sql, "UPDATE `filters` SET `active` = ? WHERE `mq_id` = ?");
        assert_eq!(params, [Value::Int(2), Value::Int(7)]);
        assert_eq!(
            insert_sql(&ZTF, "tokens", &["token", "user_id"], Dialect::Sqlite).unwrap(),
            r#"INSERT INTO "tokens" ("token", "user_id") VALUES (?, ?)"#
        );
    }
}

//! Saved filters: the select list, tables and WHERE clause a user stored under a name.

use anyhow::{bail, Context};
use lasair_db::{Db, Value};
use lasair_sql::UserQuery;

/// The saved filter called `name`. Names are plain words, so they are safe to quote as an SQL
/// literal on both backends (the database layer has no bound parameters for reads).
pub fn filter(db: &mut Db, name: &str) -> anyhow::Result<UserQuery> {
    let plain = |c: char| c.is_ascii_alphanumeric() || " _-.".contains(c);
    if name.is_empty() || name.len() > 100 || !name.chars().all(plain) {
        bail!("filter name {name:?}: only letters, digits, spaces and _ - . are allowed");
    }
    let sql = format!("SELECT selected, tables, conditions FROM filters WHERE name = '{name}'");
    let rows = db
        .query_readonly(&sql, std::time::Duration::from_secs(10))
        .with_context(|| format!("looking up filter {name:?}"))?;
    let text = |v: &Value| match v {
        Value::Text(s) => s.clone(),
        _ => String::new(),
    };
    match rows.rows.as_slice() {
        [row] if row.len() == 3 => Ok(UserQuery {
            select: text(&row[0]),
            tables: text(&row[1]),
            conditions: text(&row[2]),
            ..UserQuery::default()
        }),
        [] => bail!("no saved filter named {name:?}"),
        _ => bail!("several saved filters are named {name:?}"),
    }
}

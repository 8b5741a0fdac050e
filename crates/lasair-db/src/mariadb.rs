//! The MariaDB backend (production, Galera): a small connection pool, multi-row upserts in
//! chunks inside one transaction, and users' queries as single prepared SELECTs inside a
//! read-only transaction, under `SET STATEMENT max_statement_time=N FOR ...`.

use std::time::Duration;

use lasair_sql::catalog::Catalog;
use lasair_sql::Dialect;
use mysql::consts::ColumnType;
use mysql::prelude::Queryable;
use mysql::{AccessMode, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, PooledConn, TxOpts};

use crate::schema::{self, quote};
use crate::upsert::UpsertPlan;
use crate::url::DbUrl;
use crate::{Backend, DbError, Rows, Value};

/// Rows per INSERT statement: big enough to amortise the round trip, small enough for the
/// 65,535 placeholders a prepared statement may have.
const CHUNK_ROWS: usize = 1000;
const MAX_PLACEHOLDERS: usize = 65_535;
/// MariaDB's error for a statement stopped by max_statement_time.
const ER_STATEMENT_TIMEOUT: u16 = 1969;

pub(crate) struct MariaDb {
    url: String,
    pool: Pool,
    readonly: bool,
}

fn fail(url: &str, doing: &str) -> impl Fn(mysql::Error) -> DbError {
    let (url, doing) = (url.to_owned(), doing.to_owned());
    move |e| DbError::Backend {
        url: url.clone(),
        doing: doing.clone(),
        cause: e.to_string(),
    }
}

impl MariaDb {
    pub fn open(url: &DbUrl, readonly: bool) -> Result<MariaDb, DbError> {
        let shown = url.redacted();
        let DbUrl::MySql { url: raw } = url else {
            return Err(DbError::Url {
                url: shown,
                reason: "not a mysql:// URL".into(),
            });
        };
        let opened = |cause: String| DbError::Open {
            url: shown.clone(),
            cause,
        };
        let opts = Opts::from_url(raw).map_err(|e| opened(e.to_string()))?;
        // One connection is made at once (so a bad URL fails here); more only on demand.
        let pool_opts = PoolOpts::default().with_constraints(PoolConstraints::new_const::<1, 8>());
        // Found rows: an UPDATE reports the rows it matched, as SQLite does, not only those
        // whose values changed (setting a filter active twice is not "no such filter").
        let opts = OptsBuilder::from_opts(opts)
            .pool_opts(pool_opts)
            .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS);
        let pool = Pool::new(opts).map_err(|e| opened(e.to_string()))?;
        Ok(MariaDb {
            url: shown,
            pool,
            readonly,
        })
    }

    fn conn(&self) -> Result<PooledConn, DbError> {
        self.pool.get_conn().map_err(|e| DbError::Open {
            url: self.url.clone(),
            cause: e.to_string(),
        })
    }

    fn version(conn: &mut PooledConn) -> mysql::Result<i64> {
        let exists: Option<i64> = conn.query_first(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'schema_version'",
        )?;
        if exists.unwrap_or(0) == 0 {
            return Ok(0);
        }
        let v: Option<i64> =
            conn.query_first("SELECT COALESCE(MAX(version), 0) FROM schema_version")?;
        Ok(v.unwrap_or(0))
    }
}

impl Backend for MariaDb {
    fn migrate(&mut self, catalog: &Catalog) -> Result<(), DbError> {
        let failed = fail(&self.url, "migrating the schema");
        let mut conn = self.conn()?;
        let found = MariaDb::version(&mut conn).map_err(&failed)?;
        if found > schema::VERSION {
            return Err(DbError::SchemaTooNew {
                url: self.url.clone(),
                found,
                known: schema::VERSION,
            });
        }
        if self.readonly {
            return Ok(());
        }
        // DDL commits itself in MariaDB: each statement is idempotent and the version is
        // written last, so a migration cut short (or run by two nodes at once) is harmless.
        conn.query_drop(schema::version_table(Dialect::MariaDb))
            .map_err(&failed)?;
        for to in found + 1..=schema::VERSION {
            for sql in schema::migration(Dialect::MariaDb, catalog, to) {
                conn.query_drop(sql).map_err(&failed)?;
            }
            conn.exec_drop(
                "INSERT INTO schema_version (id, version) VALUES (1, ?) \
                 ON DUPLICATE KEY UPDATE version = VALUES(version)",
                (to,),
            )
            .map_err(&failed)?;
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut conn = self.conn()?;
        let params: Vec<mysql::Value> = params.iter().map(to_sql).collect();
        conn.exec_drop(sql, params)
            .map_err(fail(&self.url, "writing"))?;
        Ok(conn.affected_rows())
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<i64, DbError> {
        let mut conn = self.conn()?;
        let params: Vec<mysql::Value> = params.iter().map(to_sql).collect();
        conn.exec_drop(sql, params)
            .map_err(fail(&self.url, "inserting"))?;
        i64::try_from(conn.last_insert_id()).map_err(|e| DbError::Backend {
            url: self.url.clone(),
            doing: "inserting".into(),
            cause: e.to_string(),
        })
    }

    fn upsert(&mut self, plan: &UpsertPlan, rows: &[Vec<Value>]) -> Result<(), DbError> {
        let failed = fail(&self.url, &format!("upserting into {}", plan.table.name));
        let mut conn = self.conn()?;
        let chunk = CHUNK_ROWS
            .min(MAX_PLACEHOLDERS / plan.columns.len().max(1))
            .max(1);
        let mut tx = conn.start_transaction(TxOpts::default()).map_err(&failed)?;
        for part in rows.chunks(chunk) {
            let params: Vec<mysql::Value> = part.iter().flatten().map(to_sql).collect();
            tx.exec_drop(upsert_sql(plan, part.len()), params)
                .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)
    }

    fn query(&mut self, sql: &str, params: &[Value], limit: Duration) -> Result<Rows, DbError> {
        let url = self.url.clone();
        let failed = fail(&url, "running a read-only query");
        let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
        if head != "SELECT" && !head.starts_with("WITH") {
            return Err(DbError::Backend {
                url,
                doing: "running a read-only query".into(),
                cause: "only a SELECT (or WITH ... SELECT) may run here".into(),
            });
        }
        let mut conn = self.conn()?;
        // A second wall behind the read-only account: InnoDB refuses writes in this
        // transaction. Prepared, so exactly one statement runs.
        let mut tx = conn
            .start_transaction(TxOpts::default().set_access_mode(Some(AccessMode::ReadOnly)))
            .map_err(&failed)?;
        let secs = limit.as_secs_f64().max(0.001);
        let limited = format!("SET STATEMENT max_statement_time={secs:.3} FOR {sql}");
        let params: Vec<mysql::Value> = params.iter().map(to_sql).collect();
        let result = run_query(&mut tx, &limited, params);
        // Nothing was written, so a failed rollback loses nothing; the pool drops a broken
        // connection on its own.
        let _ = tx.rollback();
        result.map_err(|e| match &e {
            mysql::Error::MySqlError(m) if m.code == ER_STATEMENT_TIMEOUT => {
                DbError::Timeout { url, limit }
            }
            _ => failed(e),
        })
    }
}

fn run_query(
    tx: &mut mysql::Transaction<'_>,
    sql: &str,
    params: Vec<mysql::Value>,
) -> mysql::Result<Rows> {
    let stmt = tx.prep(sql)?;
    let columns: Vec<String> = stmt
        .columns()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    let types: Vec<ColumnType> = stmt.columns().iter().map(|c| c.column_type()).collect();
    let mut rows = Vec::new();
    for row in tx.exec_iter(&stmt, params)? {
        let row = row?;
        // `Row::unwrap` moves the values out of the row; it cannot panic.
        let values = mysql::Row::unwrap(row)
            .into_iter()
            .zip(&types)
            .map(|(v, ty)| from_sql(v, *ty))
            .collect();
        rows.push(values);
    }
    Ok(Rows { columns, rows })
}

fn upsert_sql(plan: &UpsertPlan, rows: usize) -> String {
    let q = |c: &str| quote(Dialect::MariaDb, c);
    let cols: Vec<String> = plan.columns.iter().map(|c| q(c)).collect();
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    let values = vec![one; rows].join(", ");
    let mut sets: Vec<String> = plan
        .updated()
        .map(|c| match plan.newer {
            // Assignments run left to right and the ordering column comes last, so every
            // guard compares against the row's old value.
            Some(n) => {
                let n = q(n);
                format!(
                    "{0} = IF({n} IS NULL OR VALUES({n}) >= {n}, VALUES({0}), {0})",
                    q(c)
                )
            }
            None if plan.adding == Some(c) => format!("{0} = {0} + VALUES({0})", q(c)),
            None => format!("{0} = VALUES({0})", q(c)),
        })
        .collect();
    if sets.is_empty() {
        // Every column is in the key: a duplicate is already the row we want.
        let k = q(plan.key[0]);
        sets.push(format!("{k} = {k}"));
    }
    format!(
        "INSERT INTO {} ({}) VALUES {values} ON DUPLICATE KEY UPDATE {}",
        q(plan.table.name),
        cols.join(", "),
        sets.join(", ")
    )
}

fn to_sql(v: &Value) -> mysql::Value {
    match v {
        Value::Null => mysql::Value::NULL,
        Value::Int(i) => mysql::Value::Int(*i),
        Value::Real(r) => mysql::Value::Double(*r),
        Value::Text(t) => mysql::Value::Bytes(t.as_bytes().to_vec()),
    }
}

fn from_sql(v: mysql::Value, ty: ColumnType) -> Value {
    use mysql::Value as M;
    match v {
        M::NULL => Value::Null,
        M::Int(i) => Value::Int(i),
        M::UInt(u) => i64::try_from(u).map_or(Value::Real(u as f64), Value::Int),
        M::Float(f) => Value::Real(f64::from(f)),
        M::Double(d) => Value::Real(d),
        // DECIMAL results (an integer divided by one) arrive as text: read them as numbers,
        // as SQLite gives a REAL for the same expression.
        M::Bytes(b)
            if matches!(
                ty,
                ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL
            ) =>
        {
            let s = String::from_utf8_lossy(&b);
            s.parse::<f64>()
                .map_or_else(|_| Value::Text(s.into_owned()), Value::Real)
        }
        M::Bytes(b) => Value::Text(String::from_utf8_lossy(&b).into_owned()),
        other => Value::Text(other.as_sql(true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn upserts_are_multi_row_and_update_all_but_the_key() {
        let plan = UpsertPlan::new(&ZTF, "objects", &["objectId", "gmag"], &[]).unwrap();
        assert_eq!(
            upsert_sql(&plan, 2),
            "INSERT INTO `objects` (`objectId`, `gmag`) VALUES (?, ?), (?, ?) \
             ON DUPLICATE KEY UPDATE `gmag` = VALUES(`gmag`)"
        );
        let plan = UpsertPlan::new(&ZTF, "area_hits", &["ar_id", "objectId"], &[]).unwrap();
        assert!(upsert_sql(&plan, 1).ends_with("UPDATE `ar_id` = `ar_id`"));
    }

    #[test]
    fn decimals_read_as_reals_and_text_as_text() {
        let dec = mysql::Value::Bytes(b"2.5000".to_vec());
        assert_eq!(
            from_sql(dec, ColumnType::MYSQL_TYPE_NEWDECIMAL),
            Value::Real(2.5)
        );
        let text = mysql::Value::Bytes(b"ZTF1".to_vec());
        assert_eq!(
            from_sql(text, ColumnType::MYSQL_TYPE_VAR_STRING),
            Value::from("ZTF1")
        );
        assert_eq!(
            from_sql(mysql::Value::UInt(7), ColumnType::MYSQL_TYPE_LONGLONG),
            Value::Int(7)
        );
    }

    #[test]
    fn an_unreachable_server_is_an_open_error_without_the_password() {
        let url = DbUrl::parse("mysql://u:s3cret@127.0.0.1:1/db").unwrap();
        let err = MariaDb::open(&url, true).err().unwrap();
        assert!(matches!(err, DbError::Open { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("u:***@127.0.0.1:1") && !text.contains("s3cret"),
            "{text}"
        );
    }
}

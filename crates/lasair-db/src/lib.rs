//! The main database of Lasair: the schema (rendered from the query compiler's catalogue),
//! versioned migrations on open, bulk upserts of a batch, and read-only execution of users'
//! compiled queries under a time limit, on SQLite (the embedded default) or MariaDB.
//!
//! ```
//! use lasair_db::{Db, Value};
//! let mut db = Db::open("sqlite::memory:").unwrap();
//! db.upsert("objects", &["objectId", "gmag"], &[vec!["ZTF1".into(), 18.5.into()]]).unwrap();
//! let rows = db
//!     .query_readonly("SELECT objectId, gmag FROM objects", std::time::Duration::from_secs(1))
//!     .unwrap();
//! assert_eq!(rows.rows, [vec![Value::from("ZTF1"), Value::from(18.5)]]);
//! ```

mod error;
mod mariadb;
mod pool;
pub mod schema;
mod select;
pub mod service;
mod sqlite;
mod upsert;
mod url;

use std::path::Path;
use std::time::Duration;

use lasair_sql::catalog::{self, Catalog};
use lasair_sql::Dialect;

pub use error::DbError;
pub use lasair_sql::{Rows, Value};
pub use pool::{Pool, Pooled};
pub use select::{Cmp, Select};

use upsert::UpsertPlan;
use url::DbUrl;

/// The database that read-only grants on `url` name, or why there can be none: a tool checks
/// this before opening (and perhaps creating) anything.
pub fn grants_database_of(url: &str) -> Result<String, DbError> {
    grants_database(&DbUrl::parse(url)?)
}

fn grants_database(url: &DbUrl) -> Result<String, DbError> {
    url.database().ok_or_else(|| DbError::Url {
        url: url.redacted(),
        reason: "read-only grants need a mysql:// URL that names its database".into(),
    })
}

/// The tables a filter node reads from its local copy of the main database (lasair-sync
/// writes it): those its batches do not make themselves.
pub const COPIED: [&str; 2] = ["crossmatch_tns", "annotations"];

/// The time limit of our own reads (service rows, positions): generous, as they are keyed.
const READ_LIMIT: Duration = Duration::from_secs(30);

/// What each backend does; the rest (name checks, URL handling) is shared in [`Db`].
trait Backend: Send {
    /// Brings the schema up to [`schema::VERSION`] (or checks it, on a read-only connection).
    fn migrate(&mut self, catalog: &Catalog) -> Result<(), DbError>;
    /// Inserts or replaces `rows` in one transaction.
    fn upsert(&mut self, plan: &UpsertPlan, rows: &[Vec<Value>]) -> Result<(), DbError>;
    /// Runs one read-only statement with its bound `params`, stopped after `limit`.
    fn query(&mut self, sql: &str, params: &[Value], limit: Duration) -> Result<Rows, DbError>;
    /// Runs one write of ours (names already resolved); returns the rows it touched.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs one INSERT of ours; returns the integer id the database assigned.
    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<i64, DbError>;
    /// Attaches the local copies again if their file was replaced (see [`Db::refresh_copies`]).
    fn refresh_copies(&mut self) -> Result<bool, DbError> {
        Ok(false)
    }
}

/// The main database: one connection (SQLite) or pool (MariaDB) to it.
pub struct Db {
    url: DbUrl,
    catalog: &'static Catalog,
    backend: Box<dyn Backend>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("url", &self.url.redacted())
            .field("survey", &self.catalog.survey)
            .finish()
    }
}

impl Db {
    /// Opens the ZTF database at `url` for reading and writing, creating or migrating its
    /// schema: `sqlite:PATH`, `sqlite::memory:` or `mysql://user:pw@host:port/db`.
    pub fn open(url: &str) -> Result<Db, DbError> {
        Db::open_with(url, &catalog::ZTF, false)
    }

    /// Opens `url` read-only, for users' queries: SQLite with `SQLITE_OPEN_READ_ONLY`;
    /// on MariaDB `url` should name an account granted SELECT only. The schema must exist
    /// and be no newer than this code knows.
    pub fn open_readonly(url: &str) -> Result<Db, DbError> {
        Db::open_with(url, &catalog::ZTF, true)
    }

    /// Opens `url` with the tables of `catalog`.
    pub fn open_with(url: &str, catalog: &'static Catalog, readonly: bool) -> Result<Db, DbError> {
        let url = DbUrl::parse(url)?;
        let mut backend: Box<dyn Backend> = match &url {
            DbUrl::Sqlite { .. } => Box::new(sqlite::Sqlite::open(&url, readonly)?),
            DbUrl::MySql { .. } => Box::new(mariadb::MariaDb::open(&url, readonly)?),
        };
        backend.migrate(catalog)?;
        let mut db = Db {
            url,
            catalog,
            backend,
        };
        db.check_survey()?;
        Ok(db)
    }

    /// A database holds one survey's tables; opened with the other survey's catalogue, its
    /// `objects` lacks the key and ordering columns. Said at open, not at the first query.
    fn check_survey(&mut self) -> Result<(), DbError> {
        let (key, latest) = (self.catalog.key, self.catalog.latest);
        // Unquoted: SQLite takes a double-quoted name it cannot find for a string literal.
        // Both are catalogue names, plain identifiers.
        let probe = format!("SELECT {key}, {latest} FROM objects LIMIT 0");
        match self.backend.query(&probe, &[], READ_LIMIT) {
            Ok(_) => Ok(()),
            Err(DbError::Backend { cause, .. }) => Err(DbError::Invalid {
                url: self.url.redacted(),
                table: "objects".into(),
                reason: format!(
                    "it is not the {} objects table (no {key} or {latest}: {cause}); a database holds one survey's tables",
                    self.catalog.survey
                ),
            }),
            Err(e) => Err(e),
        }
    }

    /// Deletes the rows of `table` whose `column` equals `value` (a user's watchlist and its
    /// cones, a saved filter); both names must be the catalogue's or a service table's.
    pub fn delete_where(
        &mut self,
        table: &str,
        column: &str,
        value: &Value,
    ) -> Result<u64, DbError> {
        let (sql, params) = select::delete_sql(
            self.catalog,
            table,
            &[(column, Cmp::Eq, value.clone())],
            self.dialect(),
        )
        .map_err(|reason| self.invalid(table, reason))?;
        self.backend.execute(&sql, &params)
    }

    /// Sets `sets` on the rows of `table` whose `column` equals `value`; returns how many
    /// rows matched the condition, on both backends.
    pub fn update_where(
        &mut self,
        table: &str,
        sets: &[(&str, Value)],
        column: &str,
        value: &Value,
    ) -> Result<u64, DbError> {
        let cond = [(column, Cmp::Eq, value.clone())];
        let (sql, params) = select::update_sql(self.catalog, table, sets, &cond, self.dialect())
            .map_err(|reason| self.invalid(table, reason))?;
        self.backend.execute(&sql, &params)
    }

    /// Writes a filter node's local copy of [`COPIED`] from this database to the SQLite file
    /// `to`, which is replaced at once (written beside it, flushed, then renamed over it): a
    /// batch database reading the old file keeps reading it whole until it takes the new one
    /// ([`Db::refresh_copies`]). Returns the rows copied of each table.
    pub fn write_copies(&mut self, to: &Path) -> Result<Vec<(&'static str, usize)>, DbError> {
        let name = to
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| DbError::Url {
                url: to.display().to_string(),
                reason: "the local copies need a file name".into(),
            })?;
        let tmp = to.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let failed = |doing: &str, e: std::io::Error| DbError::Backend {
            url: format!("sqlite:{}", to.display()),
            doing: doing.to_owned(),
            cause: e.to_string(),
        };
        std::fs::remove_file(&tmp)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| failed("removing an unfinished copy", e))?;
        let written = self.fill_copy(&tmp);
        let written = written.and_then(|counts| {
            // The file's own bytes, then its name, durable before anyone is pointed at it.
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| failed("flushing the copy", e))?;
            std::fs::rename(&tmp, to).map_err(|e| failed("putting the copy in place", e))?;
            if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| failed("flushing the folder", e))?;
            }
            Ok(counts)
        });
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    fn fill_copy(&mut self, path: &Path) -> Result<Vec<(&'static str, usize)>, DbError> {
        let url = DbUrl::parse(&format!("sqlite:{}", path.display()))?;
        let mut copy = sqlite::Sqlite::open_copy(&url)?;
        copy.migrate(self.catalog)?;
        let mut counts = Vec::new();
        for table in COPIED {
            let rows = self.select(&Select::from(table))?;
            let columns: Vec<&str> = rows.columns.iter().map(String::as_str).collect();
            for chunk in rows.rows.chunks(10_000) {
                let plan =
                    UpsertPlan::new(self.catalog, table, &columns, chunk).map_err(|reason| {
                        DbError::Invalid {
                            url: url.redacted(),
                            table: table.to_owned(),
                            reason,
                        }
                    })?;
                copy.upsert(&plan, chunk)?;
            }
            counts.push((table, rows.rows.len()));
        }
        Ok(counts)
    }

    /// Takes the local copies again if [`Db::write_copies`] has replaced their file since
    /// they were attached (a batch database opened with copies; otherwise nothing). Whether
    /// it took a new file.
    pub fn refresh_copies(&mut self) -> Result<bool, DbError> {
        self.backend.refresh_copies()
    }

    /// Inserts one row into a service table whose integer key is left to the database
    /// (not among `columns`); returns the id it assigned. No `MAX(id) + 1`: that races
    /// between nodes.
    pub fn insert(&mut self, table: &str, columns: &[&str], row: &[Value]) -> Result<i64, DbError> {
        if columns.len() != row.len() {
            let reason = format!("{} values for {} columns", row.len(), columns.len());
            return Err(self.invalid(table, reason));
        }
        let sql = select::insert_sql(self.catalog, table, columns, self.dialect())
            .map_err(|reason| self.invalid(table, reason))?;
        self.backend.insert(&sql, row)
    }

    /// The rows `select` names, read with bound parameters (see [`Select`]).
    pub fn select(&mut self, select: &Select<'_>) -> Result<Rows, DbError> {
        let (sql, params) = select
            .render(self.catalog, self.dialect())
            .map_err(|reason| self.invalid(select.table(), reason))?;
        self.backend.query(&sql, &params, READ_LIMIT)
    }

    fn invalid(&self, table: &str, reason: String) -> DbError {
        DbError::Invalid {
            url: self.url.redacted(),
            table: table.to_owned(),
            reason,
        }
    }

    /// A filter node's batch database: in memory, with the catalogue's tables, emptied with
    /// [`Db::clear`] between batches. When `copies` names a SQLite file (the sync tool's local
    /// copy of the main database's `crossmatch_tns` and `annotations`), those two tables are
    /// read from it, read-only, so users' filters that join them run locally.
    pub fn open_batch(catalog: &'static Catalog, copies: Option<&Path>) -> Result<Db, DbError> {
        let url = DbUrl::parse("sqlite::memory:")?;
        let mut backend = sqlite::Sqlite::open(&url, false)?;
        backend.migrate(catalog)?;
        // No index on the objects' latest time: SQLite walks it for a filter's `ORDER BY
        // jdmax DESC` to spare a sort, paying a table look-up for every row of the batch,
        // where sorting the few rows that pass costs next to nothing (a third of the filters'
        // time in `scripts/bench filter`, whose filters are ordered so one in eight).
        if let Some(index) = schema::index_name(catalog, "objects", &[catalog.latest]) {
            let drop = format!(
                "DROP INDEX IF EXISTS {}",
                schema::quote(Dialect::Sqlite, &index)
            );
            backend.execute(&drop, &[])?;
        }
        if let Some(copies) = copies {
            backend.attach_copies(copies, &COPIED)?;
        }
        Ok(Db {
            url,
            catalog,
            backend: Box::new(backend),
        })
    }

    /// Each object's SQLite rowid, with its key as stored: where a screened filter's
    /// narrowed statement finds the objects its screen keeps (`lasair_sql::Screened`). Only
    /// SQLite has rowids; MariaDB answers with an error.
    pub fn object_rowids(&mut self) -> Result<Vec<(Value, i64)>, DbError> {
        if self.dialect() != Dialect::Sqlite {
            return Err(self.invalid("objects", "only SQLite tables have rowids".into()));
        }
        let sql = format!(
            "SELECT {}, rowid FROM {}",
            schema::quote(Dialect::Sqlite, self.catalog.key),
            schema::quote(Dialect::Sqlite, "objects")
        );
        let rows = self.backend.query(&sql, &[], Duration::from_secs(60))?;
        Ok(rows
            .rows
            .into_iter()
            .filter_map(|mut r| {
                let rowid = r.pop()?.as_i64()?;
                Some((r.pop()?, rowid))
            })
            .collect())
    }

    /// Deletes every row of `table`, which must be in the catalogue or a service table.
    pub fn clear(&mut self, table: &str) -> Result<(), DbError> {
        let t = select::resolve_table(self.catalog, table)
            .map_err(|reason| self.invalid(table, reason))?;
        let sql = format!("DELETE FROM {}", schema::quote(self.dialect(), t.name));
        self.backend.execute(&sql, &[]).map(drop)
    }

    /// The SQL dialect to compile users' queries for.
    pub fn dialect(&self) -> Dialect {
        self.url.dialect()
    }

    /// The catalogue (survey tables) this database holds.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// The statements an administrator runs (after this open has migrated the schema) so
    /// that `account` may read the user-visible tables and nothing else, such as `users`
    /// or `tokens`. MariaDB only: SQLite is made read-only by how the file is opened.
    pub fn readonly_grants(&self, account: &str) -> Result<Vec<String>, DbError> {
        let database = grants_database(&self.url)?;
        Ok(schema::readonly_grants(self.catalog, &database, account))
    }

    /// The URL without its password, for messages.
    pub fn url(&self) -> String {
        self.url.redacted()
    }

    /// Inserts `rows` into `table`, replacing the rows with the same primary key, all in
    /// one transaction; upserting the same batch again leaves the same rows. `table` and
    /// `columns` must be in the catalogue or [`service::SERVICE_TABLES`], and `columns`
    /// must include the table's key (a service table's integer id may be NULL: the
    /// database assigns one).
    pub fn upsert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<(), DbError> {
        self.planned_upsert(table, columns, rows, Ok)
    }

    /// Plans an upsert, lets `shape` add to the plan, and runs it.
    fn planned_upsert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
        shape: impl FnOnce(UpsertPlan) -> Result<UpsertPlan, String>,
    ) -> Result<(), DbError> {
        let plan = UpsertPlan::new(self.catalog, table, columns, rows)
            .and_then(shape)
            .map_err(|reason| DbError::Invalid {
                url: self.url.redacted(),
                table: table.to_owned(),
                reason,
            })?;
        if rows.is_empty() {
            return Ok(());
        }
        self.backend.upsert(&plan, rows)
    }

    /// As [`Db::upsert`], but an existing row is replaced only when the new row's `newer`
    /// column is not older than its own (NULL is older): an object's row from an older alert,
    /// redelivered or from another partition, never overwrites a newer one.
    pub fn upsert_newer(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
        newer: &str,
    ) -> Result<(), DbError> {
        self.planned_upsert(table, columns, rows, |p| p.guarded_by(newer))
    }

    /// As [`Db::upsert`], but column `add`'s values are added to the existing rows' (a new
    /// row takes its value as it is): counts kept as they grow.
    pub fn upsert_adding(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
        add: &str,
    ) -> Result<(), DbError> {
        self.planned_upsert(table, columns, rows, |p| p.adding(add))
    }

    /// Runs one statement (a query compiled by `lasair_sql` for [`Db::dialect`]) on a
    /// read-only connection, stopped with [`DbError::Timeout`] after `time_limit`.
    pub fn query_readonly(&mut self, sql: &str, time_limit: Duration) -> Result<Rows, DbError> {
        self.backend.query(sql, &[], time_limit)
    }

    /// As [`Db::query_readonly`], with the statement's parameters bound (as a screened
    /// filter's narrowed statement takes its keys, `lasair_sql::Screened`).
    pub fn query_readonly_with(
        &mut self,
        sql: &str,
        params: &[Value],
        time_limit: Duration,
    ) -> Result<Rows, DbError> {
        self.backend.query(sql, params, time_limit)
    }
}

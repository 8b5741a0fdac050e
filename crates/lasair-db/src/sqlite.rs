//! The SQLite backend (the embedded default): one read/write connection, and a second one
//! opened with `SQLITE_OPEN_READ_ONLY` for users' queries, stopped by a progress handler.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lasair_sql::catalog::Catalog;
use lasair_sql::Dialect;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::schema::{self, quote};
use crate::upsert::UpsertPlan;
use crate::url::DbUrl;
use crate::{Backend, DbError, Rows, Value};

/// Page cache per connection, as SQLite takes it: negative means KiB (256 MiB).
const CACHE_KIB: i64 = -262_144;

/// Prepared statements kept per read-only connection: every active filter of a node.
const STATEMENT_CACHE: usize = 4096;

/// SQLite virtual-machine steps between looks at the clock.
const PROGRESS_STEPS: i32 = 1000;

pub(crate) struct Sqlite {
    url: String,
    /// The read/write connection (None when opened read-only).
    rw: Option<Connection>,
    ro: Connection,
    /// The local copies attached, and which file (device, inode) they were read from.
    copies: Option<(std::path::PathBuf, (u64, u64))>,
}

/// Which file `path` names now (device and inode): a copy replaced by rename is another file.
fn file_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}

fn fail(url: &str, doing: &str) -> impl Fn(rusqlite::Error) -> DbError {
    let (url, doing) = (url.to_owned(), doing.to_owned());
    move |e| DbError::Backend {
        url: url.clone(),
        doing: doing.clone(),
        cause: e.to_string(),
    }
}

impl Sqlite {
    pub fn open(url: &DbUrl, readonly: bool) -> Result<Sqlite, DbError> {
        Sqlite::open_journal(url, readonly, "WAL")
    }

    /// A new file for a filter node's local copies: with a rollback journal, not WAL, so that
    /// once written the file alone is the database (readers attach it read-only, where they
    /// could not make WAL's files).
    pub fn open_copy(url: &DbUrl) -> Result<Sqlite, DbError> {
        Sqlite::open_journal(url, false, "DELETE")
    }

    fn open_journal(url: &DbUrl, readonly: bool, journal: &str) -> Result<Sqlite, DbError> {
        let shown = url.redacted();
        let path = match url {
            DbUrl::Sqlite { path: Some(p) } => p.clone(),
            // A private shared-cache memory database, so the read-only connection sees
            // what the read/write one wrote (a plain `:memory:` is one per connection).
            _ => {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                format!(
                    "file:lasair-{}-{n}?mode=memory&cache=shared",
                    std::process::id()
                )
            }
        };
        let open = |flags: OpenFlags| {
            // NO_MUTEX: a Connection is used by one thread at a time (rusqlite's is not Sync),
            // and SQLite's serialized mode took a mutex on every column read (perf).
            let flags = flags | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(&path, flags).map_err(|e| DbError::Open {
                url: shown.clone(),
                cause: e.to_string(),
            })?;
            register_functions(&conn).map_err(fail(&shown, "registering SQL functions"))?;
            // SQLite's default page cache is 2 MB; a main database of millions of objects
            // re-read its index pages from the OS for every row of an upsert.
            conn.pragma_update(None, "cache_size", CACHE_KIB)
                .map_err(fail(&shown, "sizing the page cache"))?;
            Ok::<_, DbError>(conn)
        };
        let rw = if readonly {
            None
        } else {
            let conn = open(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
            // WAL lets readers run beside the writer; a memory database ignores it.
            conn.pragma_update(None, "journal_mode", journal)
                .map_err(fail(&shown, "setting WAL mode"))?;
            conn.busy_timeout(Duration::from_secs(10))
                .map_err(fail(&shown, "setting the busy timeout"))?;
            Some(conn)
        };
        let ro = open(OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // A shared-cache memory database ignores SQLITE_OPEN_READ_ONLY: query_only holds
        // on every kind of database.
        ro.pragma_update(None, "query_only", true)
            .map_err(fail(&shown, "making the connection read-only"))?;
        ro.busy_timeout(Duration::from_secs(10))
            .map_err(fail(&shown, "setting the busy timeout"))?;
        ro.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Sqlite {
            url: shown,
            rw,
            ro,
            copies: None,
        })
    }

    /// Replaces `tables` with those of the SQLite file at `path`, attached read-only to both
    /// connections: unqualified names that main lacks resolve to the attached file.
    pub fn attach_copies(
        &mut self,
        path: &std::path::Path,
        tables: &[&str],
    ) -> Result<(), DbError> {
        let failed = fail(
            &self.url,
            &format!("attaching the local copies {}", path.display()),
        );
        if !path.is_file() {
            return Err(failed(rusqlite::Error::InvalidPath(path.to_owned())));
        }
        let id =
            file_id(path).map_err(|_| failed(rusqlite::Error::InvalidPath(path.to_owned())))?;
        let uri = format!("file:{}?mode=ro", path.display());
        if let Some(rw) = &self.rw {
            for t in tables {
                rw.execute(
                    &format!("DROP TABLE IF EXISTS {}", quote(Dialect::Sqlite, t)),
                    [],
                )
                .map_err(&failed)?;
            }
            rw.execute("ATTACH DATABASE ?1 AS copies", [&uri])
                .map_err(&failed)?;
        }
        self.ro
            .execute("ATTACH DATABASE ?1 AS copies", [&uri])
            .map_err(&failed)?;
        self.copies = Some((path.to_owned(), id));
        Ok(())
    }

    /// Attaches the copies' file again if it is another file than the one attached (replaced
    /// by rename: the old one stayed whole, open, until now).
    fn reattach_copies(&mut self) -> Result<bool, DbError> {
        let Some((path, id)) = self.copies.clone() else {
            return Ok(false);
        };
        let failed = fail(
            &self.url,
            &format!("attaching the local copies {} again", path.display()),
        );
        let now = file_id(&path).map_err(|_| failed(rusqlite::Error::InvalidPath(path.clone())))?;
        if now == id {
            return Ok(false);
        }
        let uri = format!("file:{}?mode=ro", path.display());
        for conn in self.rw.iter().chain([&self.ro]) {
            conn.execute("DETACH DATABASE copies", [])
                .map_err(&failed)?;
            conn.execute("ATTACH DATABASE ?1 AS copies", [&uri])
                .map_err(&failed)?;
        }
        self.copies = Some((path, now));
        Ok(true)
    }

    fn version(conn: &Connection) -> rusqlite::Result<i64> {
        let exists: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Ok(0);
        }
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
    }
}

fn too_new(url: &str, found: i64) -> Result<(), DbError> {
    if found > schema::VERSION {
        return Err(DbError::SchemaTooNew {
            url: url.to_owned(),
            found,
            known: schema::VERSION,
        });
    }
    Ok(())
}

/// Registers the math functions the SQLite rendering of user queries calls.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for f in lasair_sql::SQLITE_FUNCTIONS {
        let (eval, name) = (f.eval, f.name);
        let args = i32::try_from(f.args).unwrap_or(-1);
        conn.create_scalar_function(f.name, args, flags, move |ctx| {
            let mut xs = Vec::with_capacity(ctx.len());
            for i in 0..ctx.len() {
                match ctx.get::<Option<f64>>(i)? {
                    Some(x) => xs.push(x),
                    None => return Ok(None),
                }
            }
            match eval(&xs) {
                Some(v) => match lasair_sql::out_of_range(name, v) {
                    Some(message) => Err(rusqlite::Error::UserFunctionError(message.into())),
                    None => Ok(Some(v)),
                },
                None => Ok(None),
            }
        })?;
    }
    Ok(())
}

impl Backend for Sqlite {
    fn refresh_copies(&mut self) -> Result<bool, DbError> {
        self.reattach_copies()
    }

    fn migrate(&mut self, catalog: &Catalog) -> Result<(), DbError> {
        let Some(rw) = self.rw.as_mut() else {
            let found =
                Sqlite::version(&self.ro).map_err(fail(&self.url, "reading the schema version"))?;
            return too_new(&self.url, found);
        };
        let failed = fail(&self.url, "migrating the schema");
        // IMMEDIATE takes the write lock first, so two processes opening at once migrate
        // one after the other rather than both.
        let tx = rw
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let found = Sqlite::version(&tx).map_err(&failed)?;
        if found > schema::VERSION {
            return too_new(&self.url, found);
        }
        tx.execute(&schema::version_table(Dialect::Sqlite), [])
            .map_err(&failed)?;
        for to in found + 1..=schema::VERSION {
            for sql in schema::migration(Dialect::Sqlite, catalog, to) {
                tx.execute(&sql, []).map_err(&failed)?;
            }
            tx.execute(
                "INSERT INTO schema_version (id, version) VALUES (1, ?1) \
                 ON CONFLICT(id) DO UPDATE SET version = excluded.version",
                [to],
            )
            .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)
    }

    fn upsert(&mut self, plan: &UpsertPlan, rows: &[Vec<Value>]) -> Result<(), DbError> {
        let doing = format!("upserting into {}", plan.table.name);
        let failed = fail(&self.url, &doing);
        let rw = self.writer(&doing)?;
        let sql = upsert_sql(plan);
        let tx = rw.transaction().map_err(&failed)?;
        {
            let mut stmt = tx.prepare_cached(&sql).map_err(&failed)?;
            for row in rows {
                let params = row.iter().map(to_sql);
                stmt.execute(rusqlite::params_from_iter(params))
                    .map_err(&failed)?;
            }
        }
        tx.commit().map_err(&failed)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let rw = self.writer("writing")?;
        rw.execute(sql, rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map(|n| n as u64)
            .map_err(fail(&self.url, "writing"))
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<i64, DbError> {
        let failed = fail(&self.url, "inserting");
        let rw = self.writer("inserting")?;
        rw.execute(sql, rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(failed)?;
        Ok(rw.last_insert_rowid())
    }

    fn query(&mut self, sql: &str, params: &[Value], limit: Duration) -> Result<Rows, DbError> {
        let deadline = Instant::now() + limit;
        self.ro
            .progress_handler(PROGRESS_STEPS, Some(move || Instant::now() >= deadline));
        let result = run_query(&self.ro, sql, params);
        self.ro
            .progress_handler(PROGRESS_STEPS, None::<fn() -> bool>);
        result.map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::OperationInterrupted) => DbError::Timeout {
                url: self.url.clone(),
                limit,
            },
            _ => fail(&self.url, "running a read-only query")(e),
        })
    }
}

impl Sqlite {
    /// The read/write connection, or the error of a database opened read-only.
    fn writer(&mut self, doing: &str) -> Result<&mut Connection, DbError> {
        self.rw.as_mut().ok_or_else(|| {
            fail(&self.url, doing)(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
                Some("opened read-only".into()),
            ))
        })
    }
}

fn run_query(conn: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Rows> {
    // Cached: a filter node runs the same users' filters on every batch.
    let mut stmt = conn.prepare_cached(sql)?;
    if !stmt.readonly() {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some("only a read-only statement may run here".into()),
        ));
    }
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    let mut cursor = stmt.query(rusqlite::params_from_iter(params.iter().map(to_sql)))?;
    while let Some(row) = cursor.next()? {
        let mut out = Vec::with_capacity(width);
        for i in 0..width {
            out.push(from_sql(row.get_ref(i)?));
        }
        rows.push(out);
    }
    Ok(Rows { columns, rows })
}

fn upsert_sql(plan: &UpsertPlan) -> String {
    let q = |c: &str| quote(Dialect::Sqlite, c);
    let cols: Vec<String> = plan.columns.iter().map(|c| q(c)).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let key: Vec<String> = plan.key.iter().map(|c| q(c)).collect();
    let table = q(plan.table.name);
    let sets: Vec<String> = plan
        .updated()
        .map(|c| match plan.adding {
            Some(a) if a == c => format!("{0} = {table}.{0} + excluded.{0}", q(c)),
            _ => format!("{0} = excluded.{0}", q(c)),
        })
        .collect();
    let guard = match plan.newer {
        Some(c) => {
            let (c, t) = (q(c), q(plan.table.name));
            format!(" WHERE {t}.{c} IS NULL OR excluded.{c} >= {t}.{c}")
        }
        None => String::new(),
    };
    let action = if sets.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}{guard}", sets.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        q(plan.table.name),
        cols.join(", "),
        marks.join(", "),
        key.join(", ")
    )
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Int(i) => S::Integer(*i),
        Value::Real(r) => S::Real(*r),
        Value::Text(t) => S::Text(t.clone()),
    }
}

fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn upserts_update_all_but_the_key() {
        let plan = UpsertPlan::new(
            &ZTF,
            "watchlist_hits",
            &["wl_id", "objectId", "arcsec"],
            &[],
        )
        .unwrap();
        assert_eq!(
            upsert_sql(&plan),
            r#"INSERT INTO "watchlist_hits" ("wl_id", "objectId", "arcsec") VALUES (?1, ?2, ?3) ON CONFLICT ("wl_id", "objectId") DO UPDATE SET "arcsec" = excluded."arcsec""#
        );
        let plan = UpsertPlan::new(&ZTF, "area_hits", &["objectId", "ar_id"], &[]).unwrap();
        assert!(upsert_sql(&plan).ends_with("DO NOTHING"));
    }
}

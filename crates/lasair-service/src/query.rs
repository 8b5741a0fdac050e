//! The runner of users' queries on the main database: compiled by lasair-sql for the
//! database's dialect (the security boundary), run on the read-only connection under a time
//! limit and a row limit. lasair-query, the web server and the mining head all run queries
//! through here.

use std::time::Duration;

use lasair_db::{Db, Rows};
use lasair_sql::{compile, CompiledQuery, Limits, UserQuery};

use crate::filter::Filter;
use crate::watch::{Watchlist, Watchmap};
use crate::{Record, ServiceError};

/// A query's limits: rows, clause sizes, time.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    pub sql: Limits,
    pub timeout: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            sql: Limits {
                max_rows: 10_000,
                ..Limits::default()
            },
            timeout: Duration::from_secs(60),
        }
    }
}

/// `query` compiled for `db`.
pub fn compile_for(
    db: &Db,
    query: &UserQuery,
    limits: &QueryLimits,
) -> Result<CompiledQuery, ServiceError> {
    compile(query, db.catalog(), db.dialect(), &limits.sql).map_err(|e| ServiceError::Query {
        what: "the query".into(),
        source: Box::new(e),
    })
}

/// `query` compiled for `db` on behalf of user `user_id`: as [`compile_for`], and every
/// watchlist and watchmap it names must be public or theirs. One that is neither, or none at
/// all, gets the same answer, so no one learns which private ids exist.
pub fn compile_as(
    db: &mut Db,
    query: &UserQuery,
    limits: &QueryLimits,
    user_id: i64,
) -> Result<CompiledQuery, ServiceError> {
    let compiled = compile_for(db, query, limits)?;
    let refused = |kind: &str, id: u64| {
        ServiceError::invalid(
            "the query",
            format!("you do not have permission to access {kind} {id}"),
        )
    };
    for &id in &compiled.watchlists {
        let seen = i64::try_from(id).ok().map(|id| Watchlist::get(db, id));
        match seen {
            Some(Ok(w)) if w.public || w.user_id == user_id => {}
            Some(Err(e)) if !matches!(e, ServiceError::NotFound { .. }) => return Err(e),
            _ => return Err(refused("watchlist", id)),
        }
    }
    for &id in &compiled.watchmaps {
        let seen = i64::try_from(id).ok().map(|id| Watchmap::get(db, id));
        match seen {
            Some(Ok(w)) if w.public || w.user_id == user_id => {}
            Some(Err(e)) if !matches!(e, ServiceError::NotFound { .. }) => return Err(e),
            _ => return Err(refused("watchmap", id)),
        }
    }
    Ok(compiled)
}

/// Compiles `query` for user `user_id` ([`compile_as`]) and runs it on `db`'s read-only
/// connection: the output columns' names and the rows.
pub fn run_as(
    db: &mut Db,
    query: &UserQuery,
    limits: &QueryLimits,
    user_id: i64,
) -> Result<(Vec<String>, Rows), ServiceError> {
    let compiled = compile_as(db, query, limits, user_id)?;
    let rows = db.query_readonly(&compiled.sql, limits.timeout)?;
    Ok((compiled.columns, rows))
}

/// Compiles and runs `query` on `db`'s read-only connection.
pub fn run(db: &mut Db, query: &UserQuery, limits: &QueryLimits) -> Result<Rows, ServiceError> {
    let compiled = compile_for(db, query, limits)?;
    Ok(db.query_readonly(&compiled.sql, limits.timeout)?)
}

/// The query of the saved filter called `name`; refused when no filter or several have that
/// name.
pub fn saved(db: &mut Db, name: &str) -> Result<UserQuery, ServiceError> {
    let what = format!("saved filter {name:?}");
    if name.is_empty() || name.len() > 100 {
        return Err(ServiceError::invalid(what, "a name is 1 to 100 characters"));
    }
    let mut found = Filter::named(db, name)?;
    match found.len() {
        1 => Ok(found.remove(0).query),
        0 => Err(ServiceError::invalid(what, "there is none of that name")),
        n => Err(ServiceError::invalid(
            what,
            format!("{n} filters have that name"),
        )),
    }
}

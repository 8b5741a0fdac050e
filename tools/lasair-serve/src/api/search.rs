//! Cone searches and users' queries.

use lasair_service::query::{compile_as, QueryLimits};
use lasair_service::users::User;
use lasair_sql::{Limits, UserQuery};
use serde_json::{json, Map, Value as Json};

use super::json_of;
use crate::params::Params;
use crate::reply::ApiError;
use crate::state::App;

/// The widest cone the API searches, arcseconds.
const MAX_RADIUS: f64 = 1000.0;

/// `/api/cone/`: the objects within `radius` arcseconds of (`ra`, `dec`), nearest first:
/// `all` (with the count and the nearest), `nearest`, or `count`.
pub fn cone(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let ra = f.float("ra", Some(0.0), Some(360.0));
    let dec = f.float("dec", Some(-90.0), Some(90.0));
    let radius = f.float("radius", Some(0.0), None);
    let kind = f.choice("requestType", &["count", "all", "nearest"]);
    f.done()?;
    let (Some(ra), Some(dec), Some(radius), Some(kind)) = (ra, dec, radius, kind) else {
        return Err(ApiError::Internal("a checked field went missing".into()));
    };
    if radius > MAX_RADIUS {
        return Err(ApiError::error("Max radius is 1000 arcsec."));
    }
    let found = lasair_service::objects::cone(&mut *app.db.get()?, ra, dec, radius)?;
    let one =
        |(key, sep): &(lasair_db::Value, f64)| json!({"object": json_of(key), "separation": sep});
    let nearest = found.first().map_or_else(|| json!({}), one);
    Ok(match kind.as_str() {
        "count" => json!({"count": found.len()}),
        "nearest" if found.is_empty() => json!({}),
        "nearest" => json!({ "nearest": nearest }),
        _ => json!({
            "objects": found.iter().map(one).collect::<Vec<_>>(),
            "count": found.len(),
            "nearest": nearest,
        }),
    })
}

/// Rows a query returns when the caller names no limit.
const DEFAULT_LIMIT: u64 = 1000;

/// `/api/query/`: the user's SELECT list, tables and WHERE clause compiled by the query
/// compiler (refusing others' private watchlists and watchmaps) and run on the read-only
/// database under the time limit, at most the caller's class's rows. Rows keyed by column.
pub fn query(app: &App, user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let selected = f.text("selected", 4096, false, false);
    let tables = f.text("tables", 1024, false, false);
    let conditions = f.text("conditions", 4096, true, false);
    let limit = f.count("limit", 1_000_000);
    let offset = f.count("offset", i64::MAX as u64);
    f.done()?;
    let (Some(select), Some(tables), Some(conditions), Some(limit), Some(offset)) =
        (selected, tables, conditions, limit, offset)
    else {
        return Err(ApiError::Internal("a checked field went missing".into()));
    };
    let cap = user.api_class.max_rows();
    let query = UserQuery {
        select,
        tables,
        conditions,
        limit: Some(limit.unwrap_or(DEFAULT_LIMIT).min(cap)),
        offset,
        ..UserQuery::default()
    };
    let (names, rows) = run_query(app, &query, cap, user.id)?;
    let list: Vec<Json> = rows
        .iter()
        .map(|row| {
            let map: Map<String, Json> = names
                .iter()
                .zip(row)
                .map(|(c, v)| (c.clone(), json_of(v)))
                .collect();
            Json::Object(map)
        })
        .collect();
    Ok(Json::Array(list))
}

/// Runs a user's query, at most `cap` rows, as user `user_id` (whose private watchlists and
/// watchmaps it may name; an id no user has may name only public ones): compiled and checked
/// on our own connection, which may read the watchlists' owners, then run on the read-only
/// one, which may not. The output columns' names and the rows; what the database says of the
/// query is the user's to read and fix.
pub(crate) fn run_query(
    app: &App,
    query: &UserQuery,
    cap: u64,
    user_id: i64,
) -> Result<(Vec<String>, Vec<Vec<lasair_db::Value>>), ApiError> {
    let limits = QueryLimits {
        sql: Limits {
            max_rows: cap,
            ..Limits::default()
        },
        timeout: app.limits.query_timeout,
    };
    let compiled = compile_as(&mut *app.db.get()?, query, &limits, user_id)?;
    let rows = app
        .readonly
        .get()?
        .query_readonly(&compiled.sql, limits.timeout)
        .map_err(|e| ApiError::error(e.to_string()))?;
    let names = if compiled.columns.len() == rows.columns.len() {
        compiled.columns
    } else {
        rows.columns
    };
    Ok((names, rows.rows))
}

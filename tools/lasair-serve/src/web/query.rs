//! The query builder: SELECT, tables and WHERE with the schema beside them, run as the API
//! runs a query (compiled by the query compiler, read-only, under the time limit), the rows as
//! a sortable, paged table, CSV or JSON to download, and an error that names the clause at
//! fault. A GET, so a query is a link. A query may name public watchlists and watchmaps and,
//! logged in, one's own; it reads at most [`MAX_ROWS`] rows, as Lasair's web page does.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use lasair_sql::catalog::ColType;
use lasair_sql::UserQuery;
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{blocking, Page, Peer};
use crate::api::json_of;
use crate::reply::ApiError;
use crate::state::App;
use axum::http::HeaderMap;

/// Rows a page shows at most, and a download holds: Lasair's web "Run" shows 1,000 and
/// sends users to the API for more.
pub const MAX_ROWS: u64 = 1000;

/// Rows per page unless asked.
const PAGE_ROWS: u64 = 100;

/// The user of a query run without an account: no user has this id, so only public
/// watchlists and watchmaps may be named.
const ANONYMOUS: i64 = -1;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Form {
    select: Option<String>,
    tables: Option<String>,
    #[serde(rename = "where")]
    conditions: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    format: Option<String>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Query(form): Query<Form>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> Response {
    let address = app.visitor_address(peer, &headers);
    blocking(app, &headers, move |page| query_page(page, form, address)).await
}

pub async fn schema(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| {
        let app = page.app;
        let catalog = lasair_service::catalog(app.survey);
        page.render(
            "schema.html",
            context! { tables => tables(app), key => catalog.key },
        )
    })
    .await
}

/// The catalogue's tables and columns, as the pages list them.
fn tables(app: &App) -> Vec<Json> {
    let catalog = lasair_service::catalog(app.survey);
    catalog
        .tables
        .iter()
        .map(|t| {
            let columns: Vec<Json> = t
                .columns
                .iter()
                .map(|c| {
                    let ty = match c.ty {
                        ColType::Int => "integer",
                        ColType::Real => "real",
                        ColType::Text => "text",
                    };
                    json!({"name": c.name, "type": ty})
                })
                .collect();
            json!({"name": t.name, "columns": columns})
        })
        .collect()
}

/// Which field of the form an error of the query compiler is about.
fn field_of(message: &str) -> &'static str {
    if message.contains("SELECT clause") {
        "SELECT"
    } else if message.contains("table list") {
        "FROM"
    } else if message.contains("WHERE clause") || message.contains("ORDER BY") {
        "WHERE"
    } else {
        "the query"
    }
}

/// The query string of this form at another offset or format.
fn link(
    form: &Form,
    select: &str,
    tables: &str,
    limit: u64,
    offset: u64,
    format: Option<&str>,
) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("select", select)
        .append_pair("tables", tables)
        .append_pair("where", form.conditions.as_deref().unwrap_or_default())
        .append_pair("limit", &limit.to_string());
    if offset > 0 {
        q.append_pair("offset", &offset.to_string());
    }
    if let Some(f) = format {
        q.append_pair("format", f);
    }
    format!("/query/?{}", q.finish())
}

/// The query page; `address` is the visitor's, whose anonymous queries are counted.
fn query_page(
    page_of: &Page,
    form: Form,
    address: Option<std::net::IpAddr>,
) -> Result<Response, ApiError> {
    let app = page_of.app;
    let catalog = lasair_service::catalog(app.survey);
    let (ra, dec) = catalog.position;
    let example_select = format!(
        "objects.{}, objects.{ra}, objects.{dec}, objects.{}",
        catalog.key, catalog.latest
    );
    let asked = form.select.as_deref().is_some_and(|s| !s.trim().is_empty());
    let select = form
        .select
        .clone()
        .filter(|_| asked)
        .unwrap_or(example_select);
    let tables_text = form
        .tables
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "objects".to_owned());
    let limit = form.limit.unwrap_or(PAGE_ROWS).clamp(1, MAX_ROWS);
    let offset = form.offset.unwrap_or(0).min(MAX_ROWS);
    let shown = context! {
        select => select.clone(),
        tables => tables_text.clone(),
        where => form.conditions.clone().unwrap_or_default(),
        limit,
    };
    let page = |error: Option<Json>,
                columns: Vec<String>,
                rows: Option<Vec<Vec<Json>>>,
                key_column: Option<usize>| {
        let links = json!({
            "csv": link(&form, &select, &tables_text, MAX_ROWS, 0, Some("csv")),
            "json": link(&form, &select, &tables_text, MAX_ROWS, 0, Some("json")),
            "previous": (offset > 0).then(|| link(&form, &select, &tables_text, limit, offset.saturating_sub(limit), None)),
            "next": rows.as_ref().filter(|r| r.len() as u64 == limit && offset + limit < MAX_ROWS)
                .map(|_| link(&form, &select, &tables_text, limit, offset + limit, None)),
        });
        page_of.render(
            "query.html",
            context! {
                form => shown.clone(), error, columns, rows, key_column, offset, links,
                tables => tables(app), max_rows => MAX_ROWS,
            },
        )
    };
    if !asked {
        return page(None, Vec::new(), None, None);
    }
    let download = form.format.as_deref();
    let (limit, offset) = if download.is_some() {
        (MAX_ROWS, 0)
    } else {
        (limit, offset)
    };
    let query = UserQuery {
        select: select.clone(),
        tables: tables_text.clone(),
        conditions: form.conditions.clone().unwrap_or_default(),
        limit: Some(limit),
        offset: (offset > 0).then_some(offset),
        ..UserQuery::default()
    };
    // An anonymous visitor's queries are counted by address, as the demo account's calls.
    if let (None, Some(address)) = (&page_of.visitor.user, address) {
        if let Err(wait) = app.throttle_anonymous(address) {
            let message = format!(
                "Anonymous visitors may run {} queries an hour from one address: try again in \
                 {wait} s, or log in.",
                app.limits.calls(lasair_service::users::ApiClass::Demo)
            );
            let error = json!({"field": "the query", "message": message});
            let mut r = page(Some(error), Vec::new(), None, None)?;
            *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            return Ok(r);
        }
    }
    // A logged-in user's query may name their own private watchlists and watchmaps.
    let user_id = page_of.visitor.user.as_ref().map_or(ANONYMOUS, |u| u.id);
    let (columns, rows) = match crate::api::search::run_query(app, &query, MAX_ROWS, user_id) {
        Ok(found) => found,
        Err(ApiError::Error(message)) => {
            let error = json!({"field": field_of(&message), "message": message});
            let mut r = page(Some(error), Vec::new(), None, None)?;
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            return Ok(r);
        }
        Err(e) => return Err(e),
    };
    let rows: Vec<Vec<Json>> = rows
        .iter()
        .map(|r| r.iter().map(json_of).collect())
        .collect();
    match download {
        None => {
            let key_column = columns.iter().position(|c| c == catalog.key);
            page(None, columns, Some(rows), key_column)
        }
        Some(format) => super::table_file(format, "query", &columns, &rows),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn an_error_names_its_field() {
        assert_eq!(
            field_of("the query: SELECT clause: unknown column x"),
            "SELECT"
        );
        assert_eq!(field_of("the query: table list: unknown table y"), "FROM");
        assert_eq!(
            field_of("the query: WHERE clause at byte 3: function sleep is not allowed"),
            "WHERE"
        );
        assert_eq!(field_of("timed out"), "the query");
    }
}

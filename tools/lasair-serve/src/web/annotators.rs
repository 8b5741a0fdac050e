//! Annotators on the web: the list (mine and the public ones) and an annotator's page (what
//! it is, how a query names it, the objects it annotated, newest first, as a table to
//! download). A private annotator is its owner's only: anyone else is told it does not exist.
//! Staff register annotators and switch them on and off (`/admin/`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lasair_service::annotations::{Annotation, Annotator};
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{blocking, Format, Page};
use crate::reply::ApiError;
use crate::state::App;

/// Annotations a page shows; the download holds them all.
const MAX_SHOWN: u64 = 1000;

fn summary(a: &Annotator) -> Json {
    let url = super::web_link(&a.url);
    json!({
        "topic": a.topic, "description": a.description, "url": url,
        "active": a.active, "public": a.public,
    })
}

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| {
        let all = Annotator::list(&mut *page.app.db.get()?)?;
        let me = page.visitor.user.as_ref().map(|u| u.id);
        let mine: Vec<Json> = all
            .iter()
            .filter(|a| Some(a.user_id) == me)
            .map(summary)
            .collect();
        let public: Vec<Json> = all.iter().filter(|a| a.public).map(summary).collect();
        page.render("annotators.html", context! { mine, public })
    })
    .await
}

/// Annotator `topic` when the visitor may see it: public, or theirs.
fn visible(page: &Page, topic: &str) -> Result<Annotator, ApiError> {
    Annotator::get(&mut *page.app.db.get()?, topic)?
        .filter(|a| a.public || page.visitor.owns(a.user_id))
        .ok_or_else(ApiError::not_found)
}

fn row(a: &Annotation) -> Vec<Json> {
    vec![
        json!(a.object),
        json!(a.classification),
        json!(a.version),
        json!(a.explanation),
        json!(a.classdict),
        json!(a.url),
        json!(a.timestamp),
    ]
}

const COLUMNS: [&str; 7] = [
    "object",
    "classification",
    "version",
    "explanation",
    "classdict",
    "url",
    "timestamp",
];

pub async fn detail(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let a = visible(page, &topic)?;
        let mut db = page.app.db.get()?;
        let count = Annotation::count_of_topic(&mut db, &a.topic)?;
        let shown: Vec<Json> = Annotation::of_topic(&mut db, &a.topic, Some(MAX_SHOWN))?
            .iter()
            .map(|x| Json::Object(COLUMNS.iter().map(|c| (*c).to_owned()).zip(row(x)).collect()))
            .collect();
        drop(db);
        let mine = page.visitor.owns(a.user_id);
        page.render(
            "annotator.html",
            context! { a => summary(&a), count, annotations => shown, mine, max_shown => MAX_SHOWN },
        )
    })
    .await
}

pub async fn download(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    Query(f): Query<Format>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let a = visible(page, &topic)?;
        let rows: Vec<Vec<Json>> = Annotation::of_topic(&mut *page.app.db.get()?, &a.topic, None)?
            .iter()
            .map(row)
            .collect();
        let columns = COLUMNS.map(str::to_owned);
        // The topic is a checked name (A-Z a-z 0-9 _ . -), safe in a file name.
        super::table_file(
            f.name(),
            &format!("annotations_{}", a.topic),
            &columns,
            &rows,
        )
    })
    .await
}

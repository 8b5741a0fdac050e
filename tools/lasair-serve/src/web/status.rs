//! The status page: a night's figures (what the filter took, made and stored, where its time
//! went; the night's totals lasair-sync stats recorded), the filter's last batch, and the
//! nights before and after. `/status/` is tonight (UTC), `/status/YYYY-MM-DD/` any night.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use serde_json::json;

use super::{blocking, Page};
use crate::reply::ApiError;
use crate::state::App;
use axum::http::HeaderMap;

/// What the night's figures are called on the page, in the page's order; others follow by name.
const NAMES: &[(&str, &str)] = &[
    ("filter_alerts", "alerts through the filter"),
    ("filter_objects", "objects written to the main database"),
    ("filter_results", "results of users' filters"),
    ("filter_batches", "filter batches"),
    ("objects_updated", "objects updated (lasair-sync stats)"),
    ("objects", "objects in all"),
    ("tns_names", "TNS names"),
    ("annotations", "annotations"),
    ("filters_active", "active filters"),
    ("watchlists_active", "active watchlists"),
    ("watchmaps_active", "active watchmaps"),
    ("users", "users"),
];

pub async fn tonight(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let today = lasair_alert::time::utc_string(lasair_alert::time::mjd_now());
    blocking(app, &headers, move |page| status(page, &today[..10])).await
}

pub async fn night(
    State(app): State<Arc<App>>,
    Path(date): Path<String>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| status(page, &date)).await
}

fn status(page: &Page, date: &str) -> Result<Response, ApiError> {
    let app = page.app;
    let mjd = lasair_alert::time::mjd_of_utc(date)
        .filter(|_| date.len() == 10)
        .ok_or_else(|| ApiError::error(format!("night {date:?}: give it as YYYY-MM-DD")))?;
    let now = lasair_alert::time::mjd_now();
    let day = |mjd: f64| lasair_alert::time::utc_string(mjd)[..10].to_owned();
    let mut db = app.db.get()?;
    let recorded = lasair_service::statistics::of_night(&mut db, date)?;
    let value = |name: &str| recorded.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let mut figures = Vec::new();
    for (key, name) in NAMES {
        if let Some(v) = value(key) {
            figures.push(json!({"key": key, "name": name, "value": v.round() as i64}));
        }
    }
    let mut stages = Vec::new();
    let batches = value("filter_batches").unwrap_or(0.0);
    for (key, v) in &recorded {
        if let Some(step) = key
            .strip_prefix("filter_")
            .and_then(|k| k.strip_suffix("_s"))
        {
            let per_batch = if batches > 0.0 {
                format!("{:.1}", v / batches * 1e3)
            } else {
                String::new()
            };
            stages.push(json!({"name": step.replace('_', " "), "seconds": format!("{v:.1}"), "per_batch": per_batch}));
        } else if !NAMES.iter().any(|(k, _)| k == key) {
            figures.push(json!({"key": key, "name": key, "value": v}));
        }
    }
    let all = lasair_service::statistics::all(&mut db)?;
    let last: Vec<_> = all
        .iter()
        .filter_map(|s| {
            let name = s.name.strip_prefix("filter.")?;
            Some(json!({"name": name.replace('_', " "), "value": s.value}))
        })
        .collect();
    let last_updated = all
        .iter()
        .find(|s| s.name.starts_with("filter."))
        .map(|s| s.updated.clone());
    let ctx = context! {
        date,
        mjd => format!("{mjd:.0}"),
        ago => ((now - mjd).floor() as i64 > 0).then(|| (now - mjd).floor() as i64),
        previous => day(mjd - 1.0 + 0.5),
        next => (mjd + 1.0 <= now).then(|| day(mjd + 1.5)),
        figures, stages, last, last_updated,
    };
    page.render("status.html", ctx)
}

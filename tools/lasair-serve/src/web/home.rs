//! The home page: tonight's figures, objects by Sherlock's class, and the most recently
//! updated objects on the sky.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use lasair_db::Select;
use minijinja::Value;
use serde_json::json;

use super::{blocking, fixed, Page};
use crate::reply::ApiError;
use crate::state::App;
use axum::http::HeaderMap;

/// Sherlock's classes, in the order Lasair lists them.
const CLASSES: [&str; 8] = ["SN", "NT", "AGN", "CV", "VS", "BS", "ORPHAN", "UNCLEAR"];

/// The recent objects drawn on the sky.
const RECENT: u64 = 300;

/// What the figures are called on the page.
const FIGURES: &[(&str, &str)] = &[
    ("objects_updated", "objects updated tonight (UTC)"),
    ("objects", "objects in all"),
    ("tns_names", "TNS names known"),
    ("annotations", "annotations"),
    ("filters_active", "active filters"),
    ("watchlists_active", "active watchlists"),
    ("watchmaps_active", "active watchmaps"),
    ("users", "users"),
];

pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, home).await
}

/// How long the home page's figures are shown before they are read again (Lasair's front
/// page keeps its query for 30 minutes).
const STALE: Duration = Duration::from_secs(60);

fn home(page: &Page) -> Result<Response, ApiError> {
    let cached = {
        let home = page.app.home.lock().unwrap_or_else(PoisonError::into_inner);
        home.as_ref()
            .filter(|(made, _)| made.elapsed() < STALE)
            .map(|(_, shown)| Arc::clone(shown))
    };
    let shown = match cached {
        Some(shown) => shown,
        None => {
            let shown = Arc::new(read(page.app)?);
            *page.app.home.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((Instant::now(), Arc::clone(&shown)));
            shown
        }
    };
    page.render("home.html", Value::from_serialize(&*shown))
}

/// The home page's figures, classes and recent objects, read from the database.
fn read(app: &App) -> Result<serde_json::Value, ApiError> {
    let mut db = app.db.get()?;
    let catalog = db.catalog();
    let today = lasair_alert::time::utc_string(lasair_alert::time::mjd_now());
    let figures: Vec<_> = lasair_service::statistics::figures(&mut db, &today[..10])?
        .into_iter()
        .map(|(key, value)| {
            let name = FIGURES.iter().find(|(k, _)| *k == key).map_or(key, |f| f.1);
            json!({"key": key, "name": name, "value": value as u64})
        })
        .collect();
    let mut classes = Vec::new();
    for class in CLASSES {
        let select = Select::from("sherlock_classifications")
            .eq("classification", class)
            .count();
        let n = db.select(&select)?.rows.first().and_then(|r| r[0].as_f64());
        classes.push(json!({"name": class, "count": n.unwrap_or(0.0) as u64}));
    }
    let (ra_col, dec_col) = catalog.position;
    let recent_rows = db.select(
        &Select::from("objects")
            .columns(&[catalog.key, ra_col, dec_col, catalog.latest])
            .order_by_desc(catalog.latest)
            .limit(RECENT),
    )?;
    let mut recent = Vec::new();
    for row in &recent_rows.rows {
        let key = row[0].clone();
        let class = db
            .select(
                &Select::from("sherlock_classifications")
                    .columns(&["classification"])
                    .eq(catalog.key, key.clone()),
            )?
            .rows
            .first()
            .and_then(|r| r[0].as_str().map(str::to_owned));
        let (ra, dec) = (row[1].as_f64(), row[2].as_f64());
        let latest = row[3].as_f64().map(|v| {
            let mjd = if catalog.latest.starts_with("jd") {
                v - 2_400_000.5
            } else {
                v
            };
            lasair_alert::time::utc_string(mjd)
        });
        let id = match &key {
            lasair_db::Value::Int(n) => n.to_string(),
            other => other.as_str().unwrap_or_default().to_owned(),
        };
        recent.push(json!({
            "id": id, "ra": ra, "dec": dec, "class": class,
            "ra_text": fixed(ra, 5), "dec_text": fixed(dec, 5), "latest": latest,
        }));
    }
    Ok(json!({ "figures": figures, "classes": classes, "recent": recent }))
}

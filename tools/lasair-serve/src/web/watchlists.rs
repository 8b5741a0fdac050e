//! Watchlists on the web: the list (mine and the public ones), making one from pasted or
//! uploaded cones (each line's errors named, the objects already known matched at once), a
//! watchlist's page (its hits, its cones and hits as CSV), deleting one's own. A private
//! watchlist is its owner's only: anyone else is told it does not exist.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lasair_db::Select;
use lasair_service::watch::{NewEntry, Watchlist, DEFAULT_RADIUS};
use lasair_service::Record;
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{answers, blocking, check_csrf, see_other, visible, Answers, Format, Page};
use crate::reply::ApiError;
use crate::state::App;

/// The largest default radius taken, arcsec (Lasair's form's cap).
const MAX_RADIUS: f64 = 360.0;

/// Hits a page shows (Lasair shows a watchmap's first 1,000); the CSV holds them all.
const MAX_HITS: u64 = 1000;

fn summary(db: &mut lasair_db::Db, w: &Watchlist) -> Result<Json, ApiError> {
    Ok(json!({
        "id": w.id, "name": w.name, "description": w.description, "radius": w.radius,
        "public": w.public, "active": w.active, "created": w.date_created,
        "modified": w.date_modified,
        "expires": w.active.then(|| lasair_service::expiry::expires(&w.date_modified)).flatten(),
        "cones": Watchlist::cone_count(db, w.id)?,
    }))
}

/// The list page, with the form refilled and an error when a new list was refused.
fn list_page(page: &Page, form: &Answers, error: Option<String>) -> Result<Response, ApiError> {
    let mut db = page.app.db.get()?;
    let all = Watchlist::list(&mut db)?;
    let me = page.visitor.user.as_ref().map(|u| u.id);
    let mut mine = Vec::new();
    let mut public = Vec::new();
    for w in all.iter().filter(|w| w.user_id >= 0) {
        if Some(w.user_id) == me {
            mine.push(summary(&mut db, w)?);
        }
        if w.public {
            public.push(summary(&mut db, w)?);
        }
    }
    drop(db);
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let shown = json!({
        "name": field("name"), "description": field("description"), "cones": field("cones"),
        "radius": form.get("radius").cloned().unwrap_or_else(|| DEFAULT_RADIUS.to_string()),
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut r = page.render(
        "watchlists.html",
        context! { mine, public, error, form => shown },
    )?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| list_page(page, &Answers::new(), None)).await
}

pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let Some(user) = page.visitor.user.clone() else {
            return Ok(see_other("/accounts/login/?next=/watchlists/"));
        };
        let field = |k: &str| form.get(k).map_or("", |v| v.trim());
        let (name, description) = match super::named(&form) {
            Ok(named) => named,
            Err(why) => return list_page(page, &form, Some(why)),
        };
        let radius = match field("radius") {
            "" => DEFAULT_RADIUS,
            r => match r.parse::<f64>() {
                Ok(r) if r > 0.0 && r <= MAX_RADIUS => r,
                _ => {
                    return list_page(
                        page,
                        &form,
                        Some(format!(
                            "The default radius {r:?} is not between 0 and {MAX_RADIUS} arcsec."
                        )),
                    )
                }
            },
        };
        let (cones, report) = lasair_sky::cones::parse_cones(field("cones"), "the cones");
        if !report.is_clean() || cones.is_empty() {
            // Every refused line named, so the file can be fixed at once.
            let mut message = report.to_string();
            if cones.is_empty() && report.is_clean() {
                message = "No cones: give one a line, RA, Dec, name[, radius].".into();
            }
            return list_page(page, &form, Some(message));
        }
        let entry = NewEntry {
            user_id: user.id,
            name,
            description,
            public: field("public") == "1",
        };
        let mut db = page.app.db.get()?;
        let list = Watchlist::create(&mut db, &entry, radius, &cones)?;
        if cones.len() <= Watchlist::MAX_CROSSMATCH {
            Watchlist::crossmatch_known(&mut db, list.id)?;
        }
        Ok(see_other(&format!("/watchlists/{}/", list.id)))
    })
    .await
}

/// Its hits, at most `limit`: object, cone name, separation.
fn hits(app: &App, id: i64, limit: Option<u64>) -> Result<Vec<Vec<Json>>, ApiError> {
    let key = lasair_service::catalog(app.survey).key;
    let select = Select::from("watchlist_hits")
        .columns(&[key, "name", "arcsec"])
        .eq("wl_id", id)
        .order_by("arcsec");
    super::json_rows(app, select, limit)
}

pub async fn detail(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let w: Watchlist = visible(page, id)?;
        let shown = summary(&mut *page.app.db.get()?, &w)?;
        let hits: Vec<Json> = hits(page.app, id, Some(MAX_HITS))?
            .into_iter()
            .map(|r| json!({"object": r[0], "name": r[1], "arcsec": r[2]}))
            .collect();
        let mine = page.visitor.owns(w.user_id);
        page.render(
            "watchlist.html",
            context! { w => shown, hits, mine, max_hits => MAX_HITS },
        )
    })
    .await
}

pub async fn cones_file(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(f): Query<Format>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let w: Watchlist = visible(page, id)?;
        let cones = Watchlist::cones(&mut *page.app.db.get()?, w.id)?;
        let rows: Vec<Vec<Json>> = cones
            .iter()
            .map(|c| {
                vec![
                    json!(c.cone.ra),
                    json!(c.cone.dec),
                    json!(c.cone.name),
                    json!(c.cone.radius_arcsec),
                ]
            })
            .collect();
        let columns = ["ra", "dec", "name", "radius"].map(str::to_owned);
        super::table_file(f.name(), &format!("watchlist_{id}_cones"), &columns, &rows)
    })
    .await
}

pub async fn hits_file(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(f): Query<Format>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let _: Watchlist = visible(page, id)?;
        let key = lasair_service::catalog(page.app.survey).key;
        let columns = [key, "name", "arcsec"].map(str::to_owned);
        let rows = hits(page.app, id, None)?;
        super::table_file(f.name(), &format!("watchlist_{id}_hits"), &columns, &rows)
    })
    .await
}

//! Watchmaps on the web: the list (mine and the public ones), making one by uploading a MOC
//! file (FITS, ASCII or JSON; refused with the reason when it is not a sky area), a watchmap's
//! page (its area drawn on the sky, its size, its hits, its MOC to download), deleting one's
//! own. A private watchmap is its owner's only: anyone else is told it does not exist.

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lasair_db::Select;
use lasair_service::watch::{NewEntry, Watchmap};
use lasair_service::Record;
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{blocking, check_csrf, see_other, visible, Answers, Format, Page};
use crate::reply::ApiError;
use crate::state::App;

/// The largest MOC file taken (a gravitational-wave map's 90% region at order 12 is a few
/// hundred KB; Lasair's own form has no bound).
pub const MAX_MOC_BYTES: usize = 16 << 20;

/// Hits a page shows (Lasair's cap); the CSV holds them all.
const MAX_HITS: u64 = 1000;

/// The whole sky in square degrees.
const SKY_DEG2: f64 = 41_252.96;

/// The width of the sky picture on a watchmap's page, pixels.
const PREVIEW_WIDTH: usize = 720;

fn summary(app: &App, w: &Watchmap) -> Json {
    let size = app.watchmap_size(w);
    json!({
        "id": w.id, "name": w.name, "description": w.description, "public": w.public,
        "active": w.active, "created": w.date_created,
        "modified": w.date_modified,
        "expires": w.active.then(|| lasair_service::expiry::expires(&w.date_modified)).flatten(),
        "deg2": size.map(|(fraction, _)| format!("{:.2}", fraction * SKY_DEG2)),
        "order": size.map(|(_, order)| order),
    })
}

/// The list page, with the form refilled and an error when a new map was refused.
fn list_page(page: &Page, form: &Answers, error: Option<String>) -> Result<Response, ApiError> {
    let all = Watchmap::list(&mut *page.app.db.get()?)?;
    let me = page.visitor.user.as_ref().map(|u| u.id);
    let mine: Vec<Json> = all
        .iter()
        .filter(|w| Some(w.user_id) == me)
        .map(|w| summary(page.app, w))
        .collect();
    let public: Vec<Json> = all
        .iter()
        .filter(|w| w.public)
        .map(|w| summary(page.app, w))
        .collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let shown = json!({"name": field("name"), "description": field("description")});
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut r = page.render(
        "watchmaps.html",
        context! { mine, public, error, form => shown, max_mb => MAX_MOC_BYTES >> 20 },
    )?;
    *r.status_mut() = status;
    Ok(r)
}

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| list_page(page, &Answers::new(), None)).await
}

/// The form's text fields, and its file's name and bytes.
struct Upload {
    fields: Answers,
    file: Option<(String, Vec<u8>)>,
}

/// Reads the multipart form, refusing a file larger than [`MAX_MOC_BYTES`].
async fn read_upload(mut form: Multipart) -> Result<Upload, ApiError> {
    let mut upload = Upload {
        fields: Answers::new(),
        file: None,
    };
    let refused = |e: axum::extract::multipart::MultipartError| {
        ApiError::error(format!(
            "The form could not be read ({e}); a MOC file is at most {} MB.",
            MAX_MOC_BYTES >> 20
        ))
    };
    while let Some(mut field) = form.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "moc" {
            let file_name = field.file_name().unwrap_or("the uploaded file").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(refused)? {
                if bytes.len() + chunk.len() > MAX_MOC_BYTES {
                    return Err(ApiError::error(format!(
                        "{file_name}: larger than {} MB, the most a watchmap's MOC may be.",
                        MAX_MOC_BYTES >> 20
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            upload.file = Some((file_name, bytes));
        } else if name.len() <= 32 {
            let text = field.text().await.map_err(refused)?;
            upload
                .fields
                .insert(name, text.chars().take(8192).collect());
        }
    }
    Ok(upload)
}

pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, form: Multipart) -> Response {
    let upload = read_upload(form).await;
    blocking(app, &headers, move |page| {
        let upload = upload?;
        let form = upload.fields;
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let Some(user) = page.visitor.user.clone() else {
            return Ok(see_other("/accounts/login/?next=/watchmaps/"));
        };
        let field = |k: &str| form.get(k).map_or("", |v| v.trim());
        let (name, description) = match super::named(&form) {
            Ok(named) => named,
            Err(why) => return list_page(page, &form, Some(why)),
        };
        let Some((file_name, bytes)) = upload.file.filter(|(_, b)| !b.is_empty()) else {
            return list_page(page, &form, Some("Choose a MOC file to upload.".into()));
        };
        let entry = NewEntry {
            user_id: user.id,
            name,
            description,
            public: field("public") == "1",
        };
        // The file's own name is shown back in the error, never used as a path.
        match Watchmap::create(&mut *page.app.db.get()?, &entry, &bytes, &file_name) {
            Ok((map, _)) => Ok(see_other(&format!("/watchmaps/{}/", map.id))),
            Err(e @ lasair_service::ServiceError::Invalid { .. }) => {
                list_page(page, &form, Some(e.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// Its hits, at most `limit`.
fn hits(app: &App, id: i64, limit: Option<u64>) -> Result<Vec<Vec<Json>>, ApiError> {
    let key = lasair_service::catalog(app.survey).key;
    let select = Select::from("area_hits")
        .columns(&[key])
        .eq("ar_id", id)
        .order_by(key);
    super::json_rows(app, select, limit)
}

pub async fn detail(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let w: Watchmap = visible(page, id)?;
        let hits: Vec<Json> = hits(page.app, id, Some(MAX_HITS))?
            .into_iter()
            .map(|r| r.into_iter().next().unwrap_or_default())
            .collect();
        let mine = page.visitor.owns(w.user_id);
        page.render(
            "watchmap.html",
            context! { w => summary(page.app, &w), hits, mine, max_hits => MAX_HITS },
        )
    })
    .await
}

/// Its area on the whole sky, as a PNG.
pub async fn preview(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let w: Watchmap = visible(page, id)?;
        let png = w
            .area()?
            .preview_png(PREVIEW_WIDTH)
            .map_err(|e| ApiError::Internal(format!("watchmap {id}: drawing it: {e}")))?;
        Ok(super::file(png, "image/png", None))
    })
    .await
}

/// The MOC file as it was uploaded.
pub async fn moc_file(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let w: Watchmap = visible(page, id)?;
        let bytes = lasair_service::watch::decode_moc(&w.moc)
            .map_err(|e| ApiError::Internal(format!("watchmap {id}: {e}")))?;
        let (kind, extension) = match bytes.first() {
            Some(b'S') => ("application/fits", "fits"),
            Some(b'{') => ("application/json", "json"),
            _ => ("text/plain; charset=utf-8", "txt"),
        };
        let name = format!("watchmap_{id}.{extension}");
        Ok(super::file(bytes, kind, Some(&name)))
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
        let _: Watchmap = visible(page, id)?;
        let key = lasair_service::catalog(page.app.survey).key;
        let rows = hits(page.app, id, None)?;
        super::table_file(
            f.name(),
            &format!("watchmap_{id}_hits"),
            &[key.to_owned()],
            &rows,
        )
    })
    .await
}

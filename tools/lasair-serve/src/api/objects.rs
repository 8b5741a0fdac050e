//! Objects: one with its lightcurve and what Lasair adds (`/api/object/`), the older ZTF
//! routes for several, and their cutouts as FITS.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lasair_alert::CutoutKind;
use lasair_service::users::User;
use lasair_store::CutoutKey;
use serde_json::{json, Value as Json};

use crate::object;
use crate::params::Params;
use crate::reply::ApiError;
use crate::state::App;

/// `/api/object/`: the object, with its lightcurve from the lightcurve store; with
/// `lasair_added` (the default) also its features, Sherlock's context, TNS entry,
/// annotations and cutout links. `lite` trims each record to the fields most people use.
pub fn object(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let id = f.text("objectId", 64, false, false);
    let lite = f.boolean("lite", false);
    let added = f.boolean("lasair_added", true);
    f.done()?;
    let (Some(id), Some(lite), Some(added)) = (id, lite, added) else {
        return Err(ApiError::Internal("a checked field went missing".into()));
    };
    object::answer(app, &id, lite, added)
}

/// The most objects one call of the older routes takes.
const MAX_IDS: usize = 100;

/// The `objectIds` of an older route: repeated keys or one comma-separated value.
pub fn ids(p: &Params) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = p
        .all("objectIds")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::Fields(vec![(
            "objectIds".into(),
            "This field is required.".into(),
        )]));
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::error(format!(
            "at most {MAX_IDS} objectIds a call"
        )));
    }
    Ok(ids)
}

/// `/api/objects/` (Lasair-ZTF's older route): each known object of `objectIds`, lite.
pub fn objects(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut found = Vec::new();
    for id in ids(p)? {
        match object::answer(app, &id, true, true) {
            Ok(answer) => found.push(answer),
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Json::Array(found))
}

/// `/api/lightcurves/` (Lasair-ZTF's older route): each object's candidates.
pub fn lightcurves(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut found = Vec::new();
    for id in ids(p)? {
        let answer = object::answer(app, &id, false, false)?;
        found.push(answer.get("candidates").cloned().unwrap_or(json!([])));
    }
    Ok(Json::Array(found))
}

/// `/fits/<objectId>/<sourceId>_cutout<Science|Template|Difference>`: a cutout as stored.
pub async fn fits(
    State(app): State<Arc<App>>,
    Path((object, file)): Path<(String, String)>,
) -> Response {
    let read = tokio::task::spawn_blocking(move || find(&app, &object, &file))
        .await
        .unwrap_or_else(|e| Err(ApiError::Internal(e.to_string())));
    let (name, bytes) = match read {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    // Stored as the alert carried it: gzipped FITS is sent as such, for the client to inflate.
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/fits"));
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.fits\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The cutout of a request, checked: the object key of this survey, an integer source id, one
/// of the three kinds; its name and stored bytes. Nothing of the request becomes a path
/// unchecked.
fn find(app: &App, object: &str, file: &str) -> Result<(String, Vec<u8>), ApiError> {
    let store = app.cutouts.as_ref().ok_or_else(ApiError::not_found)?;
    lasair_service::objects::key(app.db.catalog(), object).map_err(|_| ApiError::not_found())?;
    let (source, kind) = file.split_once("_cutout").ok_or_else(ApiError::not_found)?;
    let source: i64 = source.parse().map_err(|_| ApiError::not_found())?;
    let kind = CutoutKind::ALL
        .into_iter()
        .find(|k| object::cutout_name(*k) == kind)
        .ok_or_else(ApiError::not_found)?;
    let bytes = store
        .read(CutoutKey {
            survey: app.survey,
            object_id: object,
            source_id: source,
            kind,
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        format!("{source}_cutout{kind}", kind = object::cutout_name(kind)),
        bytes,
    ))
}

/// `/fits/<sourceId>_cutout<Type>` as Lasair links it: our cutouts are filed by object, and
/// the answers of `/api/object/` link to `/fits/<objectId>/...`.
pub async fn fits_unplaced(Path(file): Path<String>) -> Response {
    let message = format!(
        "cutouts are served as /fits/<objectId>/{file}: the links in /api/object/ answers give the path"
    );
    ApiError::NotFound(json!({"detail": message})).into_response()
}

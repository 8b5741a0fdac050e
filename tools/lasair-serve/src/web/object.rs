//! An object's page: who and where it is, Sherlock's context, TNS, its whole lightcurve drawn
//! (every point of the lightcurve store), its cutouts, annotations, the detections as a table
//! (CSV and JSON to download), and links to other archives and brokers.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use lasair_alert::{CutoutKind, PointKind, Survey};
use lasair_db::Select;
use lasair_service::watch::{Watchlist, Watchmap};
use lasair_store::{CutoutKey, StoredPoint};
use minijinja::{context, Value};
use serde_json::{json, Value as Json};

use super::{blocking, fixed, Format, Page};
use crate::reply::ApiError;
use crate::state::App;
use axum::http::HeaderMap;

pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| object_page(page, &id)).await
}

pub async fn download(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        lightcurve_file(page.app, &id, format.name())
    })
    .await
}

fn kind_name(kind: PointKind) -> &'static str {
    match kind {
        PointKind::Detection => "detection",
        PointKind::Nondetection => "limit",
        PointKind::Forced => "forced",
    }
}

/// A point as the plot and the downloads take it. ZTF's forced photometry is a difference
/// flux in the image's counts: it is given in nJy through the image's zero point
/// (`magzpsci`), so that it sits with the detections on either scale.
fn point_json(p: &StoredPoint) -> Json {
    let (mut flux, mut flux_err) = (p.flux, p.flux_err);
    if p.kind == PointKind::Forced && p.mag.is_none() {
        let fields: Json = serde_json::from_str(&p.fields).unwrap_or_default();
        if let Some(zp) = fields["magzpsci"].as_f64() {
            let to_njy = 10f64.powf((NJY_ZERO_POINT - zp) / 2.5);
            flux = flux.map(|f| f * to_njy);
            flux_err = flux_err.map(|e| e * to_njy);
        }
    }
    json!({
        "kind": kind_name(p.kind),
        "id": p.id,
        "mjd": p.mjd,
        "utc": lasair_alert::time::utc_string(p.mjd),
        "band": p.band,
        "mag": p.mag.filter(|v| v.is_finite()),
        "mag_err": p.mag_err.filter(|v| v.is_finite()),
        "flux": flux.filter(|v| v.is_finite()),
        "flux_err": flux_err.filter(|v| v.is_finite()),
    })
}

/// The AB magnitude of 1 nJy.
const NJY_ZERO_POINT: f64 = 31.4;

fn object_page(page: &Page, id: &str) -> Result<Response, ApiError> {
    let app = page.app;
    // Lite: the page draws its points from the stored lightcurve, not from the records.
    let (answer, points) = crate::object::answer_with_points(app, id, true, true)?;
    let lsst = app.survey == Survey::Lsst;
    let data = if lsst {
        &answer["lasairData"]
    } else {
        &answer["objectData"]
    };
    let catalog = lasair_service::catalog(app.survey);
    let (ra_col, dec_col) = catalog.position;
    let coordinate = |col: &str, summary: &str| {
        data[col]
            .as_f64()
            .or_else(|| answer["diaObject"][summary].as_f64())
    };
    let (ra, dec) = (coordinate(ra_col, "ra"), coordinate(dec_col, "decl"));
    let number = |k: &str| data[k].as_f64();
    let mut identity = vec![
        (
            "RA, Dec (deg)".to_owned(),
            format!("{}, {}", fixed(ra, 6), fixed(dec, 6)),
        ),
        (
            "RA, Dec".to_owned(),
            format!(
                "{} {}",
                data["rasex"].as_str().unwrap_or_default(),
                data["decsex"].as_str().unwrap_or_default()
            ),
        ),
        (
            "Galactic l, b".to_owned(),
            format!(
                "{}, {}",
                fixed(number("g_lon"), 5),
                fixed(number("g_lat"), 5)
            ),
        ),
        (
            "Ecliptic λ, β".to_owned(),
            format!(
                "{}, {}",
                fixed(number("ec_lon"), 5),
                fixed(number("ec_lat"), 5)
            ),
        ),
    ];
    for (prefix, name, ago) in [
        ("disc", "Discovery", Some("mjdmin_ago")),
        ("latest", "Latest", Some("mjdmax_ago")),
        ("peak", "Peak", None),
    ] {
        let Some(mjd) = data[format!("{prefix}Mjd")].as_f64() else {
            continue;
        };
        let brightness = match &data[format!("{prefix}Mag")] {
            Json::Number(m) => format!("{:.3} mag", m.as_f64().unwrap_or(f64::NAN)),
            Json::String(flux) => format!("{flux} nJy"),
            _ => String::new(),
        };
        let mut text = format!(
            "{} (MJD {mjd:.5}), {brightness} in {}",
            data[format!("{prefix}Utc")].as_str().unwrap_or_default(),
            data[format!("{prefix}Filter")].as_str().unwrap_or_default()
        );
        if let Some(days) = ago.and_then(|k| data[k].as_f64()) {
            text.push_str(&format!(", {days:.1} days ago"));
        }
        identity.push((name.to_owned(), text));
    }
    let detections = points
        .iter()
        .filter(|p| p.kind == PointKind::Detection)
        .count();
    let table: Vec<Json> = points
        .iter()
        .rev()
        .map(|p| {
            let (value, error) = if lsst || p.mag.is_none() {
                (fixed(p.flux, 2), fixed(p.flux_err, 2))
            } else {
                (fixed(p.mag, 3), fixed(p.mag_err, 3))
            };
            json!({
                "mjd": format!("{:.5}", p.mjd),
                "utc": lasair_alert::time::utc_string(p.mjd),
                "band": p.band,
                "kind": kind_name(p.kind),
                "value": value,
                "error": error,
                "id": p.id,
            })
        })
        .collect();
    let urls = if lsst {
        &data["imageUrls"]
    } else {
        &data["image_urls"]
    };
    // Each detection with cutouts (newest first): its id and, per kind, the PNG drawn here and
    // the FITS file.
    let id_field = if lsst { "diaSourceId" } else { "candid" };
    let cutouts: Vec<Json> = urls
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|links| {
            let source = links[id_field].as_i64()?;
            let files: Vec<Json> = ["Science", "Template", "Difference"]
                .iter()
                .filter_map(|name| {
                    Some(json!({
                        "name": name, "fits": links[name].as_str()?,
                        "png": format!("/objects/{id}/cutouts/{source}/{name}/"),
                    }))
                })
                .collect();
            Some(json!({"id": source, "files": files}))
        })
        .collect();
    let hits = sky_hits(page, id)?;
    // An annotation's link is the annotator's to give: shown only when it is a web page.
    let annotations: Vec<Json> = data["annotations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let mut a = a.clone();
            let url = a["url"]
                .as_str()
                .and_then(super::web_link)
                .map(str::to_owned);
            a["url"] = json!(url);
            a
        })
        .collect();
    let ctx = context! {
        id,
        identity,
        hits => Value::from_serialize(&hits),
        sherlock => Value::from_serialize(&data["sherlock"]),
        tns => Value::from_serialize(&data["TNS"]),
        annotations => Value::from_serialize(annotations),
        counts => context! { detections, points => points.len() },
        lightcurve => Value::from_serialize(points.iter().map(point_json).collect::<Vec<_>>()),
        table => Value::from_serialize(&table),
        brightness => if lsst { "flux (nJy)" } else { "magnitude" },
        cutouts => Value::from_serialize(&cutouts),
        links => Value::from_serialize(links(app.survey, id, ra, dec)),
    };
    page.render("object.html", ctx)
}

pub async fn cutout(
    State(app): State<Arc<App>>,
    Path((id, source, kind)): Path<(String, i64, String)>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        cutout_png(page.app, &id, source, &kind)
    })
    .await
}

/// One cutout drawn as PNG (zscale, grey, north up), cached by browsers: a stored cutout
/// never changes.
fn cutout_png(app: &App, id: &str, source: i64, kind: &str) -> Result<Response, ApiError> {
    lasair_service::objects::key(lasair_service::catalog(app.survey), id)?;
    let kind = CutoutKind::ALL
        .into_iter()
        .find(|k| crate::object::cutout_name(*k) == kind)
        .ok_or_else(ApiError::not_found)?;
    let store = app.cutouts.as_ref().ok_or_else(ApiError::not_found)?;
    let png = store
        .png(CutoutKey {
            survey: app.survey,
            object_id: id,
            source_id: source,
            kind,
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(ApiError::not_found)?;
    let mut r = png.into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(r)
}

/// The watchlists, watchmaps and gravitational-wave maps the object is in, those the visitor
/// may see (public, or theirs): kind, name, its page, and how it is in it.
fn sky_hits(page: &Page, id: &str) -> Result<Vec<Json>, ApiError> {
    let catalog = lasair_service::catalog(page.app.survey);
    let key = lasair_service::objects::key(catalog, id)?;
    let of = |table, columns| {
        Select::from(table)
            .columns(columns)
            .eq(catalog.key, key.clone())
    };
    let mut hits = Vec::new();
    let watchlists = super::json_rows(
        page.app,
        of("watchlist_hits", &["wl_id", "name", "arcsec"]),
        Some(100),
    )?;
    for row in watchlists {
        let Some(wl) = row[0].as_i64() else { continue };
        let Ok(w) = super::visible::<Watchlist>(page, wl) else {
            continue;
        };
        let arcsec = row[2]
            .as_f64()
            .map_or_else(String::new, |a| format!(" at {a:.2}\""));
        hits.push(json!({
            "kind": "watchlist", "name": w.name, "url": format!("/watchlists/{wl}/"),
            "detail": format!("cone {}{arcsec}", row[1].as_str().unwrap_or_default()),
        }));
    }
    for row in super::json_rows(page.app, of("area_hits", &["ar_id"]), Some(100))? {
        let Some(ar) = row[0].as_i64() else { continue };
        let Ok(w) = super::visible::<Watchmap>(page, ar) else {
            continue;
        };
        hits.push(json!({
            "kind": "watchmap", "name": w.name, "url": format!("/watchmaps/{ar}/"), "detail": "",
        }));
    }
    let maps = super::json_rows(
        page.app,
        of("mma_area_hits", &["mw_id", "contour"]),
        Some(100),
    )?;
    for row in maps {
        let Some(mw) = row[0].as_i64() else { continue };
        let names = Select::from("mma_areas")
            .columns(&["otherId", "version"])
            .eq("mw_id", mw);
        let Some(name) = super::json_rows(page.app, names, Some(1))?.pop() else {
            continue;
        };
        let contour = row[1]
            .as_f64()
            .map_or_else(String::new, |c| format!("in its {c:.0}% region"));
        hits.push(json!({
            "kind": "gravitational-wave map",
            "name": format!("{} {}", name[0].as_str().unwrap_or_default(), name[1].as_str().unwrap_or_default()),
            "url": null, "detail": contour,
        }));
    }
    Ok(hits)
}

/// Other archives and brokers at the object (its id has passed the survey's check, so it is
/// letters, digits and `_` only).
fn links(survey: Survey, id: &str, ra: Option<f64>, dec: Option<f64>) -> Vec<Json> {
    let mut links = Vec::new();
    if let (Some(ra), Some(dec)) = (ra, dec) {
        let (r, d) = (format!("{ra:.6}"), format!("{dec:+.6}").replace('+', "%2B"));
        links.extend([
            json!({"name": "NED", "url": format!("https://ned.ipac.caltech.edu/conesearch?search_type=Near%20Position%20Search&in_csys=Equatorial&in_equinox=J2000&ra={r}&dec={d}&radius=0.17")}),
            json!({"name": "SIMBAD", "url": format!("https://simbad.cds.unistra.fr/simbad/sim-coo?Coord={r}%20{d}&Radius=10&Radius.unit=arcsec")}),
            json!({"name": "TNS", "url": format!("https://www.wis-tns.org/search?ra={r}&decl={d}&radius=10&coords_unit=arcsec")}),
            json!({"name": "Legacy Survey", "url": format!("https://www.legacysurvey.org/viewer?ra={r}&dec={d}&layer=ls-dr10&zoom=16&mark={r},{d}")}),
        ]);
    }
    match survey {
        Survey::Ztf => links.extend([
            json!({"name": "ALeRCE", "url": format!("https://alerce.online/object/{id}")}),
            json!({"name": "Fink", "url": format!("https://fink-portal.org/{id}")}),
            json!({"name": "Lasair-ZTF", "url": format!("https://lasair-ztf.lsst.ac.uk/objects/{id}/")}),
        ]),
        Survey::Lsst => links.extend([
            json!({"name": "Fink", "url": format!("https://lsst.fink-portal.org/{id}")}),
            json!({"name": "Lasair-LSST", "url": format!("https://lasair.lsst.ac.uk/objects/{id}/")}),
        ]),
    }
    links
}

/// The whole stored lightcurve as CSV or JSON, named after the object.
fn lightcurve_file(app: &App, id: &str, format: &str) -> Result<Response, ApiError> {
    const COLUMNS: [&str; 9] = [
        "kind", "id", "mjd", "utc", "band", "mag", "mag_err", "flux", "flux_err",
    ];
    let catalog = lasair_service::catalog(app.survey);
    lasair_service::objects::key(catalog, id)?;
    let points = crate::object::points(app, id)?;
    if points.is_empty() {
        return Err(ApiError::not_found());
    }
    let rows: Vec<Vec<Json>> = points
        .iter()
        .map(|p| {
            let point = point_json(p);
            COLUMNS.iter().map(|c| point[c].clone()).collect()
        })
        .collect();
    let columns = COLUMNS.map(str::to_owned);
    super::table_file(format, &format!("{id}_lightcurve"), &columns, &rows)
}

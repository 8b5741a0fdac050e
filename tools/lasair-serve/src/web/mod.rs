//! The web pages astronomers use, beside the API: rendered on the server from the templates
//! of `web/templates` (minijinja, Jinja2's syntax, built into the binary and auto-escaped),
//! with a little JavaScript of our own (`web/static`) and the browser libraries npm installs
//! (`web/node_modules`, served from `--web-assets`). Every page is a GET and linkable.
//!
//! Pages: `/` (home), `/objects/ID/` (an object), `/objects/ID/lightcurve/?format=csv|json`
//! (its lightcurve to download), `/search/?q=...`.

mod home;
mod object;
mod search;

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lasair_alert::Survey;
use minijinja::{context, Environment, Value};

use crate::reply::ApiError;
use crate::state::App;

/// The templates, parsed once; a template that does not parse is a bug a test catches.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in [
        (
            "base.html",
            include_str!("../../../../web/templates/base.html"),
        ),
        (
            "error.html",
            include_str!("../../../../web/templates/error.html"),
        ),
        (
            "home.html",
            include_str!("../../../../web/templates/home.html"),
        ),
        (
            "object.html",
            include_str!("../../../../web/templates/object.html"),
        ),
        (
            "search.html",
            include_str!("../../../../web/templates/search.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, text) {
            eprintln!("{}: template {name}: {e:#}", crate::TOOL);
        }
    }
    env
});

/// Our own scripts and styles, built in.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "lasair.css",
        "text/css; charset=utf-8",
        include_str!("../../../../web/static/lasair.css"),
    ),
    (
        "lightcurve.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/static/lightcurve.js"),
    ),
    (
        "skymap.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/static/skymap.js"),
    ),
];

/// The browser libraries, as npm installs them under `--web-assets` (a fixed list: no part of
/// a request becomes a path).
const VENDOR: &[(&str, &str)] = &[("plotly.min.js", "plotly.js-dist-min/plotly.min.js")];

/// The pages' routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home::page))
        .route("/objects/{id}/", get(object::page))
        .route("/objects/{id}/lightcurve/", get(object::download))
        .route("/search/", get(search::page))
        .route("/static/{file}", get(asset))
        .route("/static/vendor/{file}", get(vendor))
}

/// Renders template `name` with `ctx` (plus the survey every page shows).
fn render(survey: Survey, name: &str, ctx: Value) -> Result<Response, ApiError> {
    let html = TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(context! { survey => survey.to_string().to_uppercase(), ..ctx }))
        .map_err(|e| ApiError::Internal(format!("rendering {name}: {e:#}")))?;
    Ok(Html(html).into_response())
}

/// The error page for `e`, with its status.
fn error_page(survey: Survey, e: ApiError) -> Response {
    let (status, message) = e.status_and_text();
    let ctx = context! { status => status.as_u16(), message };
    match render(survey, "error.html", ctx) {
        Ok(mut page) => {
            *page.status_mut() = status;
            page
        }
        Err(_) => (status, message).into_response(),
    }
}

/// Runs `f` (database reads, the lightcurve store) on the blocking pool when `app` lets
/// another answer start, as the API's calls do, and renders its page or error.
async fn blocking<F>(app: Arc<App>, f: F) -> Response
where
    F: FnOnce(&App) -> Result<Response, ApiError> + Send + 'static,
{
    let survey = app.survey;
    let Ok(turn) = Arc::clone(&app.answering).acquire_owned().await else {
        return error_page(survey, ApiError::Internal("the server is stopping".into()));
    };
    let done = tokio::task::spawn_blocking(move || {
        let page = f(&app);
        drop(turn);
        page
    })
    .await;
    match done {
        Ok(Ok(page)) => page,
        Ok(Err(e)) => error_page(survey, e),
        Err(e) => error_page(
            survey,
            ApiError::Internal(format!("a page's work failed: {e}")),
        ),
    }
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        Some((_, kind, text)) => cached(kind, (*text).to_owned().into_bytes()),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn vendor(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    let Some((_, path)) = VENDOR.iter().find(|(name, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let Some(dir) = &app.web_assets else {
        return (
            StatusCode::NOT_FOUND,
            "the browser libraries are not installed (--web-assets)",
        )
            .into_response();
    };
    let file = dir.join(path);
    let read = tokio::task::spawn_blocking({
        let file = file.clone();
        move || std::fs::read(file)
    })
    .await;
    match read {
        Ok(Ok(bytes)) => cached("text/javascript; charset=utf-8", bytes),
        Ok(Err(e)) => {
            eprintln!(
                "{}: {}: {e} (run npm ci in web/)",
                crate::TOOL,
                file.display()
            );
            (StatusCode::NOT_FOUND, "the browser library is missing").into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A static file, cached by browsers for a day.
fn cached(kind: &'static str, bytes: Vec<u8>) -> Response {
    let mut r = bytes.into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

/// A number as a page shows it, or an empty cell.
fn fixed(v: Option<f64>, decimals: usize) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in [
            "base.html",
            "error.html",
            "home.html",
            "object.html",
            "search.html",
        ] {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn what_a_page_shows_is_escaped() {
        let page = render(
            Survey::Ztf,
            "error.html",
            context! { status => 400, message => "<script>alert(1)</script>" },
        )
        .expect("renders");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let body = rt
            .block_on(axum::body::to_bytes(page.into_body(), 1 << 20))
            .expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>alert(1)"), "{html}");
    }
}

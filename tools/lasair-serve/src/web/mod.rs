//! The web pages astronomers use, beside the API: rendered on the server from the templates
//! of `web/templates` (minijinja, Jinja2's syntax, built into the binary and auto-escaped),
//! with a little JavaScript of our own (`web/static`) and the browser libraries npm installs
//! (`web/node_modules`, served from `--web-assets`). Every page is a GET and linkable.
//!
//! Pages: `/` (home), `/objects/ID/` (an object), `/objects/ID/lightcurve/?format=csv|json`
//! (its lightcurve to download), `/search/?q=...`, `/query/` (the query builder, its rows
//! as CSV or JSON with `format=`), `/schema/`, `/status/` (tonight) and `/status/YYYY-MM-DD/`;
//! accounts (`/accounts/...`); users' filters, watchlists and watchmaps (`/filters/`,
//! `/watchlists/`, `/watchmaps/`, each with its own page per resource); annotators
//! (`/annotators/`), the staff's gallery of resources (`/resources/`) and the staff's own page
//! (`/admin/`).

mod accounts;
mod admin;
mod annotators;
mod filters;
mod home;
mod object;
mod query;
mod resources;
mod search;
mod status;
mod watchlists;
mod watchmaps;

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use lasair_alert::Survey;
use lasair_service::filter::Filter;
use lasair_service::watch::{Watchlist, Watchmap};
use lasair_service::{Record, Shared};
use minijinja::{context, Environment, Value};

use crate::reply::ApiError;
use crate::state::App;

/// The template files, built into the binary.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../../web/templates/", $name)))),*]
    };
}
const TEMPLATE_FILES: [(&str, &str); 22] = templates!(
    "admin.html",
    "annotator.html",
    "annotators.html",
    "base.html",
    "error.html",
    "filter.html",
    "filter_form.html",
    "filters.html",
    "form.html",
    "home.html",
    "object.html",
    "profile.html",
    "query.html",
    "resources.html",
    "schema.html",
    "search.html",
    "settings_form.html",
    "status.html",
    "watchlist.html",
    "watchlists.html",
    "watchmap.html",
    "watchmaps.html",
);

/// The templates, parsed once; a template that does not parse is a bug a test catches.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in TEMPLATE_FILES {
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
        "upload.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/static/upload.js"),
    ),
    (
        "tables.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../web/static/tables.js"),
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
        .route(
            "/objects/{id}/cutouts/{source}/{kind}/",
            get(object::cutout),
        )
        .route("/search/", get(search::page))
        .route("/query/", get(query::page))
        .route("/schema/", get(query::schema))
        .route("/status/", get(status::tonight))
        .route("/status/{date}/", get(status::night))
        .route(
            "/accounts/login/",
            get(accounts::login_page).post(accounts::login),
        )
        .route("/accounts/logout/", post(accounts::logout))
        .route(
            "/accounts/register/",
            get(accounts::register_page).post(accounts::register),
        )
        .route(
            "/accounts/activate/",
            get(accounts::activate_page).post(accounts::activate),
        )
        .route(
            "/accounts/reset/",
            get(accounts::reset_page).post(accounts::reset),
        )
        .route(
            "/accounts/reset/confirm/",
            get(accounts::reset_confirm_page).post(accounts::reset_confirm),
        )
        .route("/accounts/profile/", get(accounts::profile))
        .route("/filters/", get(filters::list))
        .route("/filters/create/", post(filters::create))
        .route("/filters/{id}/", get(filters::detail))
        .route("/filters/{id}/update/", post(filters::update))
        .route("/filters/{id}/copy/", post(filters::copy))
        .route("/filters/{id}/delete/", post(delete::<Filter>))
        .route(
            "/watchlists/",
            get(watchlists::list).post(watchlists::create),
        )
        .route("/watchlists/{id}/", get(watchlists::detail))
        .route("/watchlists/{id}/cones/", get(watchlists::cones_file))
        .route("/watchlists/{id}/hits/", get(watchlists::hits_file))
        .route("/watchlists/{id}/update/", post(save_settings::<Watchlist>))
        .route("/watchlists/{id}/delete/", post(delete::<Watchlist>))
        .route(
            "/watchmaps/",
            get(watchmaps::list).post(watchmaps::create).layer(
                axum::extract::DefaultBodyLimit::max(watchmaps::MAX_MOC_BYTES + (64 << 10)),
            ),
        )
        .route("/watchmaps/{id}/", get(watchmaps::detail))
        .route("/watchmaps/{id}/sky.png", get(watchmaps::preview))
        .route("/watchmaps/{id}/file/", get(watchmaps::moc_file))
        .route("/watchmaps/{id}/hits/", get(watchmaps::hits_file))
        .route("/watchmaps/{id}/update/", post(save_settings::<Watchmap>))
        .route("/watchmaps/{id}/delete/", post(delete::<Watchmap>))
        .route("/annotators/", get(annotators::list))
        .route("/annotators/{topic}/", get(annotators::detail))
        .route(
            "/annotators/{topic}/annotations/",
            get(annotators::download),
        )
        .route("/resources/", get(resources::page))
        .route("/comres/", get(resources::lasair_address))
        .route("/admin/", get(admin::page))
        .route("/admin/users/{id}/", post(admin::user))
        .route("/admin/annotators/", post(admin::register_annotator))
        .route(
            "/admin/annotators/{topic}/active/",
            post(admin::annotator_active),
        )
        .route("/static/{file}", get(asset))
        .route("/static/vendor/{file}", get(vendor))
}

/// Who is asking: their user when their session cookie is good, and the token their forms
/// carry against cross-site requests (the double-submitted `lasair_csrf` cookie: a form is
/// taken only when its `csrf` field equals the cookie, which a SameSite=Strict cookie keeps
/// other sites from sending).
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: Option<lasair_service::users::User>,
    /// Their session's token, from its cookie.
    pub session: Option<String>,
    pub csrf: String,
    /// The CSRF cookie is new: the page sets it.
    new_csrf: bool,
}

/// The cookies of a request, by name.
fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The session and CSRF cookies' names.
pub const SESSION_COOKIE: &str = "lasair_session";
pub const CSRF_COOKIE: &str = "lasair_csrf";

impl Visitor {
    /// Reads the visitor's cookies and their session's user (a database read).
    fn of(app: &App, cookies: &[(String, String)]) -> Result<Visitor, ApiError> {
        let cookie = |name: &str| {
            cookies
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let session = cookie(SESSION_COOKIE);
        let user = match &session {
            Some(token) => lasair_service::accounts::session_user(&mut *app.db.get()?, token)?,
            None => None,
        };
        let (csrf, new_csrf) = match cookie(CSRF_COOKIE)
            .filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            Some(c) => (c, false),
            None => (lasair_service::accounts::new_secret()?, true),
        };
        Ok(Visitor {
            session: user.as_ref().and(session),
            user,
            csrf,
            new_csrf,
        })
    }

    /// Whether the visitor is logged in as user `user_id`.
    pub fn owns(&self, user_id: i64) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id)
    }

    /// Whether a form's `csrf` field is this visitor's token.
    pub fn csrf_ok(&self, form_token: Option<&str>) -> bool {
        !self.new_csrf
            && form_token.is_some_and(|t| {
                lasair_service::accounts::constant_time_eq(t.as_bytes(), self.csrf.as_bytes())
            })
    }
}

/// A page being made: the server and who asks.
pub struct Page<'a> {
    pub app: &'a App,
    pub visitor: Visitor,
}

impl Page<'_> {
    /// Renders template `name` with `ctx`, plus what every page shows (the survey, who is
    /// logged in, the forms' CSRF token); sets the CSRF cookie when it is new.
    fn render(&self, name: &str, ctx: Value) -> Result<Response, ApiError> {
        let user = self.visitor.user.as_ref().map(|u| u.username.clone());
        let staff = self.visitor.user.as_ref().is_some_and(|u| u.is_staff);
        let ctx = context! { user, staff, csrf => self.visitor.csrf.clone(), ..ctx };
        let mut page = render(self.app.survey, name, ctx)?;
        if self.visitor.new_csrf {
            let cookie = format!(
                "{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{}",
                self.visitor.csrf,
                self.secure()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                page.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Ok(page)
    }

    /// `; Secure` when users reach the server over HTTPS, so its cookies never travel in clear.
    fn secure(&self) -> &'static str {
        if self.app.public_url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        }
    }
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
/// another answer start, as the API's calls do, for the visitor `headers` name, and renders
/// its page or error.
/// The address of the request's peer, when the server was given it (`lasair-serve` serves
/// with its connections' addresses; a request made in-process has none).
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Peer, Self::Rejection> {
        let connected = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Peer(connected.map(|c| c.0.ip())))
    }
}

async fn blocking<F>(app: Arc<App>, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(&Page) -> Result<Response, ApiError> + Send + 'static,
{
    let survey = app.survey;
    let cookies = cookies(headers);
    let Ok(turn) = Arc::clone(&app.answering).acquire_owned().await else {
        return error_page(survey, ApiError::Internal("the server is stopping".into()));
    };
    let done = tokio::task::spawn_blocking(move || {
        let page = Visitor::of(&app, &cookies).and_then(|visitor| f(&Page { app: &app, visitor }));
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

/// `?format=csv` (the default) or `?format=json`: how a table is downloaded.
#[derive(Debug, serde::Deserialize)]
pub struct Format {
    format: Option<String>,
}

impl Format {
    /// The format asked for, CSV when none.
    fn name(&self) -> &str {
        self.format.as_deref().unwrap_or("csv")
    }
}

/// A posted form's answers, by field name.
type Answers = std::collections::HashMap<String, String>;

fn answers(body: &[u8]) -> Answers {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A redirect to `to` (a path of this site) after a form was taken, or to a page found.
fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Resource `id` (a filter, watchlist or watchmap) when the visitor may see it: public, or
/// theirs. Anyone else is told it does not exist, as of an id never used.
fn visible<R: Shared>(page: &Page, id: i64) -> Result<R, ApiError> {
    let r = R::get(&mut *page.app.db.get()?, id)?;
    if r.is_public() || page.visitor.owns(r.owner()) {
        Ok(r)
    } else {
        Err(ApiError::not_found())
    }
}

/// Resource `id` when it is the visitor's own, to change or delete.
fn owned<R: Shared>(page: &Page, id: i64) -> Result<R, ApiError> {
    let r: R = visible(page, id)?;
    if page.visitor.owns(r.owner()) {
        Ok(r)
    } else {
        Err(ApiError::not_found())
    }
}

/// The longest name and description of a filter, watchlist or watchmap (Lasair's forms').
const MAX_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 4096;

/// A name and description from a form, trimmed and checked; else what is wrong, to show.
fn named(form: &Answers) -> Result<(String, String), String> {
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    let (name, description) = (field("name"), field("description"));
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(format!("A name is 1 to {MAX_NAME} characters."));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(format!(
            "A description is at most {MAX_DESCRIPTION} characters."
        ));
    }
    Ok((name.to_owned(), description.to_owned()))
}

/// A resource users share, as the pages handle it: where its pages are, and how it goes
/// with what hangs on it.
trait OnTheWeb: Shared + Send + 'static {
    /// Its pages' folder: `/PATH/ID/`.
    const PATH: &'static str;
    /// Deletes it, and its hits and cones.
    fn remove(db: &mut lasair_db::Db, id: i64) -> Result<(), ApiError>;
}

impl OnTheWeb for lasair_service::filter::Filter {
    const PATH: &'static str = "filters";
    fn remove(db: &mut lasair_db::Db, id: i64) -> Result<(), ApiError> {
        Ok(Self::delete(db, id)?)
    }
}

impl OnTheWeb for lasair_service::watch::Watchlist {
    const PATH: &'static str = "watchlists";
    fn remove(db: &mut lasair_db::Db, id: i64) -> Result<(), ApiError> {
        db.delete_where("watchlist_hits", "wl_id", &lasair_db::Value::Int(id))?;
        Ok(Self::delete_with_cones(db, id)?)
    }
}

impl OnTheWeb for lasair_service::watch::Watchmap {
    const PATH: &'static str = "watchmaps";
    fn remove(db: &mut lasair_db::Db, id: i64) -> Result<(), ApiError> {
        db.delete_where("area_hits", "ar_id", &lasair_db::Value::Int(id))?;
        Ok(Self::delete(db, id)?)
    }
}

/// The owner saves their watchlist or watchmap again from the settings form (name,
/// description, public, active), renewing it; then its page.
async fn save_settings<R: OnTheWeb>(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let _: R = owned(page, id)?;
        let (name, description) = named(&form).map_err(ApiError::error)?;
        let settings = lasair_service::Settings {
            name,
            description,
            public: form.get("public").is_some_and(|v| v == "1"),
            active: form.get("active").is_some_and(|v| v == "1"),
        };
        R::save_settings(&mut *page.app.db.get()?, id, &settings)?;
        Ok(see_other(&format!("/{}/{id}/", R::PATH)))
    })
    .await
}

/// The owner deletes their filter, watchlist or watchmap; then the list.
async fn delete<R: OnTheWeb>(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let csrf = answers(&body).remove("csrf");
    blocking(app, &headers, move |page| {
        check_csrf(page, csrf.as_deref())?;
        let _: R = owned(page, id)?;
        R::remove(&mut *page.app.db.get()?, id)?;
        Ok(see_other(&format!("/{}/", R::PATH)))
    })
    .await
}

/// Refuses a form whose CSRF token is not the visitor's.
fn check_csrf(page: &Page, token: Option<&str>) -> Result<(), ApiError> {
    if page.visitor.csrf_ok(token) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "This form's security token is missing or stale: send it again.".into(),
        ))
    }
}

/// A table to save as `format` (`csv` or `json`: a list of objects keyed by column), named
/// `name` with the format's extension.
fn table_file(
    format: &str,
    name: &str,
    columns: &[String],
    rows: &[Vec<serde_json::Value>],
) -> Result<Response, ApiError> {
    use serde_json::Value as Json;
    let failed = |e: String| ApiError::Internal(format!("writing {name}.{format}: {e}"));
    let (kind, body) = match format {
        "json" => {
            let list: Vec<Json> = rows
                .iter()
                .map(|r| Json::Object(columns.iter().cloned().zip(r.iter().cloned()).collect()))
                .collect();
            let body = serde_json::to_vec(&list).map_err(|e| failed(e.to_string()))?;
            ("application/json", body)
        }
        "csv" => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(columns)
                .map_err(|e| failed(e.to_string()))?;
            for r in rows {
                let cells = r.iter().map(|v| match v {
                    Json::Null => String::new(),
                    Json::String(s) => s.clone(),
                    v => v.to_string(),
                });
                out.write_record(cells).map_err(|e| failed(e.to_string()))?;
            }
            let body = out.into_inner().map_err(|e| failed(e.to_string()))?;
            ("text/csv; charset=utf-8", body)
        }
        other => {
            return Err(ApiError::error(format!(
                "format {other:?}: give csv or json"
            )))
        }
    };
    Ok(file(body, kind, Some(&format!("{name}.{format}"))))
}

/// `bytes` of type `kind`, to save as `name` when given.
fn file(bytes: Vec<u8>, kind: &'static str, name: Option<&str>) -> Response {
    let mut r = bytes.into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Some(v) =
        name.and_then(|n| HeaderValue::from_str(&format!("attachment; filename=\"{n}\"")).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The rows `select` reads from the main database, as JSON cells; at most `limit` when given.
fn json_rows(
    app: &App,
    mut select: lasair_db::Select<'_>,
    limit: Option<u64>,
) -> Result<Vec<Vec<serde_json::Value>>, ApiError> {
    if let Some(n) = limit {
        select = select.limit(n);
    }
    Ok(app
        .db
        .get()?
        .select(&select)?
        .rows
        .iter()
        .map(|r| r.iter().map(crate::api::json_of).collect())
        .collect())
}

/// `url` when it is a web page's address (http or https), to link to; never a script
/// (`javascript:`) or data that a user or an annotator gave.
fn web_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
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
    fn only_web_pages_are_linked() {
        assert_eq!(
            web_link(" https://example.org/x "),
            Some("https://example.org/x")
        );
        assert_eq!(web_link("HTTP://example.org/"), Some("HTTP://example.org/"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil",
            "",
        ] {
            assert_eq!(web_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATE_FILES {
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

//! The routes, and what every API call goes through: its parameters read, its token found
//! (`Authorization: Token KEY` or `?token=KEY`), its user throttled, then its answer computed
//! on the blocking pool.

mod annotate;
mod objects;
pub(crate) mod search;
mod sherlock;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use lasair_alert::Survey;
use lasair_service::users::User;
use serde_json::Value as Json;

use crate::params::{Params, MAX_BODY};
use crate::reply::ApiError;
use crate::state::App;

/// An API call's answer, from the caller and their parameters.
type Answer = fn(&App, &User, &Params) -> Result<Json, ApiError>;

/// The server's routes over `app`. A ZTF server also answers the routes Lasair-ZTF kept for
/// the older clients (`objects`, `lightcurves`, `sherlock/objects`).
pub fn app(app: Arc<App>) -> Router {
    macro_rules! api {
        ($answer:path) => {
            |State(app): State<Arc<App>>, req: Request| call(app, req, $answer)
        };
    }
    let mut router = Router::new()
        .route(
            "/api/cone/",
            get(api!(search::cone)).post(api!(search::cone)),
        )
        .route(
            "/api/query/",
            get(api!(search::query)).post(api!(search::query)),
        )
        .route(
            "/api/object/",
            get(api!(objects::object)).post(api!(objects::object)),
        )
        .route(
            "/api/sherlock/object/",
            get(api!(sherlock::object)).post(api!(sherlock::object)),
        )
        .route(
            "/api/sherlock/position/",
            get(api!(sherlock::position)).post(api!(sherlock::position)),
        )
        .route("/api/annotate/", post(api!(annotate::annotate)))
        .route("/api/annotatelist/", post(api!(annotate::annotate_list)))
        .route("/api/auth-token/", post(annotate::auth_token))
        .route("/fits/{object}/{file}", get(objects::fits))
        .route("/fits/{file}", get(objects::fits_unplaced));
    if app.survey == Survey::Ztf {
        router = router
            .route(
                "/api/objects/",
                get(api!(objects::objects)).post(api!(objects::objects)),
            )
            .route(
                "/api/lightcurves/",
                get(api!(objects::lightcurves)).post(api!(objects::lightcurves)),
            )
            .route(
                "/api/sherlock/objects/",
                get(api!(sherlock::objects)).post(api!(sherlock::objects)),
            );
    }
    router
        .merge(crate::web::routes())
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(counted))
        .with_state(app)
}

/// Counts every answer in the metrics by its route's pattern (`/fits/{object}/{file}`, never
/// the path asked for, so the labels stay few; `unmatched` for the rest) and status.
async fn counted(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let began = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    lasair_metrics::http_request(&route, status, began.elapsed().as_secs_f64());
    response
}

/// Reads the request, then on the blocking pool finds the user, throttles them and answers.
async fn call(app: Arc<App>, req: Request, answer: Answer) -> Response {
    blocking(Arc::clone(&app), req, move |params, token| {
        let user = authenticate(&app, token.as_deref())?;
        app.throttle(&user).map_err(ApiError::Throttled)?;
        answer(&app, &user, &params)
    })
    .await
}

/// Reads the request's parameters and token, runs `f` on them on the blocking pool when
/// `app` lets another answer start, and renders its answer or error.
pub(crate) async fn blocking<F>(app: Arc<App>, req: Request, f: F) -> Response
where
    F: FnOnce(Params, Option<String>) -> Result<Json, ApiError> + Send + 'static,
{
    let outcome = async {
        let (params, token) = read(req).await?;
        let turn = Arc::clone(&app.answering)
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("waiting to answer: {e}")))?;
        // The turn ends with the work, not with the request: a client that hangs up does not
        // free it while the answer is still being computed.
        tokio::task::spawn_blocking(move || {
            let answer = f(params, token);
            drop(turn);
            answer
        })
        .await
        .map_err(|e| ApiError::Internal(format!("an answer failed: {e}")))?
    }
    .await;
    match outcome {
        Ok(json) => (StatusCode::OK, axum::Json(json)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The request's parameters and the token it carries (header first, as DRF tries it).
async fn read(req: Request) -> Result<(Params, Option<String>), ApiError> {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::Parse(format!("reading the body: {e}")))?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let params = Params::parse(parts.uri.query(), content_type, &bytes)?;
    let header_token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| match v.split_once(' ') {
            Some((kind, key)) if kind.eq_ignore_ascii_case("token") => key.trim().to_owned(),
            // Another scheme, or a bare word: no user of ours.
            _ => String::new(),
        });
    let token = header_token.or_else(|| params.token().map(str::to_owned));
    Ok((params, token))
}

/// The active user of `token`.
fn authenticate(app: &App, token: Option<&str>) -> Result<User, ApiError> {
    let token = token.ok_or(ApiError::NoCredentials)?;
    // DRF's query-token class takes `\w+` only; ours are 40 hex digits.
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::BadToken);
    }
    app.user_of(token)?.ok_or(ApiError::BadToken)
}

/// A database value as JSON (NaN and infinities as `null`, which Python reads as None).
pub(crate) fn json_of(v: &lasair_db::Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

//! Answers and errors with the status codes and bodies the `lasair` client expects: 200 with
//! JSON; 400 with `{"error": ...}` or DRF's field errors; 401; 404; 429 with Lasair's message
//! and `Retry-After`; 500 only for our own faults, never for bad input.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lasair_service::ServiceError;
use serde_json::{json, Map, Value as Json};

/// Lasair's answer to a throttled call, word for word.
pub const THROTTLED: &str =
    "Request limit exceeded. Either wait an hour, or see API documentation to increase your limits.";

/// Why a request got no 200.
#[derive(Debug)]
pub enum ApiError {
    /// No token given (401).
    NoCredentials,
    /// A token that is no active user's (401).
    BadToken,
    /// Over the hour's calls; seconds to wait (429).
    Throttled(u64),
    /// DRF field errors: field, message (400).
    Fields(Vec<(String, String)>),
    /// A body that does not parse (400).
    Parse(String),
    /// Lasair's `{"error": message}` (400).
    Error(String),
    /// Refused whoever asks (403): a form without its CSRF token.
    Forbidden(String),
    /// Not there (404), with the body to say so.
    NotFound(Json),
    /// Our fault (500): logged, not shown.
    Internal(String),
}

impl ApiError {
    pub fn error(message: impl Into<String>) -> ApiError {
        ApiError::Error(message.into())
    }

    /// DRF's answer for an object not found.
    pub fn not_found() -> ApiError {
        ApiError::NotFound(json!({"detail": "Not found."}))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            // A user's query refused, a name or value refused: the user's to fix.
            ServiceError::Query { .. } | ServiceError::Invalid { .. } => {
                ApiError::Error(e.to_string())
            }
            ServiceError::NotFound { .. } => ApiError::not_found(),
            ServiceError::Db(ref db) if is_users_fault(db) => ApiError::Error(e.to_string()),
            ServiceError::Db(db) => ApiError::Internal(db.to_string()),
        }
    }
}

/// Database errors a user's query causes: its time limit, or SQL the database refused.
fn is_users_fault(e: &lasair_db::DbError) -> bool {
    matches!(e, lasair_db::DbError::Timeout { .. })
}

impl From<lasair_db::DbError> for ApiError {
    fn from(e: lasair_db::DbError) -> ApiError {
        ServiceError::Db(e).into()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        match e.downcast::<ServiceError>() {
            Ok(service) => service.into(),
            Err(e) => ApiError::Internal(format!("{e:#}")),
        }
    }
}

/// What a user is told of our own fault.
const INTERNAL: &str = "internal error; the server's log says more";

/// Our own fault: logged, and raised as an alarm.
fn internal(message: &str) {
    eprintln!("{}: internal error: {message}", crate::TOOL);
    raise_alarm(format!("an answer failed: {message}"));
}

impl ApiError {
    /// The status and a sentence for a person (the web pages' error page); our own faults
    /// are logged and raised, not shown.
    pub fn status_and_text(self) -> (StatusCode, String) {
        match self {
            ApiError::NoCredentials | ApiError::BadToken => {
                (StatusCode::UNAUTHORIZED, "Please log in.".into())
            }
            ApiError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, THROTTLED.into()),
            ApiError::Fields(fields) => (
                StatusCode::BAD_REQUEST,
                fields
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ApiError::Parse(m) | ApiError::Error(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found.".into()),
            ApiError::Internal(message) => {
                internal(&message);
                (StatusCode::INTERNAL_SERVER_ERROR, INTERNAL.into())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NoCredentials => (
                StatusCode::UNAUTHORIZED,
                json!({"detail": "Authentication credentials were not provided."}),
            ),
            ApiError::BadToken => (
                StatusCode::UNAUTHORIZED,
                json!({"detail": "Invalid token."}),
            ),
            ApiError::Throttled(wait) => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(json!({"message": THROTTLED})),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(wait));
                return r;
            }
            ApiError::Fields(errors) => {
                let mut map = Map::new();
                for (field, message) in errors {
                    let slot = map.entry(field).or_insert_with(|| Json::Array(Vec::new()));
                    if let Json::Array(list) = slot {
                        list.push(Json::String(message));
                    }
                }
                (StatusCode::BAD_REQUEST, Json::Object(map))
            }
            ApiError::Parse(message) => (StatusCode::BAD_REQUEST, json!({"detail": message})),
            ApiError::Error(message) => (StatusCode::BAD_REQUEST, json!({"error": message})),
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, json!({"detail": message})),
            ApiError::NotFound(body) => (StatusCode::NOT_FOUND, body),
            ApiError::Internal(message) => {
                internal(&message);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": INTERNAL}),
                )
            }
        };
        let mut r = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        r
    }
}

/// An error inside the server goes to the alarms (repeats suppressed there), posted off the
/// async workers since a post may take seconds.
fn raise_alarm(message: String) {
    let message = lasair_metrics::alarm::describe_failure(&message);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(move || lasair_metrics::alarm::raise(&message))),
        Err(_) => lasair_metrics::alarm::raise(&message),
    }
}

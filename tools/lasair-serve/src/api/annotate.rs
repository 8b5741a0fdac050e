//! Annotations (one, or a list as JSON) and API tokens for a username and password.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use lasair_service::annotations::{annotate as store, Annotation};
use lasair_service::users::User;
use serde_json::{json, Value as Json};

use crate::params::Params;
use crate::reply::ApiError;
use crate::state::App;

/// The annotation a request's (or a list item's) fields make, checked as Lasair checks
/// them.
fn annotation_of(p: &Params) -> Result<Annotation, ApiError> {
    let mut f = p.fields();
    let object = f.text("objectId", 64, false, false);
    let topic = f.text("topic", 255, false, false);
    let classification = f.text("classification", 80, false, false);
    let version = f.text("version", 80, true, true);
    let explanation = f.text("explanation", 1024, true, true);
    let classdict = f.text("classdict", 4096, true, true);
    let url = f.text("url", 1024, true, true);
    f.done()?;
    let annotation = Annotation {
        object: object.unwrap_or_default(),
        topic: topic.unwrap_or_default(),
        classification: classification.unwrap_or_default(),
        version: version.unwrap_or_default(),
        explanation: explanation.unwrap_or_default(),
        classdict: classdict.unwrap_or_default(),
        url: url.unwrap_or_default(),
        timestamp: String::new(),
    };
    let errors = annotation.check();
    if !errors.is_empty() {
        let errors = errors.into_iter().map(|(f, m)| (f.to_owned(), m)).collect();
        return Err(ApiError::Fields(errors));
    }
    Ok(annotation)
}

/// Stores one annotation and sends it to the annotation stream; its JSON as sent.
fn accept(app: &App, user: &User, annotation: &Annotation) -> Result<String, ApiError> {
    let stored = store(&mut *app.db.get()?, user, annotation)?
        .map_err(|refused| ApiError::error(refused.to_string()))?;
    let (key, message) = stored
        .stream_message()
        .map_err(|e| ApiError::Internal(format!("encoding an annotation: {e}")))?;
    if let Some(sink) = &app.annotations {
        let mut sink = sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Durable before the caller hears success: lasair-filter's annotation trigger reads it.
        sink.send(Some(key), message.as_bytes())
            .and_then(|()| sink.flush())
            .map_err(|e| ApiError::Internal(format!("the annotation stream: {e}")))?;
    }
    Ok(message)
}

/// `/api/annotate/`: one classification of one object by the caller's annotator.
pub fn annotate(app: &App, user: &User, p: &Params) -> Result<Json, ApiError> {
    let annotation = annotation_of(p)?;
    let message = accept(app, user, &annotation)?;
    Ok(json!({"status": "success", "annotation_topic": annotation.topic, "message": message}))
}

/// The most annotations one list call takes.
const MAX_LIST: usize = 10_000;

/// `/api/annotatelist/`: `{"annotations": [...]}` as JSON; every item is checked before any
/// is stored, and the first refused stops the rest.
pub fn annotate_list(app: &App, user: &User, p: &Params) -> Result<Json, ApiError> {
    let items = match p.json.as_ref().and_then(|j| j.get("annotations")) {
        Some(Json::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::Fields(vec![(
                "annotations".into(),
                "Expected a list of items.".into(),
            )]))
        }
        None => {
            return Err(ApiError::Fields(vec![(
                "annotations".into(),
                "This field is required.".into(),
            )]))
        }
    };
    if items.len() > MAX_LIST {
        return Err(ApiError::error(format!(
            "at most {MAX_LIST} annotations a call"
        )));
    }
    let annotations = items
        .iter()
        .map(|item| annotation_of(&Params::from_json(item)))
        .collect::<Result<Vec<_>, _>>()?;
    for annotation in &annotations {
        accept(app, user, annotation)?;
    }
    Ok(json!({"status": "success", "n": annotations.len()}))
}

/// `/api/auth-token/`: the API token of the user whose username and password these are, as
/// DRF's `obtain_auth_token` answers.
pub async fn auth_token(State(app): State<Arc<App>>, req: Request) -> Response {
    // Held until the answer is made: at most one password check per core at a time.
    let Ok(_permit) = app.logins.acquire().await else {
        return ApiError::Internal("the login gate is closed".into()).into_response();
    };
    let app = Arc::clone(&app);
    super::blocking(Arc::clone(&app), req, move |params, _| {
        let mut f = params.fields();
        let username = f.text("username", 150, false, false);
        let password = f.text("password", 4096, false, false);
        f.done()?;
        let mut db = app.db.get()?;
        let (username, password) = (username.unwrap_or_default(), password.unwrap_or_default());
        let Some(user) = User::login(&mut db, &username, &password)? else {
            return Err(ApiError::Fields(vec![(
                "non_field_errors".into(),
                "Unable to log in with provided credentials.".into(),
            )]));
        };
        Ok(json!({"token": User::token(&mut db, user.id)?}))
    })
    .await
}

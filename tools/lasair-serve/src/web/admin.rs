//! The staff's page (`/admin/`): every user, with their API class (demo, user, power) and
//! whether they may log in; every annotator, switched on and off; a new annotator registered
//! for a user. Anyone not staff is told the page does not exist.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lasair_db::Value;
use lasair_service::annotations::Annotator;
use lasair_service::users::{ApiClass, User};
use lasair_service::Record;
use minijinja::context;
use serde_json::json;

use super::{answers, blocking, check_csrf, see_other, Page};
use crate::reply::ApiError;
use crate::state::App;

/// The visitor when they are staff; anyone else is told the page does not exist.
fn staff<'a>(page: &'a Page<'_>) -> Result<&'a User, ApiError> {
    page.visitor
        .user
        .as_ref()
        .filter(|u| u.is_staff)
        .ok_or_else(ApiError::not_found)
}

fn admin_page(page: &Page, error: Option<String>) -> Result<Response, ApiError> {
    staff(page)?;
    let mut db = page.app.db.get()?;
    let users = User::list(&mut db)?;
    let name_of = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("user {id}"), |u| u.username.clone())
    };
    let annotators: Vec<_> = Annotator::list(&mut db)?
        .iter()
        .map(|a| {
            json!({"topic": a.topic, "owner": name_of(a.user_id), "active": a.active,
                   "public": a.public, "description": a.description})
        })
        .collect();
    drop(db);
    let users: Vec<_> = users
        .iter()
        .map(|u| {
            json!({"id": u.id, "username": u.username, "email": u.email, "joined": u.date_joined,
                   "active": u.is_active, "staff": u.is_staff, "class": u.api_class.as_str()})
        })
        .collect();
    let classes: Vec<&str> = ApiClass::ALL.iter().map(|c| c.as_str()).collect();
    page.render("admin.html", context! { users, annotators, classes, error })
}

pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| admin_page(page, None)).await
}

/// A user's API class and whether they may log in.
pub async fn user(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let me = staff(page)?.id;
        let class: ApiClass = form
            .get("class")
            .map_or("", String::as_str)
            .parse()
            .map_err(|e: lasair_service::users::UnknownClass| ApiError::error(e.to_string()))?;
        let active = form.get("active").is_some_and(|v| v == "1");
        if id == me && !active {
            return admin_page(page, Some("You cannot lock yourself out.".into()));
        }
        let mut db = page.app.db.get()?;
        User::set_class(&mut db, id, class)?;
        User::update(&mut db, id, &[("is_active", Value::Int(i64::from(active)))])?;
        Ok(see_other("/admin/"))
    })
    .await
}

/// Registers an annotator for a user, active.
pub async fn register_annotator(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        staff(page)?;
        let field = |k: &str| form.get(k).map_or("", |v| v.trim());
        let mut db = page.app.db.get()?;
        let Some(owner) = User::by_name(&mut db, field("owner"))? else {
            drop(db);
            return admin_page(
                page,
                Some(format!("No user is called {:?}.", field("owner"))),
            );
        };
        let public = field("public") == "1";
        match Annotator::register(
            &mut db,
            field("topic"),
            owner.id,
            field("description"),
            public,
        ) {
            Ok(_) => Ok(see_other("/admin/")),
            Err(e @ lasair_service::ServiceError::Invalid { .. }) => {
                drop(db);
                admin_page(page, Some(e.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// Switches an annotator on or off.
pub async fn annotator_active(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        staff(page)?;
        let active = form.get("active").is_some_and(|v| v == "1");
        Annotator::set_active(&mut *page.app.db.get()?, &topic, active)?;
        Ok(see_other("/admin/"))
    })
    .await
}

//! Users' filters on the web: the list (mine and the public ones), a filter's page (its query,
//! where its results go, its topic, today's results, how to read its stream), saving a query
//! as a filter from the query page, and deleting one's own. A private filter is its owner's
//! only: anyone else is told it does not exist.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lasair_service::filter::{Delivery, Filter, NewFilter, Trigger};
use lasair_service::query::{compile_as, QueryLimits};
use lasair_service::Record;
use lasair_sql::UserQuery;
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{answers, blocking, check_csrf, owned, see_other, visible, Answers, Page};
use crate::reply::ApiError;
use crate::state::App;

fn delivery_text(d: Option<Delivery>) -> &'static str {
    match d {
        None => "nowhere: saved only",
        Some(Delivery::Email) => "a daily email",
        Some(Delivery::Kafka) => "a Kafka stream",
        Some(Delivery::KafkaLite) => "a Kafka stream, each record with the lightcurve",
        Some(Delivery::KafkaFull) => "a Kafka stream, each record with the whole alert",
    }
}

fn summary(f: &Filter) -> Json {
    json!({
        "id": f.id, "name": f.name, "description": f.description, "topic": f.topic,
        "public": f.public, "modified": f.date_modified,
        "delivery": f.delivery.map_or("saved only", Delivery::as_str),
    })
}

pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| {
        let all = Filter::list(&mut *page.app.db.get()?)?;
        let me = page.visitor.user.as_ref().map(|u| u.id);
        let mine: Vec<Json> = all
            .iter()
            .filter(|f| Some(f.user_id) == me)
            .map(summary)
            .collect();
        let public: Vec<Json> = all.iter().filter(|f| f.public).map(summary).collect();
        page.render("filters.html", context! { mine, public })
    })
    .await
}

pub async fn detail(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    blocking(app, &headers, move |page| {
        let f: Filter = visible(page, id)?;
        let today = lasair_alert::time::utc_string(lasair_alert::time::mjd_now());
        let night = lasair_service::statistics::of_night(&mut *page.app.db.get()?, &today[..10])?;
        let results = format!("results.{}", f.topic);
        let today = night
            .iter()
            .find(|(n, _)| *n == results)
            .map_or(0, |(_, v)| *v as u64);
        let trigger_text = match (f.trigger.on_alert, f.trigger.on_annotation) {
            (true, true) => "on new alerts and on annotations",
            (true, false) => "on new alerts",
            (false, true) => "on annotations",
            (false, false) => "never",
        };
        let mut run = form_urlencoded::Serializer::new(String::new());
        run.append_pair("select", &f.query.select)
            .append_pair("tables", &f.query.tables)
            .append_pair("where", &f.query.conditions);
        let mine = page.visitor.owns(f.user_id);
        let shown = json!({
            "id": f.id, "name": f.name, "description": f.description, "public": f.public,
            "topic": f.topic, "modified": f.date_modified,
            "expires": f.delivery.and_then(|_| lasair_service::expiry::expires(&f.date_modified)),
            "output": f.delivery.map_or("none", Delivery::as_str),
            "on_alert": f.trigger.on_alert, "on_annotation": f.trigger.on_annotation,
            "delivery_text": delivery_text(f.delivery), "trigger_text": trigger_text,
            "stream": f.delivery.is_some_and(Delivery::is_stream),
            "select": f.query.select, "tables": f.query.tables, "conditions": f.query.conditions,
        });
        page.render(
            "filter.html",
            context! {
                f => shown, today, mine, kafka => page.app.public_kafka.clone(),
                run_link => format!("/query/?{}", run.finish()),
            },
        )
    })
    .await
}

/// The filter a posted form describes, for user `user_id`, checked: name and description
/// bounded, the name not another of theirs (`except`: the filter being saved again), the
/// query compiled as the stream will run it, naming only watchlists and watchmaps the user
/// may.
fn read_form(
    page: &Page,
    form: &Answers,
    user_id: i64,
    except: Option<i64>,
) -> Result<(NewFilter, Option<Delivery>), ApiError> {
    let field = |k: &str| form.get(k).map_or("", |v| v.trim());
    let (name, description) = super::named(form).map_err(ApiError::error)?;
    let delivery = match field("output") {
        "none" | "" => None,
        other => Some(
            other
                .parse::<Delivery>()
                .map_err(|e| ApiError::error(e.to_string()))?,
        ),
    };
    let mut db = page.app.db.get()?;
    let taken = Filter::list_where(&mut db, "user_id", user_id.into())?
        .iter()
        .any(|f| Some(f.id) != except && f.name.eq_ignore_ascii_case(&name));
    if taken {
        return Err(ApiError::error(format!(
            "You have a filter called {name:?} already."
        )));
    }
    let query = UserQuery {
        select: field("select").to_owned(),
        tables: field("tables").to_owned(),
        conditions: field("where").to_owned(),
        ..UserQuery::default()
    };
    compile_as(&mut db, &query, &QueryLimits::default(), user_id)?;
    let new = NewFilter {
        description,
        public: field("public") == "1",
        trigger: Trigger {
            on_alert: field("on_alert") == "1",
            on_annotation: field("on_annotation") == "1",
        },
        query,
        ..NewFilter::new(user_id, &name, "", "", "")
    };
    Ok((new, delivery))
}

pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let Some(user) = &page.visitor.user else {
            return Ok(see_other("/accounts/login/?next=/query/"));
        };
        let (new, delivery) = read_form(page, &form, user.id, None)?;
        let filter = Filter::create(&mut *page.app.db.get()?, &new, delivery)?;
        Ok(see_other(&format!("/filters/{}/", filter.id)))
    })
    .await
}

/// The owner saves their filter again, changed: the save renews it.
pub async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = answers(&body);
    blocking(app, &headers, move |page| {
        check_csrf(page, form.get("csrf").map(String::as_str))?;
        let filter: Filter = owned(page, id)?;
        let (new, delivery) = read_form(page, &form, filter.user_id, Some(filter.id))?;
        Filter::save(&mut *page.app.db.get()?, filter.id, &new, delivery)?;
        Ok(see_other(&format!("/filters/{}/", filter.id)))
    })
    .await
}

/// A logged-in visitor copies a filter they may see (theirs, or a public one) as a new one
/// of their own: private, saved only, until they choose where its results go.
pub async fn copy(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let csrf = answers(&body).remove("csrf");
    blocking(app, &headers, move |page| {
        check_csrf(page, csrf.as_deref())?;
        let Some(user) = &page.visitor.user else {
            return Ok(see_other(&format!("/accounts/login/?next=/filters/{id}/")));
        };
        let original: Filter = visible(page, id)?;
        let mut db = page.app.db.get()?;
        let names: Vec<String> = Filter::list_where(&mut db, "user_id", user.id.into())?
            .into_iter()
            .map(|f| f.name.to_lowercase())
            .collect();
        let name = (1..)
            .map(|n| match n {
                1 => format!("{} (copy)", original.name),
                n => format!("{} (copy {n})", original.name),
            })
            .find(|n| !names.contains(&n.to_lowercase()))
            .unwrap_or_default();
        let new = NewFilter {
            description: original.description.clone(),
            query: original.query.clone(),
            trigger: original.trigger,
            ..NewFilter::new(user.id, &name, "", "", "")
        };
        let filter = Filter::create(&mut db, &new, None)?;
        Ok(see_other(&format!("/filters/{}/", filter.id)))
    })
    .await
}

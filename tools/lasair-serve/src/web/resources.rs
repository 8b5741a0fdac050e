//! The resources gallery (`/resources/`, Lasair's `/comres/`): the public filters,
//! watchlists, watchmaps and annotators the broker's staff and its services keep for everyone,
//! as Lasair's "Lasair Resources" account holds them. Everyone's other public resources are on
//! each kind's own page.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use lasair_service::annotations::Annotator;
use lasair_service::expiry::SERVICES;
use lasair_service::filter::Filter;
use lasair_service::users::User;
use lasair_service::watch::{Watchlist, Watchmap};
use lasair_service::{Record, Shared};
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{blocking, see_other};
use crate::state::App;

/// The public ones of `all` that `curators` own, as the gallery lists them.
fn curated<R: Shared>(all: &[R], curators: &HashSet<i64>, show: impl Fn(&R) -> Json) -> Vec<Json> {
    all.iter()
        .filter(|r| r.is_public() && curators.contains(&r.owner()))
        .map(show)
        .collect()
}

pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| {
        let mut db = page.app.db.get()?;
        let mut curators: HashSet<i64> = User::list(&mut db)?
            .iter()
            .filter(|u| u.is_staff)
            .map(|u| u.id)
            .collect();
        curators.insert(SERVICES);
        let filters = curated(
            &Filter::list(&mut db)?,
            &curators,
            |f| json!({"id": f.id, "name": f.name, "description": f.description}),
        );
        let watchlists = curated(
            &Watchlist::list(&mut db)?,
            &curators,
            |w| json!({"id": w.id, "name": w.name, "description": w.description}),
        );
        let watchmaps = curated(
            &Watchmap::list(&mut db)?,
            &curators,
            |w| json!({"id": w.id, "name": w.name, "description": w.description}),
        );
        let annotators: Vec<Json> = Annotator::list(&mut db)?
            .iter()
            .filter(|a| a.public && curators.contains(&a.user_id))
            .map(|a| json!({"topic": a.topic, "description": a.description}))
            .collect();
        drop(db);
        page.render(
            "resources.html",
            context! { filters, watchlists, watchmaps, annotators },
        )
    })
    .await
}

/// Lasair's address of the gallery.
pub async fn lasair_address() -> Response {
    see_other("/resources/")
}

//! One search box: an object ID (to its page), a TNS name (to the objects that carry it), or a
//! position `ra dec [radius]` in degrees or sexagesimal (the objects in that cone). A GET, so
//! a search is a link.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lasair_db::{Select, Value};
use minijinja::context;
use serde_json::json;

use super::{blocking, Page};
use crate::reply::ApiError;
use crate::state::App;
use axum::http::HeaderMap;

/// The radius of a position given without one, and the largest (the API's), in arcseconds.
const DEFAULT_RADIUS: f64 = 10.0;
const MAX_RADIUS: f64 = 1000.0;

/// The longest query read.
const MAX_QUERY: usize = 200;

#[derive(Debug, serde::Deserialize)]
pub struct Search {
    q: Option<String>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Query(asked): Query<Search>,
    headers: HeaderMap,
) -> Response {
    let q = asked.q.unwrap_or_default();
    blocking(app, &headers, move |page| search(page, q.trim())).await
}

/// What a search asks for.
#[derive(Debug, PartialEq)]
enum Wanted {
    Position { ra: f64, dec: f64, radius: f64 },
    Tns(String),
    Object(String),
}

/// Reads the search box: a position when it is two, three, six or seven numbers (sexagesimal
/// in parts), a TNS name when it looks like one (`2021abc`, `SN 2021abc`, `AT2021abc`), else
/// an object ID.
fn parse(q: &str) -> Result<Wanted, String> {
    if q.len() > MAX_QUERY {
        return Err(format!("a search is at most {MAX_QUERY} characters"));
    }
    let words: Vec<&str> = q
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let numeric = |w: &&str| {
        w.chars()
            .all(|c| c.is_ascii_digit() || ".:+-eEhdms".contains(c))
            && w.chars().any(|c| c.is_ascii_digit())
    };
    if words.len() >= 2 && words.iter().all(numeric) {
        let (ra, dec, radius) = match words.len() {
            2 | 3 => (words[0].to_owned(), words[1].to_owned(), words.get(2)),
            6 | 7 => (words[..3].join(":"), words[3..6].join(":"), words.get(6)),
            _ => return Err(format!("{q:?}: give ra dec [radius]")),
        };
        let ra = lasair_sky::parse_ra(&ra).map_err(|e| format!("RA {ra:?}: {e}"))?;
        let dec = lasair_sky::parse_dec(&dec).map_err(|e| format!("Dec {dec:?}: {e}"))?;
        let radius = match radius {
            None => DEFAULT_RADIUS,
            Some(r) => r
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=MAX_RADIUS).contains(r))
                .ok_or_else(|| format!("radius {r:?}: give arcseconds from 0 to {MAX_RADIUS}"))?,
        };
        return Ok(Wanted::Position { ra, dec, radius });
    }
    let squeezed: String = q.split_whitespace().collect();
    let name = squeezed
        .strip_prefix("SN")
        .or_else(|| squeezed.strip_prefix("AT"))
        .unwrap_or(&squeezed);
    let (year, letters) = name.split_at(name.len().min(4));
    let tns_like = year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && (1..=4).contains(&letters.len())
        && letters.chars().all(|c| c.is_ascii_lowercase());
    if tns_like {
        return Ok(Wanted::Tns(name.to_owned()));
    }
    Ok(Wanted::Object(q.to_owned()))
}

fn search(page: &Page, q: &str) -> Result<Response, ApiError> {
    let app = page.app;
    let show = |message: Option<String>, results: Option<Vec<serde_json::Value>>, cone| {
        let ctx = context! { query => q, message, results, cone };
        page.render("search.html", ctx)
    };
    if q.is_empty() {
        return show(None, None, None);
    }
    let wanted = match parse(q) {
        Ok(w) => w,
        Err(message) => {
            let mut page = show(Some(message), None, None)?;
            *page.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(page);
        }
    };
    let mut db = app.db.get()?;
    let catalog = db.catalog();
    let text = |v: &Value| match v {
        Value::Int(n) => n.to_string(),
        other => other.as_str().unwrap_or_default().to_owned(),
    };
    match wanted {
        Wanted::Position { ra, dec, radius } => {
            let found = lasair_service::objects::cone(&mut db, ra, dec, radius)?;
            let results = found
                .iter()
                .map(|(key, sep)| json!({"id": text(key), "separation": format!("{sep:.2}")}))
                .collect();
            let cone = json!({"ra": ra, "dec": dec, "radius": radius});
            show(None, Some(results), Some(cone))
        }
        Wanted::Tns(name) => {
            let rows = db.select(
                &Select::from("crossmatch_tns")
                    .columns(&[catalog.key])
                    .eq("tns_name", name.as_str()),
            )?;
            let results: Vec<_> = rows
                .rows
                .iter()
                .map(|r| json!({"id": text(&r[0]), "separation": ""}))
                .collect();
            match results.as_slice() {
                [one] => Ok(to_object(one["id"].as_str().unwrap_or_default())),
                [] => show(
                    Some(format!("No object carries the TNS name {name}.")),
                    Some(results),
                    None,
                ),
                _ => show(None, Some(results), None),
            }
        }
        Wanted::Object(id) => {
            let key = match lasair_service::objects::key(catalog, &id) {
                Ok(key) => key,
                Err(e) => {
                    let message = format!("Not an object ID, a TNS name or a position: {e}");
                    let mut page = show(Some(message), None, None)?;
                    *page.status_mut() = StatusCode::BAD_REQUEST;
                    return Ok(page);
                }
            };
            let found = db.select(
                &Select::from("objects")
                    .columns(&[catalog.key])
                    .eq(catalog.key, key)
                    .count(),
            )?;
            let n = found
                .rows
                .first()
                .and_then(|r| r[0].as_f64())
                .unwrap_or(0.0);
            if n > 0.0 {
                Ok(to_object(&id))
            } else {
                let mut page = show(Some(format!("No object {id}.")), Some(Vec::new()), None)?;
                *page.status_mut() = StatusCode::NOT_FOUND;
                Ok(page)
            }
        }
    }
}

/// A redirect to an object's page (`id` has passed the survey's check: letters, digits, `_`).
fn to_object(id: &str) -> Response {
    super::see_other(&format!("/objects/{id}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_tells_positions_names_and_ids_apart() {
        assert_eq!(
            parse("150.1 2.2"),
            Ok(Wanted::Position {
                ra: 150.1,
                dec: 2.2,
                radius: 10.0
            })
        );
        assert_eq!(
            parse("150.1, -2.2, 30"),
            Ok(Wanted::Position {
                ra: 150.1,
                dec: -2.2,
                radius: 30.0
            })
        );
        let Ok(Wanted::Position { ra, dec, radius }) = parse("10 00 30.0 -02 30 00 5") else {
            panic!("sexagesimal in parts");
        };
        assert!((ra - 150.125).abs() < 1e-9 && (dec + 2.5).abs() < 1e-9 && radius == 5.0);
        let Ok(Wanted::Position { ra, dec, .. }) = parse("10:00:30 +02:30:00") else {
            panic!("sexagesimal");
        };
        assert!((ra - 150.125).abs() < 1e-9 && (dec - 2.5).abs() < 1e-9);
        assert!(parse("150.1 2.2 5000").is_err());
        assert!(parse("400 2.2").is_err());
        assert_eq!(parse("2021abc"), Ok(Wanted::Tns("2021abc".into())));
        assert_eq!(parse("SN 2021abc"), Ok(Wanted::Tns("2021abc".into())));
        assert_eq!(parse("AT2024zz"), Ok(Wanted::Tns("2024zz".into())));
        assert_eq!(
            parse("ZTF21abiuvdk"),
            Ok(Wanted::Object("ZTF21abiuvdk".into()))
        );
        assert_eq!(parse("170027301"), Ok(Wanted::Object("170027301".into())));
        assert!(parse(&"x".repeat(500)).is_err());
    }
}

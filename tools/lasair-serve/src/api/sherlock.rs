//! Sherlock's context of an object or a position, computed in-process from the catalogue
//! store, in the shape of Lasair's Sherlock service: `classifications` (name -> [class,
//! description]) and `crossmatches` (best first; only the best when `lite`).

use lasair_context::{Classifier, Context};
use lasair_service::users::User;
use serde_json::{json, Map, Value as Json};

use crate::params::Params;
use crate::reply::ApiError;
use crate::state::App;

fn classifier(app: &App) -> Result<&Classifier, ApiError> {
    app.sherlock
        .as_deref()
        .ok_or_else(|| ApiError::error("This Lasair cluster does not have a Sherlock service"))
}

/// Sherlock's answer, as its service gives it: each name's [class, description], and the
/// crossmatches of them all.
#[derive(Default)]
struct Contexts {
    classifications: Map<String, Json>,
    crossmatches: Vec<Json>,
}

impl Contexts {
    /// Adds the context of (ra, dec) under `name`; with `lite`, only its best crossmatch.
    fn add(
        &mut self,
        sherlock: &Classifier,
        name: &str,
        ra: f64,
        dec: f64,
        lite: bool,
    ) -> Result<(), ApiError> {
        let context: Context = sherlock
            .classify(ra, dec)
            .map_err(|e| ApiError::error(e.to_string()))?;
        self.classifications.insert(
            name.to_owned(),
            json!([context.classification, context.best.description]),
        );
        if context.classification != "ORPHAN" {
            let rest = if lite {
                &[][..]
            } else {
                &context.crossmatches[..]
            };
            self.crossmatches.extend(
                std::iter::once(&context.best)
                    .chain(rest)
                    .map(|x| serde_json::to_value(x).unwrap_or(Json::Null)),
            );
        }
        Ok(())
    }

    fn answer(self) -> Json {
        json!({"classifications": self.classifications, "crossmatches": self.crossmatches})
    }
}

/// The context of each object of `ids`; an unknown one is 404 with Sherlock's message.
fn objects_context(app: &App, ids: &[&str], lite: bool) -> Result<Json, ApiError> {
    let sherlock = classifier(app)?;
    let mut contexts = Contexts::default();
    let mut db = app.db.get()?;
    for id in ids {
        let (ra, dec) = match lasair_service::objects::position(&mut db, id) {
            Ok(p) => p,
            Err(lasair_service::ServiceError::NotFound { .. }) => {
                return Err(ApiError::NotFound(
                    json!({"message": format!("Object {id} not found")}),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        contexts.add(sherlock, id, ra, dec, lite)?;
    }
    Ok(contexts.answer())
}

/// `/api/sherlock/object/`: an object's context, from its position in the main database.
pub fn object(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let id = f.text("objectId", 64, false, false);
    let lite = f.boolean("lite", false);
    f.done()?;
    let (Some(id), Some(lite)) = (id, lite) else {
        return Err(ApiError::Internal("a checked field went missing".into()));
    };
    let catalog = app.db.catalog();
    if let Err(e) = lasair_service::objects::key(catalog, &id) {
        return Err(ApiError::Fields(vec![("objectId".into(), e.to_string())]));
    }
    objects_context(app, &[id.as_str()], lite)
}

/// `/api/sherlock/objects/` (Lasair-ZTF's older route): the context of several objects.
pub fn objects(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let lite = f.boolean("lite", false);
    f.done()?;
    let ids = super::objects::ids(p)?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    objects_context(app, &ids, lite.unwrap_or(false))
}

/// `/api/sherlock/position/`: the context of a position (named `query0`, as Sherlock names
/// an unnamed one).
pub fn position(app: &App, _user: &User, p: &Params) -> Result<Json, ApiError> {
    let mut f = p.fields();
    let ra = f.float("ra", Some(0.0), Some(360.0));
    let dec = f.float("dec", Some(-90.0), Some(90.0));
    let lite = f.boolean("lite", false);
    f.done()?;
    let (Some(ra), Some(dec), Some(lite)) = (ra, dec, lite) else {
        return Err(ApiError::Internal("a checked field went missing".into()));
    };
    let mut contexts = Contexts::default();
    contexts.add(classifier(app)?, "query0", ra, dec, lite)?;
    Ok(contexts.answer())
}

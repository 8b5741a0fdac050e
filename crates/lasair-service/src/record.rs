//! What every service object shares: a row of its own table with an integer key assigned by
//! the database, read by id, listed, switched on and off, deleted. One piece of code for the
//! filters, watchlists and watchmaps alike.

use lasair_db::{Db, Select, Value};

use crate::ServiceError;

/// A service object stored as one row of `TABLE`.
pub trait Record: Sized {
    /// Its table.
    const TABLE: &'static str;
    /// Its integer key, assigned by the database.
    const KEY: &'static str;
    /// The columns read into it, in the order `from_row` takes them.
    const COLUMNS: &'static [&'static str];
    /// The object from a row of `COLUMNS`; `None` for a row that is not one (no key).
    fn from_row(row: &[Value]) -> Option<Self>;
    /// Its fields, in the order of `COLUMNS`: what staff listings and the API show.
    fn fields(&self) -> Vec<Value>;

    /// The one whose key is `id`.
    fn get(db: &mut Db, id: i64) -> Result<Self, ServiceError> {
        let select = Select::from(Self::TABLE)
            .columns(Self::COLUMNS)
            .eq(Self::KEY, id);
        db.select(&select)?
            .rows
            .first()
            .and_then(|r| Self::from_row(r))
            .ok_or_else(|| not_found::<Self>(id))
    }

    /// Every one, by key.
    fn list(db: &mut Db) -> Result<Vec<Self>, ServiceError> {
        select::<Self>(db, Select::from(Self::TABLE))
    }

    /// Every one whose `column` equals `value`, by key.
    fn list_where(db: &mut Db, column: &str, value: Value) -> Result<Vec<Self>, ServiceError> {
        select::<Self>(db, Select::from(Self::TABLE).eq(column, value))
    }

    /// Sets its `active` column (0: muted, kept).
    fn set_active(db: &mut Db, id: i64, active: i64) -> Result<(), ServiceError> {
        let sets = [
            ("active", Value::Int(active)),
            ("date_modified", crate::now().into()),
        ];
        Self::update(db, id, &sets)
    }

    /// Sets columns of its row; refused when there is none.
    fn update(db: &mut Db, id: i64, sets: &[(&str, Value)]) -> Result<(), ServiceError> {
        match db.update_where(Self::TABLE, sets, Self::KEY, &Value::Int(id))? {
            0 => Err(not_found::<Self>(id)),
            _ => Ok(()),
        }
    }

    /// Removes it.
    fn delete(db: &mut Db, id: i64) -> Result<(), ServiceError> {
        match db.delete_where(Self::TABLE, Self::KEY, &Value::Int(id))? {
            0 => Err(not_found::<Self>(id)),
            _ => Ok(()),
        }
    }
}

/// The rows `select` (on `R`'s table) names, as `R`s, by key.
pub(crate) fn select<R: Record>(db: &mut Db, select: Select<'_>) -> Result<Vec<R>, ServiceError> {
    let select = select.columns(R::COLUMNS).order_by(R::KEY);
    Ok(db
        .select(&select)?
        .rows
        .iter()
        .filter_map(|r| R::from_row(r))
        .collect())
}

pub(crate) fn not_found<R: Record>(id: i64) -> ServiceError {
    ServiceError::NotFound {
        table: R::TABLE,
        key: R::KEY,
        id: id.to_string(),
    }
}

/// Reads the cells of a row by position, with the defaults a NULL takes.
pub(crate) struct Cells<'a>(pub &'a [Value]);

impl Cells<'_> {
    pub fn int(&self, i: usize) -> Option<i64> {
        self.0.get(i).and_then(Value::as_i64)
    }
    pub fn real(&self, i: usize) -> Option<f64> {
        self.0.get(i).and_then(Value::as_f64)
    }
    pub fn text(&self, i: usize) -> String {
        self.0
            .get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
    pub fn flag(&self, i: usize) -> bool {
        self.int(i).unwrap_or(0) != 0
    }
}

/// A record a user owns and may share with everyone: a filter, a watchlist, a watchmap.
pub trait Shared: Record {
    /// Its owner's user id.
    fn owner(&self) -> i64;
    /// Whether everyone may see it.
    fn is_public(&self) -> bool;

    /// Saves its name, description, and whether it is public and active, again: a save, so
    /// it is renewed for [`ACTIVE_DAYS`](crate::expiry::ACTIVE_DAYS). (A filter's `active`
    /// says where its results go: it is saved whole, by `Filter::save`.)
    fn save_settings(db: &mut Db, id: i64, settings: &Settings) -> Result<(), ServiceError> {
        let sets = [
            ("name", Value::from(settings.name.as_str())),
            ("description", settings.description.as_str().into()),
            ("public", i64::from(settings.public).into()),
            ("active", i64::from(settings.active).into()),
            ("date_modified", crate::now().into()),
        ];
        Self::update(db, id, &sets)
    }
}

/// What an owner may change of a watchlist or a watchmap.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub name: String,
    pub description: String,
    pub public: bool,
    pub active: bool,
}

macro_rules! shared {
    ($($t:ty),*) => {$(
        impl Shared for $t {
            fn owner(&self) -> i64 {
                self.user_id
            }
            fn is_public(&self) -> bool {
                self.public
            }
        }
    )*};
}
shared!(
    crate::filter::Filter,
    crate::watch::Watchlist,
    crate::watch::Watchmap
);

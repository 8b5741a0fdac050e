//! Lasair's service objects on the main database, typed: users' filters (`filter`), watchlists
//! and watchmaps (`watch`) and the sky sets built from the active ones (`sky`), users and their
//! API tokens (`users`), the pipeline's statistics (`statistics`), an object's position
//! (`objects`) and the runner of users' queries (`query`). Tools, the web server and the
//! mining head all go through here: no SQL is written outside this crate and lasair-db.
//!
//! ```
//! use lasair_db::Db;
//! use lasair_service::filter::{Delivery, Filter, NewFilter};
//! let mut db = Db::open("sqlite::memory:").unwrap();
//! let new = NewFilter::new(7, "Bright SNe", "objects.objectId", "objects", "objects.gmag < 17");
//! let f = Filter::create(&mut db, &new, Some(Delivery::Kafka)).unwrap();
//! assert_eq!(f.topic, "lasair_7BrightSNe");
//! assert_eq!(Filter::active(&mut db).unwrap().len(), 1);
//! ```

pub mod filter;
pub mod objects;
pub mod query;
mod record;
pub mod sky;
pub mod statistics;
pub mod users;
pub mod watch;

use lasair_alert::Survey;
use lasair_db::DbError;
use lasair_sql::catalog::{self, Catalog};
use lasair_sql::SqlError;

pub use record::Record;

/// What went wrong, and with what.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// No row of `table` has this key.
    #[error("no {table} with {key} {id}")]
    NotFound {
        table: &'static str,
        key: &'static str,
        id: String,
    },
    /// A user's query (a filter's, or typed at the API) that the compiler refuses.
    #[error("{what}: {source}")]
    Query {
        /// Which query (`filter "bright"`, `the query`).
        what: String,
        /// Boxed: the compiler's error is large, and this enum is returned everywhere.
        source: Box<SqlError>,
    },
    /// Input refused before anything was written (a name, a file, a radius).
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
}

impl ServiceError {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// The tables of `survey`'s main database: a catalogue is chosen by the survey, never by a
/// string.
pub fn catalog(survey: Survey) -> &'static Catalog {
    match survey {
        Survey::Ztf => &catalog::ZTF,
        Survey::Lsst => &catalog::LSST,
    }
}

/// Now, as the service tables stamp their rows (`YYYY-MM-DD HH:MM:SS`, UTC).
pub(crate) fn now() -> String {
    lasair_alert::time::utc_string(lasair_alert::time::mjd_now())
}

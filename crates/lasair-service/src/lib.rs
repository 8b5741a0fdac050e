//! Lasair's service objects on the main database, typed: users' filters (`filter`), watchlists
//! and watchmaps (`watch`) and the sky sets built from the active ones (`sky`),
//! gravitational-wave maps and their hits (`mma`), users and their API tokens (`users`), the
//! pipeline's statistics (`statistics`), an object's position (`objects`), the runner of users'
//! queries (`query`), and other brokers' classifications read from their streams (`brokers`).
//! Tools, the web server and the
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

pub mod accounts;
pub mod annotations;
pub mod brokers;
pub mod expiry;
pub mod filter;
pub mod mma;
pub mod objects;
pub mod query;
mod record;
pub mod sky;
pub mod statistics;
pub mod tns;
pub mod users;
pub mod watch;

use lasair_alert::Survey;
use lasair_db::{Db, DbError};
use lasair_sql::catalog::{self, Catalog};
use lasair_sql::SqlError;

pub use record::{Record, Settings, Shared};

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

/// Opens the main database at `url` with `survey`'s tables; without a survey, with the tables
/// the database already holds (a database holds one survey's), never a silent default. A
/// database that does not exist yet needs its survey named.
pub fn open(url: &str, survey: Option<Survey>, readonly: bool) -> Result<Db, ServiceError> {
    if let Some(survey) = survey {
        return Ok(Db::open_with(url, catalog(survey), readonly)?);
    }
    let mut shown = None;
    for survey in Survey::ALL {
        // Read-only first, so a guess never creates the other survey's tables.
        match Db::open_with(url, catalog(survey), true) {
            Ok(db) if readonly => return Ok(db),
            Ok(db) => {
                drop(db);
                return Ok(Db::open_with(url, catalog(survey), false)?);
            }
            // The other survey's tables: try the next.
            Err(DbError::Invalid { url, .. }) => shown = Some(url),
            // Absent (a new SQLite file) is for the caller to name; unreachable is an error.
            Err(DbError::Open { url, cause }) if url.starts_with("sqlite:") => {
                shown = Some(format!("{url} ({cause})"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::invalid(
        format!("database {}", shown.unwrap_or_default()),
        "no survey's tables found in it (a new database?): give --survey ztf or lsst",
    ))
}

/// Now, as the service tables stamp their rows (`YYYY-MM-DD HH:MM:SS`, UTC).
pub(crate) fn now() -> String {
    lasair_alert::time::utc_string(lasair_alert::time::mjd_now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_survey_has_its_own_catalogue() {
        assert_eq!(catalog(Survey::Ztf).key, "objectId");
        assert_eq!(catalog(Survey::Lsst).key, "diaObjectId");
    }

    #[test]
    fn a_database_says_which_survey_it_holds() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = |n: &str| format!("sqlite:{}", dir.path().join(n).display());
        drop(open(&url("lsst.db"), Some(Survey::Lsst), false).expect("made as LSST"));
        let db = open(&url("lsst.db"), None, true).expect("found");
        assert_eq!(db.catalog().key, "diaObjectId");
        let db = open(&url("lsst.db"), None, false).expect("found, writable");
        assert_eq!(db.catalog().key, "diaObjectId");
        drop(open(&url("ztf.db"), Some(Survey::Ztf), false).expect("made as ZTF"));
        assert_eq!(
            open(&url("ztf.db"), None, true)
                .expect("found")
                .catalog()
                .key,
            "objectId"
        );
        let err = open(&url("new.db"), None, false).expect_err("no guess");
        assert!(err.to_string().contains("give --survey"), "{err}");
        assert!(!dir.path().join("new.db").exists() || open(&url("new.db"), None, true).is_err());
    }
}

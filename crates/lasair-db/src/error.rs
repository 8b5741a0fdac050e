//! The errors of the database layer; each names the database (its URL without the password)
//! and, where there is one, the table, so a log line says where to look.

use std::time::Duration;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no backend this crate knows, or is malformed.
    #[error("database URL {url}: {reason} (expected sqlite:PATH, sqlite::memory: or mysql://user:pw@host:port/db)")]
    Url {
        /// The URL, password removed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened or reached.
    #[error("opening database {url}: {cause}")]
    Open {
        /// The URL, password removed.
        url: String,
        /// The driver's message.
        cause: String,
    },
    /// The schema in the database is newer than this program.
    #[error("database {url} has schema version {found}, newer than the {known} this program knows: upgrade the program")]
    SchemaTooNew {
        /// The URL, password removed.
        url: String,
        /// The version found in `schema_version`.
        found: i64,
        /// The newest version this code can create.
        known: i64,
    },
    /// A table or column outside the catalogue, or rows of the wrong width.
    #[error("database {url}, table {table}: {reason}")]
    Invalid {
        /// The URL, password removed.
        url: String,
        /// The table asked for.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// The query ran past its time limit and was stopped.
    #[error("database {url}: query stopped after its time limit of {limit:?}; narrow the WHERE clause (an indexed column such as jdmax helps) or ask for fewer rows")]
    Timeout {
        /// The URL, password removed.
        url: String,
        /// The limit it ran into.
        limit: Duration,
    },
    /// Any other error from the database, with what we were doing.
    #[error("database {url}, {doing}: {cause}")]
    Backend {
        /// The URL, password removed.
        url: String,
        /// What we were doing (`upserting into objects`, `running a read-only query`, ...).
        doing: String,
        /// The driver's message.
        cause: String,
    },
}

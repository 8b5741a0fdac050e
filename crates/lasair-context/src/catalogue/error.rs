//! Why a catalogue could not be loaded, listed or searched: each error names the store, the
//! file or the catalogue it is about, and its cause.

use std::path::PathBuf;

/// Why a catalogue could not be loaded, listed or searched.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// A catalogue the search configuration names is not in the store.
    #[error("no catalogue named {0:?} in the store (see `lasair-sherlock catalogue list`)")]
    Unknown(String),
    /// A name that cannot be a catalogue's (it becomes a table name).
    #[error("catalogue name {0:?}: use a lowercase letter then lowercase letters, digits or _")]
    BadName(String),
    /// No store where one must already be.
    #[error("no catalogue store at {} (build one with `lasair-sherlock catalogue add`)", .0.display())]
    NoStore(PathBuf),
    /// The store file cannot be opened.
    #[error("opening catalogue store {}: {cause}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        cause: rusqlite::Error,
    },
    /// A statement on the store failed while `doing` something to `what` (boxed: the
    /// largest variant, and errors travel by value).
    #[error("{doing} {what} in catalogue store {}: {cause}", path.display())]
    Store {
        doing: &'static str,
        what: String,
        path: PathBuf,
        #[source]
        cause: Box<rusqlite::Error>,
    },
    /// A catalogue file that cannot be opened or read past its header.
    #[error("reading catalogue file {}: {cause}", path.display())]
    File { path: PathBuf, cause: String },
    /// A catalogue file that cannot be read further (an I/O error, a corrupt gzip).
    #[error("reading catalogue file {} at line {line}: {cause}", path.display())]
    FileAt {
        path: PathBuf,
        line: u64,
        cause: String,
    },
    /// The mapping names a column the file does not have.
    #[error("loading {name} from {}: {cause}", path.display())]
    Columns {
        name: String,
        path: PathBuf,
        cause: String,
    },
    /// Loaded rows could not be written to the store.
    #[error("writing catalogue {name} to the store: {cause}")]
    Write {
        name: String,
        #[source]
        cause: rusqlite::Error,
    },
    /// A catalogue's positions could not be read into its index.
    #[error("indexing catalogue {name} of {}: {cause}", path.display())]
    Index {
        name: String,
        path: PathBuf,
        #[source]
        cause: rusqlite::Error,
    },
    /// A catalogue's table is not the one the loader wrote.
    #[error("catalogue {name} of {}: rows are not numbered 1, 2, ... (row {row})", path.display())]
    Rows {
        name: String,
        path: PathBuf,
        row: i64,
    },
    /// The matched sources' attributes could not be read.
    #[error("reading catalogue {name} from {} (reopen the searcher if the store was reloaded): {cause}", path.display())]
    Read {
        name: String,
        path: PathBuf,
        #[source]
        cause: rusqlite::Error,
    },
    /// A mapping file that cannot be read.
    #[error("reading {}: {cause}", path.display())]
    MappingRead {
        path: PathBuf,
        #[source]
        cause: std::io::Error,
    },
    /// A mapping file that is not a valid mapping.
    #[error("parsing {}: {cause}", path.display())]
    MappingParse {
        path: PathBuf,
        #[source]
        cause: toml::de::Error,
    },
    /// A mapping file without the catalogue asked for.
    #[error("{} has no [{name}] mapping (it maps: {known})", path.display())]
    NotMapped {
        path: PathBuf,
        name: String,
        known: String,
    },
}

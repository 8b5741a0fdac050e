//! The compiler's errors: each says which clause, where in it, and what was wrong, because
//! the message goes straight back to the astronomer who typed the clause.

use std::fmt;

/// Which of the user's inputs an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    /// The SELECT list.
    Select,
    /// The table list.
    Tables,
    /// The WHERE clause.
    Where,
    /// The ORDER BY list (its own input, or the tail of the WHERE text).
    OrderBy,
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Clause::Select => "SELECT",
            Clause::Tables => "table list",
            Clause::Where => "WHERE",
            Clause::OrderBy => "ORDER BY",
        })
    }
}

/// Why a user's query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// Text refused before parsing: statement separators, comments, NUL.
    #[error("{clause} clause: {what} at byte {offset} is not allowed")]
    ForbiddenText {
        clause: Clause,
        what: &'static str,
        offset: usize,
    },
    /// The clause is longer than the limit.
    #[error("{clause} clause: {len} bytes is longer than the {max} allowed")]
    TooLong {
        clause: Clause,
        len: usize,
        max: usize,
    },
    /// sqlparser could not parse the clause.
    #[error("{clause} clause does not parse: {message}")]
    Parse { clause: Clause, message: String },
    /// The expression nests deeper than the limit.
    #[error("{clause} clause: expression nested deeper than {max} levels{at}")]
    TooDeep {
        clause: Clause,
        max: usize,
        at: Place,
    },
    /// A construct that parses but is not on the whitelist.
    #[error("{clause} clause{at}: {what} is not allowed")]
    NotAllowed {
        clause: Clause,
        what: String,
        at: Place,
    },
    /// A column no table in use has.
    #[error("{clause} clause{at}: unknown column {name}")]
    UnknownColumn {
        clause: Clause,
        name: String,
        at: Place,
    },
    /// An unqualified column that several tables in use have.
    #[error("{clause} clause{at}: column {name} is ambiguous (in {tables}); qualify it")]
    AmbiguousColumn {
        clause: Clause,
        name: String,
        tables: String,
        at: Place,
    },
    /// A function not on the whitelist.
    #[error("{clause} clause{at}: function {name} is not allowed")]
    UnknownFunction {
        clause: Clause,
        name: String,
        at: Place,
    },
    /// A whitelisted function called with the wrong number of arguments.
    #[error("{clause} clause{at}: function {name} takes {expected} arguments, not {got}")]
    Arity {
        clause: Clause,
        name: String,
        expected: String,
        got: usize,
        at: Place,
    },
    /// A table the catalogue does not have, or a malformed table-list entry.
    #[error("table list: unknown table {name}")]
    UnknownTable { name: String },
    /// A malformed table list (duplicates, bad ids or topics).
    #[error("table list: {0}")]
    BadTableList(String),
    /// The compiler could not get the resources it runs with (its thread).
    #[error("cannot start the query compiler: {0}")]
    Resources(String),
    /// An object key a query is narrowed to ([`crate::UserQuery::objects`]) that cannot be one.
    #[error("object key {key:?}: {why}")]
    ObjectKey { key: String, why: String },
    /// The SELECT list is empty.
    #[error("SELECT clause is empty")]
    EmptySelect,
}

/// Where in a clause: a line and column from sqlparser's spans, and the offending text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    /// 1-based line and column, when sqlparser knows them.
    pub line_col: Option<(u64, u64)>,
    /// The offending fragment, shortened.
    pub fragment: String,
}

impl Place {
    /// A place from a span and a fragment of text (shortened to keep messages readable).
    pub(crate) fn new(span: sqlparser::tokenizer::Span, fragment: impl fmt::Display) -> Self {
        let mut fragment = fragment.to_string();
        if let Some((cut, _)) = fragment.char_indices().nth(60) {
            fragment.truncate(cut);
            fragment.push_str("...");
        }
        let line_col = (span.start.line > 0).then_some((span.start.line, span.start.column));
        Place { line_col, fragment }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, col)) = self.line_col {
            write!(f, " at line {line}, column {col}")?;
        }
        if !self.fragment.is_empty() {
            write!(f, " (`{}`)", self.fragment)?;
        }
        Ok(())
    }
}

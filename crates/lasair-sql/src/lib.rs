//! The compiler of Lasair users' SQL: a SELECT list, a table list and a WHERE clause (never
//! whole statements) become one checked statement for SQLite or MariaDB. This is the
//! security boundary: only whitelisted tables, columns, functions and operators get through,
//! and the output is rendered from a checked tree, never from the user's text.
//!
//! ```
//! use lasair_sql::{compile, catalog, Dialect, Limits, UserQuery};
//! let q = UserQuery {
//!     select: "objectId, gmag".into(),
//!     tables: "objects, sherlock_classifications".into(),
//!     conditions: "sherlock_classifications.classification = 'SN' ORDER BY gmag".into(),
//!     ..UserQuery::default()
//! };
//! let compiled = compile(&q, &catalog::ZTF, Dialect::Sqlite, &Limits::default()).unwrap();
//! assert_eq!(compiled.columns, ["objectId", "gmag"]);
//! ```

mod allow;
pub mod catalog;
mod check;
mod clauses;
pub mod error;
mod ir;
mod render;
mod restrict;
pub mod screen;
mod sqlite_fns;
mod tables;
mod types;
pub mod value;

pub use catalog::Catalog;
pub use error::{Clause, Place, SqlError};
pub use render::Dialect;
pub use restrict::ObjectKey;
pub use screen::{Joined, Screen, ScreenBatch};
pub use sqlite_fns::{out_of_range, SqliteFunction, SQLITE_FUNCTIONS};
pub use value::{Rows, Value};

use check::Scope;
use ir::{Checked, Item};

/// What the user typed, as Lasair's forms and API take it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// The SELECT list, e.g. `objects.objectId, objects.gmag AS g`.
    pub select: String,
    /// The table list, e.g. `objects, sherlock_classifications, watchlist:12`.
    pub tables: String,
    /// The WHERE condition, optionally followed by `ORDER BY ...` as Lasair users write it.
    pub conditions: String,
    /// A separate ORDER BY list (with or without the words `ORDER BY`).
    pub order_by: Option<String>,
    /// Rows wanted; capped at [`Limits::max_rows`].
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// Only these objects (`objects.<key> IN (...)`, ANDed with the condition; an empty list
    /// matches nothing): set by the program, never typed by the user, as when a filter runs on
    /// the objects just annotated. Each key must have the key column's type; text is checked
    /// as string literals are.
    pub objects: Option<Vec<ObjectKey>>,
}

/// The limits the compiler enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The most rows a query may return (and the LIMIT when the user gives none).
    pub max_rows: u64,
    /// The longest each clause may be, in bytes.
    pub max_clause_bytes: usize,
    /// The deepest expression nesting (also sqlparser's recursion limit).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 10_000,
            max_clause_bytes: 4096,
            max_depth: 64,
        }
    }
}

/// A checked statement ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    /// The SQL, for the dialect asked for.
    pub sql: String,
    /// The output columns' names (aliases, column names, or the expression's text).
    pub columns: Vec<String>,
    /// The watchlists (`watchlist:N`) and watchmaps (`area:N`) its table list names: who
    /// runs it must own each or it must be public, which the caller checks.
    pub watchlists: Vec<u64>,
    pub watchmaps: Vec<u64>,
    /// The annotator topics (`annotator:TOPIC`) its table list names.
    pub annotators: Vec<String>,
    /// For SQLite, when the query can have one: its [`Screen`], and the statement narrowed
    /// to the objects the screen keeps.
    pub screened: Option<Screened>,
}

/// A query's screen and its statement narrowed to the objects a screen keeps: the same
/// statement with `objects.rowid IN (SELECT value FROM json_each(?1))` ANDed to its
/// condition, `?1` bound to a JSON array of the kept objects' rowids (`lasair_db`'s
/// `Db::object_rowids`). A rowid is found without comparing keys under their collation, at
/// half the cost of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub screen: Screen,
    pub sql: String,
}

/// The stack the compiler runs on. sqlparser builds a flat chain like `a + a + ... + a`
/// without recursion, but printing or measuring that tree (for an error message) recurses
/// once per operator, so the depth is bounded only by the clause length; a clause of
/// `max_clause_bytes` needs far less than this (a few kB per level in debug builds).
const STACK_BYTES: usize = 256 << 20;

/// Checks the user's query against `catalog` and renders it for `dialect`.
///
/// Runs on its own thread with a large stack (reserved, not committed), so no input can
/// overflow the caller's stack.
pub fn compile(
    q: &UserQuery,
    catalog: &Catalog,
    dialect: Dialect,
    limits: &Limits,
) -> Result<CompiledQuery, SqlError> {
    let stack = STACK_BYTES.max(limits.max_clause_bytes.saturating_mul(32 << 10));
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("lasair-sql".into())
            .stack_size(stack)
            .spawn_scoped(s, || compile_here(q, catalog, dialect, limits))
            .map_err(|e| SqlError::Resources(e.to_string()))?;
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn compile_here(
    q: &UserQuery,
    catalog: &Catalog,
    dialect: Dialect,
    limits: &Limits,
) -> Result<CompiledQuery, SqlError> {
    let texts = [
        (Clause::Select, q.select.as_str()),
        (Clause::Tables, q.tables.as_str()),
        (Clause::Where, q.conditions.as_str()),
        (Clause::OrderBy, q.order_by.as_deref().unwrap_or("")),
    ];
    for (clause, text) in texts {
        clauses::prescan(clause, text, limits.max_clause_bytes)?;
    }
    let tables = tables::parse_tables(&q.tables, catalog)?;
    let scope = |clause| Scope {
        tables: &tables,
        max_depth: limits.max_depth,
        clause,
    };
    let items = clauses::select(&q.select, &scope(Clause::Select))?;
    let (mut condition, mut order) = clauses::condition(&q.conditions, &scope(Clause::Where))?;
    if let Some(keys) = &q.objects {
        condition = restrict::narrowed(condition, tables[0].table, catalog.key, keys)?;
    }
    if let Some(text) = q.order_by.as_deref().filter(|t| !t.trim().is_empty()) {
        if !order.is_empty() {
            let what = "ORDER BY both in the WHERE text and on its own".into();
            return Err(SqlError::NotAllowed {
                clause: Clause::OrderBy,
                what,
                at: Place::default(),
            });
        }
        order = clauses::order_by(text, limits.max_depth)?;
    }
    let order = clauses::order_keys(&order, &items, &scope(Clause::OrderBy))?;
    types::check(catalog, &items, condition.as_ref())?;
    let columns = output_columns(&items, &tables);
    let checked = Checked {
        items,
        condition,
        order,
    };
    let limit = q.limit.unwrap_or(limits.max_rows).min(limits.max_rows);
    let statement = |narrowed| {
        render::statement(
            dialect,
            catalog.key,
            &checked,
            &tables,
            limit,
            q.offset,
            narrowed,
        )
    };
    let sql = statement(false);
    let screened = match dialect {
        Dialect::Sqlite => {
            Screen::new(&tables, checked.condition.as_ref()).map(|screen| Screened {
                screen,
                sql: statement(true),
            })
        }
        Dialect::MariaDb => None,
    };
    let (mut watchlists, mut watchmaps, mut annotators) = (Vec::new(), Vec::new(), Vec::new());
    for used in &tables {
        match (&used.restriction, used.table.name) {
            (Some((_, tables::Key::Int(id))), "watchlist_hits") => watchlists.push(*id),
            (Some((_, tables::Key::Int(id))), "area_hits") => watchmaps.push(*id),
            (Some((_, tables::Key::Text(topic))), "annotations") => annotators.push(topic.clone()),
            _ => {}
        }
    }
    Ok(CompiledQuery {
        sql,
        columns,
        watchlists,
        watchmaps,
        annotators,
        screened,
    })
}

fn output_columns(items: &[Item], tables: &[tables::TableUse]) -> Vec<String> {
    let names = |t: &catalog::Table| {
        t.columns
            .iter()
            .map(|c| c.name.to_string())
            .collect::<Vec<_>>()
    };
    items
        .iter()
        .flat_map(|i| match i {
            Item::Expr { name, .. } => vec![name.clone()],
            Item::All => tables.iter().flat_map(|u| names(u.table)).collect(),
            Item::AllOf(t) => tables
                .iter()
                .filter(|u| u.table.name == *t)
                .flat_map(|u| names(u.table))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(select: &str, tables: &str, conditions: &str) -> UserQuery {
        UserQuery {
            select: select.into(),
            tables: tables.into(),
            conditions: conditions.into(),
            ..UserQuery::default()
        }
    }

    #[test]
    fn what_the_backends_answer_differently_is_refused() {
        let refused = |select: &str, conditions: &str| {
            compile(
                &q(select, "", conditions),
                &catalog::ZTF,
                Dialect::Sqlite,
                &Limits::default(),
            )
            .map(|c| c.sql)
            .expect_err(&format!("{select} | {conditions}"))
            .to_string()
        };
        assert!(refused("objectId", "\"ncand\" > 0").contains("text with a number"));
        assert!(refused("objectId", "objects.objectId = 5").contains("text with a number"));
        assert!(refused("objectId", "ncand BETWEEN 'a' AND 'b'").contains("text with a number"));
        assert!(refused("sqrt(objectId)", "").contains("math function of text"));
        assert!(refused("objectId", "-objectId < 0").contains("sign of text"));
        assert!(refused("greatest(objectId, ncand)", "").contains("mixing text"));
        assert!(refused("*, *", "").contains("twice"));
        assert!(refused("objects.*, objects.*", "").contains("twice"));
        assert!(refused("ncand AS a, gmag AS A", "").contains("one name"));
        let accepted = |select: &str, conditions: &str| {
            compile(
                &q(select, "", conditions),
                &catalog::ZTF,
                Dialect::Sqlite,
                &Limits::default(),
            )
            .unwrap_or_else(|e| panic!("{select} | {conditions}: {e}"));
        };
        accepted(
            "objectId",
            "ncand > '5' AND objectId = \"ZTF18abc\" AND gmag IS NULL",
        );
        accepted(
            "objectId, coalesce(gmag, NULL, 20) AS g",
            "objectId LIKE 'ZTF18%' AND NOT ncand > 2",
        );
        accepted(
            "objectId, if(ncand > 2, gmag, rmag) AS m",
            "ncand IN (1, 2, '3')",
        );
    }

    #[test]
    fn output_columns_follow_the_select_list() {
        let c = compile(
            &q("objectId, gmag AS g, gmag - rmag", "", ""),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(c.columns, ["objectId", "g", "gmag - rmag"]);
        let c = compile(
            &q("area_hits.*", "area:7", ""),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(c.columns, ["ar_id", "objectId"]);
        assert!(
            c.sql.contains(r#"AND "area_hits"."ar_id" = 7"#),
            "{}",
            c.sql
        );
        assert_eq!((c.watchmaps, c.watchlists), (vec![7], vec![]));
        let c = compile(
            &q("objectId", "watchlist:3, annotator:fast.v2", ""),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(c.watchlists, [3]);
        assert_eq!(c.annotators, ["fast.v2"]);
        // Lasair's users name an annotator's columns by its topic.
        let by_topic = compile(
            &q(
                "objects.objectId, fastfinder.classification",
                "annotator:fastfinder",
                "fastfinder.classdict IS NOT NULL",
            ),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .unwrap();
        let by_table = compile(
            &q(
                "objects.objectId, annotations.classification",
                "annotator:fastfinder",
                "annotations.classdict IS NOT NULL",
            ),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(by_topic.sql, by_table.sql);
        assert!(compile(
            &q(
                "objects.objectId, slowfinder.classification",
                "annotator:fastfinder",
                ""
            ),
            &catalog::ZTF,
            Dialect::Sqlite,
            &Limits::default(),
        )
        .is_err());
    }

    #[test]
    fn order_by_in_one_place_only() {
        let mut query = q("objectId", "", "ncand > 1 ORDER BY jdmax");
        query.order_by = Some("jdmin".into());
        let err = compile(&query, &catalog::ZTF, Dialect::Sqlite, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("both"), "{err}");
        query.conditions = "ncand > 1".into();
        let sql = compile(&query, &catalog::ZTF, Dialect::MariaDb, &Limits::default())
            .unwrap()
            .sql;
        assert!(
            sql.ends_with("ORDER BY `objects`.`jdmin` LIMIT 10000"),
            "{sql}"
        );
    }

    #[test]
    fn limit_defaults_to_and_is_capped_by_max_rows() {
        let limits = Limits {
            max_rows: 50,
            ..Limits::default()
        };
        let mut query = q("objectId", "", "");
        let sql = |q: &UserQuery| {
            compile(q, &catalog::ZTF, Dialect::Sqlite, &limits)
                .unwrap()
                .sql
        };
        assert!(sql(&query).ends_with("LIMIT 50"));
        (query.limit, query.offset) = (Some(10), Some(20));
        assert!(sql(&query).ends_with("LIMIT 10 OFFSET 20"));
        query.limit = Some(51);
        assert!(sql(&query).ends_with("LIMIT 50 OFFSET 20"));
    }
}

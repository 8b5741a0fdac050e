//! Rendering a checked query as SQL for one dialect. Every composite expression is
//! parenthesised, so the tree's structure, not each dialect's precedence rules, decides.

use std::fmt::Write;

use crate::ir::{BinOp, Checked, ColumnRef, Func, Item, Node, NumType, OrderKey, UnOp};
use crate::tables::{Key, TableUse};

/// The SQL dialect to render for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite; connections must have [`crate::SQLITE_FUNCTIONS`] registered (or be built
    /// with SQLite's math functions, which rusqlite's bundled build is not).
    Sqlite,
    /// MariaDB ≥ 10.4 (and MySQL 8).
    MariaDb,
}

/// Julian date now. MariaDB: `UNIX_TIMESTAMP(NOW(6))` is seconds since the epoch whatever
/// the session time zone (`UNIX_TIMESTAMP(UTC_TIMESTAMP())` would be off by the zone offset).
fn jdnow(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "(julianday('now'))",
        Dialect::MariaDb => "(UNIX_TIMESTAMP(NOW(6)) / 86400.0 + 2440587.5)",
    }
}

pub(crate) fn ident(d: Dialect, name: &str) -> String {
    match d {
        Dialect::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::MariaDb => format!("`{}`", name.replace('`', "``")),
    }
}

/// A string literal; the checker has refused backslashes, so doubling quotes suffices in both.
fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn column(d: Dialect, c: &ColumnRef) -> String {
    format!("{}.{}", ident(d, c.table), ident(d, c.column))
}

/// The whole statement, joining every table to the first on `key`; `limit` is already
/// capped by the caller. `narrowed` (SQLite only) ANDs `<first>.rowid IN (SELECT value FROM
/// json_each(?1))` to the condition: the rows of the objects whose rowids `?1` lists.
pub(crate) fn statement(
    d: Dialect,
    key: &str,
    q: &Checked,
    tables: &[TableUse],
    limit: u64,
    offset: Option<u64>,
    narrowed: bool,
) -> String {
    let items: Vec<String> = q.items.iter().map(|i| item(d, i)).collect();
    let mut sql = format!("SELECT {}", items.join(", "));
    for (i, u) in tables.iter().enumerate() {
        let name = ident(d, u.table.name);
        if i == 0 {
            let _ = write!(sql, " FROM {name}");
            continue;
        }
        let (id, first) = (ident(d, key), ident(d, tables[0].table.name));
        let _ = write!(sql, " JOIN {name} ON {name}.{id} = {first}.{id}");
        if let Some((col, key)) = &u.restriction {
            let value = match key {
                Key::Int(n) => n.to_string(),
                Key::Text(s) => text(s),
            };
            let _ = write!(sql, " AND {name}.{} = {value}", ident(d, col));
        }
    }
    let mut conditions = Vec::new();
    if narrowed {
        let first = ident(d, tables[0].table.name);
        conditions.push(format!(
            "({first}.rowid IN (SELECT value FROM json_each(?1)))"
        ));
    }
    conditions.extend(q.condition.as_ref().map(|c| expr(d, c)));
    if !conditions.is_empty() {
        let _ = write!(sql, " WHERE {}", conditions.join(" AND "));
    }
    if !q.order.is_empty() {
        let keys: Vec<String> = q
            .order
            .iter()
            .map(|(k, desc)| {
                let key = match k {
                    OrderKey::Column(c) => column(d, c),
                    OrderKey::Alias(a) => ident(d, a),
                };
                if *desc {
                    format!("{key} DESC")
                } else {
                    key
                }
            })
            .collect();
        let _ = write!(sql, " ORDER BY {}", keys.join(", "));
    }
    let _ = write!(sql, " LIMIT {limit}");
    if let Some(o) = offset {
        let _ = write!(sql, " OFFSET {o}");
    }
    sql
}

fn item(d: Dialect, i: &Item) -> String {
    match i {
        Item::All => "*".into(),
        Item::AllOf(t) => format!("{}.*", ident(d, t)),
        Item::Expr {
            node,
            alias: Some(a),
            ..
        } => format!("{} AS {}", expr(d, node), ident(d, a)),
        Item::Expr {
            node, alias: None, ..
        } => expr(d, node),
    }
}

pub(crate) fn expr(d: Dialect, n: &Node) -> String {
    let e = |x: &Node| expr(d, x);
    let not = |negated: &bool| if *negated { "NOT " } else { "" };
    match n {
        Node::Column(c) => column(d, c),
        Node::Number(s) => s.clone(),
        Node::Text(s) => text(s),
        Node::Null => "NULL".into(),
        Node::Bool(b) => if *b { "1" } else { "0" }.into(),
        Node::Unary(UnOp::Neg, x) => format!("(-{})", e(x)),
        Node::Unary(UnOp::Plus, x) => e(x),
        Node::Unary(UnOp::Not, x) => format!("(NOT {})", e(x)),
        Node::Binary(l, op, r) => binary(d, &e(l), *op, &e(r)),
        Node::IsNull { expr, negated } => format!("({} IS {}NULL)", e(expr), not(negated)),
        Node::Between {
            expr,
            negated,
            low,
            high,
        } => {
            format!(
                "({} {}BETWEEN {} AND {})",
                e(expr),
                not(negated),
                e(low),
                e(high)
            )
        }
        Node::InList {
            expr,
            negated,
            list,
        } => {
            let list: Vec<String> = list.iter().map(e).collect();
            format!("({} {}IN ({}))", e(expr), not(negated), list.join(", "))
        }
        Node::Like {
            expr,
            negated,
            pattern,
        } => format!("({} {}LIKE {})", e(expr), not(negated), e(pattern)),
        Node::Cast(x, t) => {
            let ty = match (d, t) {
                (Dialect::Sqlite, NumType::Integer) => "INTEGER",
                (Dialect::Sqlite, NumType::Real) => "REAL",
                (Dialect::MariaDb, NumType::Integer) => "SIGNED",
                (Dialect::MariaDb, NumType::Real) => "DOUBLE",
            };
            format!("CAST({} AS {ty})", e(x))
        }
        Node::Call(f, args) => call(d, *f, &args.iter().map(e).collect::<Vec<_>>()),
    }
}

fn binary(d: Dialect, l: &str, op: BinOp, r: &str) -> String {
    let sym = match op {
        // SQLite divides integers as integers; MariaDB gives a decimal. Same answers: force real.
        BinOp::Div if d == Dialect::Sqlite => return format!("(1.0 * {l} / {r})"),
        // SQLite's % truncates its operands to integers; mod() keeps fractions, as MariaDB does.
        BinOp::Mod => return format!("MOD({l}, {r})"),
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Eq => "=",
        BinOp::Ne => "<>",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::And => "AND",
        BinOp::Or => "OR",
    };
    format!("({l} {sym} {r})")
}

fn call(d: Dialect, f: Func, a: &[String]) -> String {
    let sqlite = d == Dialect::Sqlite;
    let name = match f {
        Func::JdNow => return jdnow(d).into(),
        Func::MjdNow => return format!("({} - 2400000.5)", jdnow(d)),
        // Lasair's LSST fluxes are in nJy: AB mag = -2.5 log10(f / 3631 Jy) = 31.4 - 2.5 log10(f).
        Func::Flux2Mag => return format!("(31.4 - 2.5 * LOG10({}))", a.join(", ")),
        Func::If => match a {
            [c, t, f] => return format!("(CASE WHEN {c} THEN {t} ELSE {f} END)"),
            _ => "IF", // unreachable: the checker enforces three arguments
        },
        // MySQL's one-argument log is natural; SQLite's is base 10, so say ln.
        Func::Log if a.len() == 1 => "LN",
        Func::Log => "LOG",
        Func::Least if sqlite => "MIN",
        Func::Greatest if sqlite => "MAX",
        Func::Least => "LEAST",
        Func::Greatest => "GREATEST",
        Func::Abs => "ABS",
        Func::Sqrt => "SQRT",
        Func::Pow => "POWER",
        Func::Log10 => "LOG10",
        Func::Exp => "EXP",
        Func::Floor => "FLOOR",
        Func::Ceil => "CEIL",
        Func::Round => "ROUND",
        Func::Coalesce => "COALESCE",
        Func::IfNull => "IFNULL",
        Func::Sin => "SIN",
        Func::Cos => "COS",
        Func::Tan => "TAN",
        Func::Asin => "ASIN",
        Func::Acos => "ACOS",
        Func::Atan => "ATAN",
        Func::Atan2 => "ATAN2",
        Func::Radians => "RADIANS",
        Func::Degrees => "DEGREES",
    };
    format!("{name}({})", a.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::check;

    fn both(text: &str) -> (String, String) {
        let node = check("", text).unwrap();
        (expr(Dialect::Sqlite, &node), expr(Dialect::MariaDb, &node))
    }

    #[test]
    fn dialects_differ_where_they_must() {
        let (s, m) = both("gmag / 2");
        assert_eq!(s, r#"(1.0 * "objects"."gmag" / 2)"#);
        assert_eq!(m, "(`objects`.`gmag` / 2)");
        assert_eq!(both("least(1, 2)").0, "MIN(1, 2)");
        assert_eq!(both("greatest(1, 2)").1, "GREATEST(1, 2)");
        assert_eq!(both("log(gmag)").0, r#"LN("objects"."gmag")"#);
        assert_eq!(both("mjdnow()").0, "((julianday('now')) - 2400000.5)");
        assert_eq!(both("flux2mag(1)").1, "(31.4 - 2.5 * LOG10(1))");
        assert_eq!(both("if(1, 2, 3)").1, "(CASE WHEN 1 THEN 2 ELSE 3 END)");
        assert_eq!(both("TRUE").0, "1");
    }

    #[test]
    fn the_tree_decides_precedence() {
        assert_eq!(both("1 + 2 * 3").1, "(1 + (2 * 3))");
        assert_eq!(both("(1 + 2) * 3").1, "((1 + 2) * 3)");
        assert_eq!(both("NOT ncand > 1 OR ncand < 0").1.matches('(').count(), 4);
    }

    #[test]
    fn negation_never_makes_a_comment() {
        let (s, m) = both("- (- 1) - (- 1)");
        assert!(!s.contains("--") && !m.contains("--"), "{s} {m}");
        assert_eq!(both("'it''s'").0, "'it''s'");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident(Dialect::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(ident(Dialect::MariaDb, "a`b"), "`a``b`");
    }
}

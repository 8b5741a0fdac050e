//! Parsing the user's three texts: refusing forbidden text first, then parsing each as the
//! fragment it must be (a projection, an expression, an ORDER BY list) up to the very end,
//! so nothing the user typed can become another clause or statement.

use sqlparser::ast::{Expr, OrderByExpr, OrderBySort, SelectItem, SelectItemQualifiedWildcardKind};
use sqlparser::ast::{ObjectNamePart, Spanned, WildcardAdditionalOptions};
use sqlparser::dialect::MySqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use crate::check::Scope;
use crate::error::{Clause, Place, SqlError};
use crate::ir::{Item, Node, OrderKey};

static DIALECT: MySqlDialect = MySqlDialect {};
const MAX_ALIAS: usize = 64;

/// Refuses what must never reach the parser: statement separators, comment starts, NUL and
/// control characters (the fullwidth semicolon too, in case a later layer folds it).
pub(crate) fn prescan(clause: Clause, text: &str, max: usize) -> Result<(), SqlError> {
    if text.len() > max {
        return Err(SqlError::TooLong {
            clause,
            len: text.len(),
            max,
        });
    }
    let bytes = text.as_bytes();
    for (offset, c) in text.char_indices() {
        let next = bytes.get(offset + 1).copied();
        let what = match (c, next) {
            (';', _) => "a statement separator `;`",
            ('\u{FF1B}', _) => "a fullwidth semicolon",
            ('#', _) => "a comment `#`",
            ('-', Some(b'-')) => "a comment `--`",
            ('/', Some(b'*')) => "a comment `/*`",
            ('*', Some(b'/')) => "a comment end `*/`",
            ('\0', _) => "a NUL character",
            // Backslash escapes differ between MariaDB modes and SQLite; no clause needs one.
            ('\\', _) => "a backslash",
            (c, _) if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => "a control character",
            _ => continue,
        };
        return Err(SqlError::ForbiddenText {
            clause,
            what,
            offset,
        });
    }
    Ok(())
}

fn parser(clause: Clause, text: &str, max_depth: usize) -> Result<Parser<'static>, SqlError> {
    Parser::new(&DIALECT)
        .with_recursion_limit(max_depth)
        .try_with_sql(text)
        .map_err(|e| parse_error(clause, max_depth, e))
}

fn parse_error(clause: Clause, max: usize, e: ParserError) -> SqlError {
    match e {
        ParserError::RecursionLimitExceeded => SqlError::TooDeep {
            clause,
            max,
            at: Place::default(),
        },
        other => SqlError::Parse {
            clause,
            message: other.to_string(),
        },
    }
}

/// Refuses anything after the fragment: this is what stops `1 UNION SELECT ...`.
fn expect_end(clause: Clause, p: &Parser) -> Result<(), SqlError> {
    let next = p.peek_token();
    if next.token == Token::EOF {
        return Ok(());
    }
    let what = format!("`{}` after the end of the {clause} clause", next.token);
    Err(SqlError::NotAllowed {
        clause,
        what,
        at: Place::new(next.span, ""),
    })
}

/// Parses and checks the SELECT list.
pub(crate) fn select(text: &str, scope: &Scope) -> Result<Vec<Item>, SqlError> {
    if text.trim().is_empty() {
        return Err(SqlError::EmptySelect);
    }
    let mut p = parser(Clause::Select, text, scope.max_depth)?;
    let items = p
        .parse_projection()
        .map_err(|e| parse_error(Clause::Select, scope.max_depth, e))?;
    expect_end(Clause::Select, &p)?;
    items.iter().map(|i| item(i, scope)).collect()
}

fn item(i: &SelectItem, scope: &Scope) -> Result<Item, SqlError> {
    let refuse = |what: &str| SqlError::NotAllowed {
        clause: Clause::Select,
        what: what.into(),
        at: Place::new(i.span(), i),
    };
    match i {
        SelectItem::UnnamedExpr(e) => {
            let node = scope.expr(e)?;
            let name = match &node {
                Node::Column(c) => c.column.to_string(),
                _ => e.to_string(),
            };
            Ok(Item::Expr {
                node,
                alias: None,
                name,
            })
        }
        SelectItem::ExprWithAlias { expr, alias } => {
            let plain =
                matches!(alias.quote_style, None | Some('`')) && is_plain_name(&alias.value);
            if !plain {
                return Err(refuse(
                    "an alias that is not a plain name (letters, digits, _)",
                ));
            }
            let node = scope.expr(expr)?;
            Ok(Item::Expr {
                node,
                alias: Some(alias.value.clone()),
                name: alias.value.clone(),
            })
        }
        SelectItem::Wildcard(o) if plain_wildcard(o) => Ok(Item::All),
        SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), o)
            if plain_wildcard(o) =>
        {
            let used = match n.0.as_slice() {
                [ObjectNamePart::Identifier(id)] => scope
                    .tables
                    .iter()
                    .find(|u| u.table.name.eq_ignore_ascii_case(&id.value)),
                _ => None,
            };
            used.map(|u| Item::AllOf(u.table.name))
                .ok_or_else(|| refuse(&format!("{n}.* (not a table in the table list)")))
        }
        _ => Err(refuse("this kind of SELECT item")),
    }
}

fn plain_wildcard(o: &WildcardAdditionalOptions) -> bool {
    o.opt_ilike.is_none()
        && o.opt_exclude.is_none()
        && o.opt_except.is_none()
        && o.opt_replace.is_none()
        && o.opt_rename.is_none()
        && o.opt_alias.is_none()
}

pub(crate) fn is_plain_name(s: &str) -> bool {
    let mut b = s.bytes();
    let first = b
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_');
    first && s.len() <= MAX_ALIAS && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses the WHERE text: an optional condition, then an optional `ORDER BY` as Lasair
/// users append it. Returns the condition and the raw ORDER BY list.
pub(crate) fn condition(
    text: &str,
    scope: &Scope,
) -> Result<(Option<Node>, Vec<OrderByExpr>), SqlError> {
    if text.trim().is_empty() {
        return Ok((None, Vec::new()));
    }
    let mut p = parser(Clause::Where, text, scope.max_depth)?;
    let mut node = None;
    if !p.parse_keywords(&[Keyword::ORDER, Keyword::BY]) {
        let e: Expr = p
            .parse_expr()
            .map_err(|e| parse_error(Clause::Where, scope.max_depth, e))?;
        node = Some(scope.expr(&e)?);
        if !p.parse_keywords(&[Keyword::ORDER, Keyword::BY]) {
            expect_end(Clause::Where, &p)?;
            return Ok((node, Vec::new()));
        }
    }
    let order = order_list(&mut p, Clause::OrderBy, scope.max_depth)?;
    Ok((node, order))
}

/// Parses a separate ORDER BY input (with or without the leading `ORDER BY`).
pub(crate) fn order_by(text: &str, max_depth: usize) -> Result<Vec<OrderByExpr>, SqlError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut p = parser(Clause::OrderBy, text, max_depth)?;
    let _ = p.parse_keywords(&[Keyword::ORDER, Keyword::BY]);
    order_list(&mut p, Clause::OrderBy, max_depth)
}

fn order_list(p: &mut Parser, clause: Clause, max: usize) -> Result<Vec<OrderByExpr>, SqlError> {
    let list = p
        .parse_comma_separated(Parser::parse_order_by_expr)
        .map_err(|e| parse_error(clause, max, e))?;
    expect_end(clause, p)?;
    Ok(list)
}

/// Checks ORDER BY keys: a SELECT alias or a column, then ASC or DESC, nothing else.
pub(crate) fn order_keys(
    list: &[OrderByExpr],
    items: &[Item],
    scope: &Scope,
) -> Result<Vec<(OrderKey, bool)>, SqlError> {
    list.iter().map(|o| order_key(o, items, scope)).collect()
}

fn order_key(o: &OrderByExpr, items: &[Item], scope: &Scope) -> Result<(OrderKey, bool), SqlError> {
    let refuse = |what: &str| SqlError::NotAllowed {
        clause: Clause::OrderBy,
        what: what.into(),
        at: Place::new(o.expr.span(), o),
    };
    let desc = match o.options.sort {
        None | Some(OrderBySort::Asc) => false,
        Some(OrderBySort::Desc) => true,
        Some(OrderBySort::Using(_)) => return Err(refuse("USING")),
    };
    if o.options.nulls_first.is_some() || o.with_fill.is_some() {
        return Err(refuse("NULLS FIRST/LAST or WITH FILL"));
    }
    if let Expr::Identifier(id) = &o.expr {
        let alias = items.iter().find_map(|i| match i {
            Item::Expr { alias: Some(a), .. } if a.eq_ignore_ascii_case(&id.value) => Some(a),
            _ => None,
        });
        if let Some(a) = alias {
            return Ok((OrderKey::Alias(a.clone()), desc));
        }
    }
    if !matches!(o.expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
        return Err(refuse("an ORDER BY key that is not a column or an alias"));
    }
    match scope.expr(&o.expr)? {
        Node::Column(c) => Ok((OrderKey::Column(c), desc)),
        _ => Err(refuse("an ORDER BY key that is not a column or an alias")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ZTF;
    use crate::tables::parse_tables;

    #[test]
    fn prescan_reports_what_and_where() {
        let err = |t: &str| prescan(Clause::Where, t, 100).unwrap_err();
        let at = |t: &str| match err(t) {
            SqlError::ForbiddenText { offset, what, .. } => (offset, what),
            other => panic!("{other:?}"),
        };
        assert_eq!(at("a = 1; b").0, 5);
        assert_eq!(at("a --1").1, "a comment `--`"); // users write a - -1 or a - (-1)
        assert_eq!(at("a = 'x/*'").0, 6);
        assert_eq!(at("a\u{7}").1, "a control character");
        assert!(prescan(Clause::Where, "a\n\t= 1 - 1 / 2 * 3", 100).is_ok());
        assert!(matches!(err(&"x".repeat(101)), SqlError::TooLong { .. }));
    }

    #[test]
    fn where_text_may_end_with_order_by() {
        let tables = parse_tables("", &ZTF).unwrap();
        let scope = Scope {
            tables: &tables,
            max_depth: 20,
            clause: Clause::Where,
        };
        let (cond, order) = condition("ncand > 1 ORDER BY jdmax DESC", &scope).unwrap();
        assert!(cond.is_some());
        assert_eq!(order.len(), 1);
        let (cond, order) = condition("order by jdmax", &scope).unwrap();
        assert!(cond.is_none() && order.len() == 1);
        assert!(condition("ncand > 1 ORDER BY jdmax LIMIT 1", &scope).is_err());
        assert_eq!(order_by("ORDER BY a, b DESC", 20).unwrap().len(), 2);
        assert_eq!(order_by("a ASC", 20).unwrap().len(), 1);
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("g_minus_r2"));
        assert!(is_plain_name("_x"));
        assert!(!is_plain_name("2x"));
        assert!(!is_plain_name("a b"));
        assert!(!is_plain_name(""));
        assert!(!is_plain_name(&"a".repeat(65)));
    }
}

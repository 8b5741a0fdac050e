//! The whitelist: turns sqlparser's expressions into checked nodes, refusing everything
//! not explicitly allowed (the AST has hundreds of variants; only a dozen pass).

use sqlparser::ast::{CastKind, Expr, Ident, InTarget, Spanned};

use crate::error::{Clause, Place, SqlError};
use crate::ir::{ColumnRef, Node};
use crate::tables::TableUse;

/// What names resolve against, and how deep expressions may nest.
pub(crate) struct Scope<'a> {
    pub tables: &'a [TableUse],
    pub max_depth: usize,
    pub clause: Clause,
}

pub(crate) fn place(e: &Expr) -> Place {
    Place::new(e.span(), e)
}

impl Scope<'_> {
    pub(crate) fn refuse(&self, e: &Expr, what: impl Into<String>) -> SqlError {
        SqlError::NotAllowed {
            clause: self.clause,
            what: what.into(),
            at: place(e),
        }
    }

    /// Checks one expression.
    pub(crate) fn expr(&self, e: &Expr) -> Result<Node, SqlError> {
        self.walk(e, 0)
    }

    pub(crate) fn walk(&self, e: &Expr, depth: usize) -> Result<Node, SqlError> {
        if depth > self.max_depth {
            let (clause, max) = (self.clause, self.max_depth);
            return Err(SqlError::TooDeep {
                clause,
                max,
                at: place(e),
            });
        }
        let sub = |x: &Expr| self.walk(x, depth + 1).map(Box::new);
        Ok(match e {
            Expr::Identifier(id) => Node::Column(self.column(None, id, e)?),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [t, c] => Node::Column(self.column(Some(t), c, e)?),
                _ => return Err(self.refuse(e, "a name with more than two parts")),
            },
            Expr::Value(v) => self.literal(&v.value, e)?,
            Expr::Nested(inner) => return self.walk(inner, depth + 1),
            Expr::UnaryOp { op, expr } => Node::Unary(self.unop(*op, e)?, sub(expr)?),
            Expr::BinaryOp { left, op, right } => {
                Node::Binary(sub(left)?, self.binop(op, e)?, sub(right)?)
            }
            Expr::IsNull(x) => Node::IsNull {
                expr: sub(x)?,
                negated: false,
            },
            Expr::IsNotNull(x) => Node::IsNull {
                expr: sub(x)?,
                negated: true,
            },
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => Node::Between {
                expr: sub(expr)?,
                negated: *negated,
                low: sub(low)?,
                high: sub(high)?,
            },
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated,
                global: false,
            } => {
                let list = list
                    .iter()
                    .map(|x| self.list_literal(x))
                    .collect::<Result<_, _>>()?;
                Node::InList {
                    expr: sub(expr)?,
                    negated: *negated,
                    list,
                }
            }
            Expr::In { .. } => {
                return Err(self.refuse(e, "IN with anything but a list of literals"))
            }
            Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => Node::Like {
                expr: sub(expr)?,
                negated: *negated,
                pattern: sub(pattern)?,
            },
            Expr::Function(f) => self.function(f, e, depth)?,
            Expr::Cast {
                kind: CastKind::Cast,
                expr,
                data_type,
                format: None,
            } => Node::Cast(sub(expr)?, self.num_type(data_type, e)?),
            Expr::Subquery(_) | Expr::Exists { .. } => return Err(self.refuse(e, "a subquery")),
            other => return Err(self.refuse(e, kind_of(other))),
        })
    }

    fn column(&self, table: Option<&Ident>, name: &Ident, e: &Expr) -> Result<ColumnRef, SqlError> {
        for id in table.into_iter().chain([name]) {
            if !matches!(id.quote_style, None | Some('`')) {
                return Err(self.refuse(e, format!("the quoted name {id}")));
            }
        }
        let (clause, at) = (self.clause, place(e));
        if let Some(t) = table {
            let Some(used) = self
                .tables
                .iter()
                .find(|u| u.table.name.eq_ignore_ascii_case(&t.value) || u.is_annotator(&t.value))
            else {
                return Err(self.refuse(e, format!("table {} (not in the table list)", t.value)));
            };
            return match used.table.column(&name.value) {
                Some(c) => Ok(ColumnRef {
                    table: used.table.name,
                    column: c.name,
                }),
                None => Err(SqlError::UnknownColumn {
                    clause,
                    name: e.to_string(),
                    at,
                }),
            };
        }
        // objects is always joined and every other table joins it on the object key, so an
        // unqualified objects column means the objects one, as Lasair users expect.
        let mut found = self
            .tables
            .iter()
            .filter_map(|u| Some((u.table.name, u.table.column(&name.value)?)));
        let all: Vec<_> = found.by_ref().collect();
        match all.as_slice() {
            [] => Err(SqlError::UnknownColumn {
                clause,
                name: name.value.clone(),
                at,
            }),
            [(t, c), ..] if *t == "objects" || all.len() == 1 => Ok(ColumnRef {
                table: t,
                column: c.name,
            }),
            _ => {
                let tables = all.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ");
                Err(SqlError::AmbiguousColumn {
                    clause,
                    name: name.value.clone(),
                    tables,
                    at,
                })
            }
        }
    }
}

/// A readable name for a refused expression: its variant name (`Case`, `Interval`, ...).
fn kind_of(e: &Expr) -> String {
    let debug = format!("{e:?}");
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    format!("a {} expression", &debug[..end])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::ZTF;
    use crate::tables::parse_tables;
    use sqlparser::dialect::MySqlDialect;
    use sqlparser::parser::Parser;

    /// Checks one WHERE-style expression against the tables of `list`.
    pub(crate) fn check(list: &str, text: &str) -> Result<Node, SqlError> {
        let tables = parse_tables(list, &ZTF).unwrap();
        let scope = Scope {
            tables: &tables,
            max_depth: 20,
            clause: Clause::Where,
        };
        let e = Parser::new(&MySqlDialect {})
            .try_with_sql(text)
            .unwrap()
            .parse_expr()
            .unwrap();
        scope.expr(&e)
    }

    fn column(list: &str, text: &str) -> (&'static str, &'static str) {
        match check(list, text) {
            Ok(Node::Column(c)) => (c.table, c.column),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn columns_resolve_to_catalogue_spelling() {
        assert_eq!(column("", "GMAG"), ("objects", "gmag"));
        assert_eq!(column("", "`objectid`"), ("objects", "objectId"));
        assert_eq!(
            column("sherlock_classifications", "objectId"),
            ("objects", "objectId")
        );
        let sherlock = ("sherlock_classifications", "classification");
        assert_eq!(
            column("sherlock_classifications", "classification"),
            sherlock
        );
        assert_eq!(
            column(
                "sherlock_classifications",
                "Sherlock_Classifications.CLASSIFICATION"
            ),
            sherlock
        );
    }

    #[test]
    fn unknown_ambiguous_and_unlisted_names_are_refused() {
        let both = "sherlock_classifications, annotator:x";
        assert!(matches!(
            check(both, "classification"),
            Err(SqlError::AmbiguousColumn { .. })
        ));
        assert!(matches!(
            check("", "classification"),
            Err(SqlError::UnknownColumn { .. })
        ));
        let err = check("", "sherlock_classifications.z")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not in the table list"), "{err}");
        assert!(matches!(
            check("", "objects.password"),
            Err(SqlError::UnknownColumn { .. })
        ));
    }

    #[test]
    fn depth_is_counted() {
        assert!(check("", &format!("{}1{}", "(".repeat(15), ")".repeat(15))).is_ok());
        let flat = format!("1{}", " + 1".repeat(30));
        assert!(matches!(check("", &flat), Err(SqlError::TooDeep { .. })));
    }
}

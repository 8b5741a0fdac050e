//! The kinds of the checked expressions (number or text), so that what SQLite and MariaDB
//! would answer differently is refused instead: text compared with a number (`'ncand' > 0` is
//! true on SQLite, false on MariaDB, which turns the text into 0), arithmetic and math
//! functions on text (MariaDB reads `sqrt('ZTF18abc')` as `sqrt(0)`, SQLite fails).

use crate::catalog::{Catalog, ColType};
use crate::error::{Clause, Place, SqlError};
use crate::ir::{BinOp, Func, Item, Node, UnOp};

/// What an expression yields, as far as both backends agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Text,
    /// NULL, or a value whose kind follows its use.
    Any,
}

struct Kinds<'a> {
    catalog: &'a Catalog,
    clause: Clause,
}

impl Kinds<'_> {
    fn refuse(&self, what: String) -> SqlError {
        SqlError::NotAllowed {
            clause: self.clause,
            what,
            at: Place::default(),
        }
    }

    /// Both kinds, when they can meet (one of them unknown, or the same).
    fn meet(&self, a: Kind, b: Kind, doing: &str) -> Result<Kind, SqlError> {
        match (a, b) {
            (Kind::Any, k) | (k, Kind::Any) => Ok(k),
            (a, b) if a == b => Ok(a),
            _ => Err(self.refuse(format!(
                "{doing} text with a number (SQLite and MariaDB answer that differently: compare \
                 a text column with 'text' and a number column with a number)"
            ))),
        }
    }

    fn number(&self, k: Kind, doing: &str) -> Result<(), SqlError> {
        match k {
            Kind::Text => Err(self.refuse(format!("{doing} of text (only numbers)"))),
            _ => Ok(()),
        }
    }

    fn kind(&self, node: &Node) -> Result<Kind, SqlError> {
        Ok(match node {
            Node::Column(c) => match self
                .catalog
                .table(c.table)
                .and_then(|t| t.column(c.column))
                .map(|c| c.ty)
            {
                Some(ColType::Text) => Kind::Text,
                Some(_) => Kind::Number,
                None => Kind::Any,
            },
            Node::Number(_) | Node::Bool(_) => Kind::Number,
            // Text that reads as a number is compared as one by both backends ('5' = 5).
            Node::Text(t) if t.trim().parse::<f64>().is_ok() => Kind::Any,
            Node::Text(_) => Kind::Text,
            Node::Null => Kind::Any,
            Node::Unary(UnOp::Not, x) => {
                self.kind(x)?;
                Kind::Number
            }
            Node::Unary(_, x) => {
                self.number(self.kind(x)?, "a sign")?;
                Kind::Number
            }
            Node::Binary(a, op, b) => {
                let (a, b) = (self.kind(a)?, self.kind(b)?);
                match op {
                    BinOp::And | BinOp::Or => {}
                    BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        self.meet(a, b, "comparing")?;
                    }
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                        self.number(a, "arithmetic")?;
                        self.number(b, "arithmetic")?;
                    }
                }
                Kind::Number
            }
            Node::IsNull { expr, .. } => {
                self.kind(expr)?;
                Kind::Number
            }
            Node::Between {
                expr, low, high, ..
            } => {
                let k = self.kind(expr)?;
                self.meet(k, self.kind(low)?, "comparing")?;
                self.meet(k, self.kind(high)?, "comparing")?;
                Kind::Number
            }
            Node::InList { expr, list, .. } => {
                let k = self.kind(expr)?;
                for item in list {
                    self.meet(k, self.kind(item)?, "comparing")?;
                }
                Kind::Number
            }
            Node::Like { expr, pattern, .. } => {
                self.kind(expr)?;
                self.kind(pattern)?;
                Kind::Number
            }
            Node::Cast(x, _) => {
                self.kind(x)?;
                Kind::Number
            }
            Node::Call(func, args) => self.call(*func, args)?,
        })
    }

    fn call(&self, func: Func, args: &[Node]) -> Result<Kind, SqlError> {
        let kinds = args
            .iter()
            .map(|a| self.kind(a))
            .collect::<Result<Vec<_>, _>>()?;
        match func {
            // The result is one of the arguments: they must agree.
            Func::Least | Func::Greatest | Func::Coalesce | Func::IfNull => kinds
                .into_iter()
                .try_fold(Kind::Any, |acc, k| self.meet(acc, k, "mixing")),
            Func::If => match kinds.as_slice() {
                [_, a, b] => self.meet(*a, *b, "mixing"),
                _ => Ok(Kind::Any),
            },
            _ => {
                for k in kinds {
                    self.number(k, "a math function")?;
                }
                Ok(Kind::Number)
            }
        }
    }
}

/// Refuses the SELECT items and the condition where the two backends would disagree.
pub(crate) fn check(
    catalog: &Catalog,
    items: &[Item],
    condition: Option<&Node>,
) -> Result<(), SqlError> {
    let select = Kinds {
        catalog,
        clause: Clause::Select,
    };
    // The same columns twice (`*, *`, `objects.*, objects.*`): MariaDB refuses the
    // statement, SQLite answers it.
    let stars: Vec<Option<&str>> = items
        .iter()
        .filter_map(|i| match i {
            Item::All => Some(None),
            Item::AllOf(t) => Some(Some(*t)),
            Item::Expr { .. } => None,
        })
        .collect();
    for (i, a) in stars.iter().enumerate() {
        if stars[..i]
            .iter()
            .any(|b| a.is_none() || b.is_none() || a == b)
        {
            return Err(select
                .refuse("the same columns twice (`*` and `*`, or a table's `*` twice)".into()));
        }
    }
    // Aliases that differ only by case: one name to MariaDB, two to SQLite.
    let aliases: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Expr { alias: Some(a), .. } => Some(a.as_str()),
            _ => None,
        })
        .collect();
    for (i, a) in aliases.iter().enumerate() {
        if let Some(b) = aliases[..i].iter().find(|b| b.eq_ignore_ascii_case(a)) {
            return Err(select.refuse(format!(
                "the aliases {b} and {a}, which are one name (case does not count)"
            )));
        }
    }
    for item in items {
        if let Item::Expr { node, .. } = item {
            select.kind(node)?;
        }
    }
    if let Some(node) = condition {
        Kinds {
            catalog,
            clause: Clause::Where,
        }
        .kind(node)?;
    }
    Ok(())
}

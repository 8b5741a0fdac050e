//! Narrowing a query to given objects: `objects.<key> IN (...)` ANDed with the user's
//! condition, for a filter run on the objects just annotated. The keys come from the program,
//! not the user, and are checked all the same: each must have the key column's type, and text
//! must be a plain literal, so the list is rendered by the same code, the same way, in both
//! dialects.

use crate::allow::{is_plain_text, NOT_PLAIN_TEXT};
use crate::catalog::{ColType, Table};
use crate::error::SqlError;
use crate::ir::{BinOp, ColumnRef, Node, UnOp};
use crate::Value;

/// An object's key, as a query is narrowed by it ([`crate::UserQuery::objects`]): a ZTF name
/// or an LSST diaObjectId.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKey {
    Int(i64),
    Text(String),
}

impl From<i64> for ObjectKey {
    fn from(v: i64) -> Self {
        ObjectKey::Int(v)
    }
}

impl From<&str> for ObjectKey {
    fn from(v: &str) -> Self {
        ObjectKey::Text(v.to_owned())
    }
}

/// A key value read from a database or checked by the services: an integer or text.
impl TryFrom<Value> for ObjectKey {
    type Error = Value;
    fn try_from(v: Value) -> Result<ObjectKey, Value> {
        match v {
            Value::Int(i) => Ok(ObjectKey::Int(i)),
            Value::Text(t) => Ok(ObjectKey::Text(t)),
            other => Err(other),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectKey::Int(i) => write!(f, "{i}"),
            ObjectKey::Text(t) => f.write_str(t),
        }
    }
}

/// `condition` narrowed to the rows of `objects` whose `key` is one of `keys` (none: no
/// rows).
pub(crate) fn narrowed(
    condition: Option<Node>,
    objects: &'static Table,
    key: &'static str,
    keys: &[ObjectKey],
) -> Result<Option<Node>, SqlError> {
    let ty = objects.column(key).map_or(ColType::Text, |c| c.ty);
    let list = keys
        .iter()
        .map(|k| literal(k, ty, key))
        .collect::<Result<Vec<Node>, SqlError>>()?;
    let only = if list.is_empty() {
        Node::Bool(false)
    } else {
        Node::InList {
            expr: Box::new(Node::Column(ColumnRef {
                table: objects.name,
                column: key,
            })),
            negated: false,
            list,
        }
    };
    Ok(Some(match condition {
        Some(c) => Node::Binary(Box::new(only), BinOp::And, Box::new(c)),
        None => only,
    }))
}

fn literal(k: &ObjectKey, ty: ColType, column: &str) -> Result<Node, SqlError> {
    let refused = |why: String| SqlError::ObjectKey {
        key: k.to_string(),
        why,
    };
    match (k, ty) {
        (ObjectKey::Int(i), ColType::Int) => {
            let digits = Node::Number(i.unsigned_abs().to_string());
            Ok(if *i < 0 {
                Node::Unary(UnOp::Neg, Box::new(digits))
            } else {
                digits
            })
        }
        (ObjectKey::Text(t), ColType::Text) if is_plain_text(t) => Ok(Node::Text(t.clone())),
        (ObjectKey::Text(_), ColType::Text) => Err(refused(NOT_PLAIN_TEXT.into())),
        (_, ColType::Int) => Err(refused(format!("{column} is an integer"))),
        _ => Err(refused(format!("{column} is text"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::{catalog, compile, Dialect, Limits, ObjectKey, UserQuery};

    fn sql(
        cat: &catalog::Catalog,
        d: Dialect,
        conditions: &str,
        keys: Vec<ObjectKey>,
    ) -> Result<String, crate::SqlError> {
        let q = UserQuery {
            select: format!("objects.{}", cat.key),
            tables: "objects".into(),
            conditions: conditions.into(),
            objects: Some(keys),
            ..UserQuery::default()
        };
        compile(&q, cat, d, &Limits::default()).map(|c| c.sql)
    }

    #[test]
    fn the_objects_are_anded_with_the_condition_in_both_dialects() {
        let keys = vec!["ZTF1a".into(), "ZTF2b".into()];
        let s = sql(
            &catalog::ZTF,
            Dialect::Sqlite,
            "ncand > 1 OR ncand < 0",
            keys,
        )
        .unwrap();
        assert!(
            s.contains(r#"WHERE (("objects"."objectId" IN ('ZTF1a', 'ZTF2b')) AND (("objects"."ncand" > 1) OR ("objects"."ncand" < 0)))"#),
            "{s}"
        );
        let keys = vec![ObjectKey::Int(313_853_259_557_322_802), ObjectKey::Int(-4)];
        let s = sql(&catalog::LSST, Dialect::MariaDb, "", keys).unwrap();
        assert!(
            s.contains("WHERE (`objects`.`diaObjectId` IN (313853259557322802, (-4))) LIMIT"),
            "{s}"
        );
        let none = sql(&catalog::ZTF, Dialect::MariaDb, "ncand > 1", vec![]).unwrap();
        assert!(none.contains("WHERE (0 AND"), "{none}");
    }

    #[test]
    fn keys_of_the_wrong_type_or_not_plain_are_refused() {
        let err = |cat, k: ObjectKey| {
            sql(cat, Dialect::MariaDb, "", vec![k])
                .unwrap_err()
                .to_string()
        };
        assert!(err(&catalog::ZTF, "a\\' OR 1 -- ".into()).contains("backslash"));
        assert!(err(&catalog::ZTF, "x\ny".into()).contains("control"));
        assert!(err(&catalog::ZTF, 7.into()).contains("objectId is text"));
        assert!(err(&catalog::LSST, "7".into()).contains("diaObjectId is an integer"));
        // A quote alone is doubled, as in any literal: a value, never SQL.
        let s = sql(
            &catalog::ZTF,
            Dialect::Sqlite,
            "",
            vec!["a' OR '1'='1".into()],
        )
        .unwrap();
        assert!(s.contains("IN ('a'' OR ''1''=''1')"), "{s}");
    }
}

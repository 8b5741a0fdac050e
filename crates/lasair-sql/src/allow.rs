//! The whitelist's leaves: which literals, operators, CAST targets and function calls pass,
//! each refused with what it was (split from `check` to keep both short).

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    ObjectNamePart, UnaryOperator, Value,
};

use crate::check::{place, Scope};
use crate::error::SqlError;
use crate::ir::{BinOp, Node, NumType, UnOp, FUNCTIONS};

/// Whether `s` may stand in a string literal. Backslashes mean different things in MariaDB and
/// SQLite; refusing them keeps a literal's value the same in both. ASCII only keeps the
/// rendered SQL ASCII, so no connection character set can reinterpret the bytes around a quote.
pub(crate) fn is_plain_text(s: &str) -> bool {
    !s.chars()
        .any(|c| c == '\\' || c.is_control() || !c.is_ascii())
}

/// What a string that is not [`is_plain_text`] is called in messages.
pub(crate) const NOT_PLAIN_TEXT: &str = "a string with a backslash, control or non-ASCII character";

impl Scope<'_> {
    pub(crate) fn literal(&self, v: &Value, e: &Expr) -> Result<Node, SqlError> {
        match v {
            Value::Number(n, false) if is_plain_number(n) => Ok(Node::Number(n.clone())),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                if !is_plain_text(s) {
                    return Err(self.refuse(e, NOT_PLAIN_TEXT));
                }
                Ok(Node::Text(s.clone()))
            }
            Value::Boolean(b) => Ok(Node::Bool(*b)),
            Value::Null => Ok(Node::Null),
            Value::Placeholder(_) => Err(self.refuse(e, "a placeholder")),
            _ => Err(self.refuse(e, "this kind of literal")),
        }
    }

    pub(crate) fn list_literal(&self, e: &Expr) -> Result<Node, SqlError> {
        match e {
            Expr::Value(v) => self.literal(&v.value, e),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => match expr.as_ref() {
                Expr::Value(v) if matches!(v.value, Value::Number(..)) => {
                    Ok(Node::Unary(UnOp::Neg, Box::new(self.literal(&v.value, e)?)))
                }
                _ => Err(self.refuse(e, "an IN list item that is not a literal")),
            },
            _ => Err(self.refuse(e, "an IN list item that is not a literal")),
        }
    }

    pub(crate) fn unop(&self, op: UnaryOperator, e: &Expr) -> Result<UnOp, SqlError> {
        match op {
            UnaryOperator::Minus => Ok(UnOp::Neg),
            UnaryOperator::Plus => Ok(UnOp::Plus),
            UnaryOperator::Not => Ok(UnOp::Not),
            other => Err(self.refuse(e, format!("the operator {other}"))),
        }
    }

    pub(crate) fn binop(&self, op: &BinaryOperator, e: &Expr) -> Result<BinOp, SqlError> {
        use BinaryOperator as B;
        Ok(match op {
            B::Plus => BinOp::Add,
            B::Minus => BinOp::Sub,
            B::Multiply => BinOp::Mul,
            B::Divide => BinOp::Div,
            B::Modulo => BinOp::Mod,
            B::Eq => BinOp::Eq,
            B::NotEq => BinOp::Ne,
            B::Lt => BinOp::Lt,
            B::LtEq => BinOp::Le,
            B::Gt => BinOp::Gt,
            B::GtEq => BinOp::Ge,
            B::And => BinOp::And,
            B::Or => BinOp::Or,
            other => return Err(self.refuse(e, format!("the operator {other}"))),
        })
    }

    pub(crate) fn num_type(&self, t: &DataType, e: &Expr) -> Result<NumType, SqlError> {
        use DataType as D;
        match t {
            D::Int(_) | D::Integer(_) | D::BigInt(_) | D::Signed | D::SignedInteger => {
                Ok(NumType::Integer)
            }
            D::Unsigned | D::UnsignedInteger => Ok(NumType::Integer),
            D::Float(_) | D::Real | D::Double(_) | D::DoublePrecision => Ok(NumType::Real),
            D::Decimal(_) | D::Numeric(_) => Ok(NumType::Real),
            other => Err(self.refuse(e, format!("CAST to {other} (only numeric types)"))),
        }
    }

    pub(crate) fn function(&self, f: &Function, e: &Expr, depth: usize) -> Result<Node, SqlError> {
        let (clause, at) = (self.clause, place(e));
        let name = match f.name.0.as_slice() {
            [ObjectNamePart::Identifier(id)] if id.quote_style.is_none() => {
                id.value.to_ascii_lowercase()
            }
            _ => {
                return Err(SqlError::UnknownFunction {
                    clause,
                    name: f.name.to_string(),
                    at,
                })
            }
        };
        let Some(&(_, func, min, max)) = FUNCTIONS.iter().find(|(n, ..)| *n == name) else {
            return Err(SqlError::UnknownFunction {
                clause,
                name: f.name.to_string(),
                at,
            });
        };
        let plain = !f.uses_odbc_syntax
            && matches!(f.parameters, FunctionArguments::None)
            && f.within_group.is_empty()
            && f.filter.is_none()
            && f.null_treatment.is_none()
            && f.over.is_none();
        let list = match &f.args {
            FunctionArguments::List(l)
                if plain && l.duplicate_treatment.is_none() && l.clauses.is_empty() =>
            {
                l
            }
            _ => return Err(self.refuse(e, format!("{name} with anything but plain arguments"))),
        };
        let mut args = Vec::with_capacity(list.args.len());
        for arg in &list.args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => {
                    args.push(self.walk(x, depth + 1)?)
                }
                _ => return Err(self.refuse(e, format!("the argument {arg} of {name}"))),
            }
        }
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (a, b) if a == b => a.to_string(),
                (a, usize::MAX) => format!("{a} or more"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(SqlError::Arity {
                clause,
                name,
                expected,
                got: args.len(),
                at,
            });
        }
        Ok(Node::Call(func, args))
    }
}

/// Digits, at most one point, an optional exponent: what both dialects read the same way.
fn is_plain_number(n: &str) -> bool {
    let (mantissa, exp) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], Some(&n[i + 1..])),
        None => (n, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let points = mantissa.bytes().filter(|b| *b == b'.').count();
    let mantissa_ok = digits > 0 && points <= 1 && digits + points == mantissa.len();
    let exp_ok = exp.is_none_or(|x| {
        let x = x.strip_prefix(['+', '-']).unwrap_or(x);
        !x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::check;

    #[test]
    fn plain_numbers_only() {
        for ok in ["1", "1.5", ".5", "5.", "1e9", "3631E-9", "2.5e+3"] {
            assert!(is_plain_number(ok), "{ok}");
        }
        for bad in ["", ".", "1e", "1e1234", "0x10", "1.2.3", "1_000", "1e+"] {
            assert!(!is_plain_number(bad), "{bad}");
        }
    }

    #[test]
    fn functions_check_names_and_arity() {
        assert!(matches!(
            check("", "POW(gmag, 2)"),
            Ok(Node::Call(crate::ir::Func::Pow, _))
        ));
        assert!(check("", "jdnow()").is_ok());
        let err = check("", "jdnow(1)").unwrap_err().to_string();
        assert!(err.contains("takes 0 arguments, not 1"), "{err}");
        let err = check("", "least(1)").unwrap_err().to_string();
        assert!(err.contains("2 or more"), "{err}");
        assert!(matches!(
            check("", "md5(1)"),
            Err(SqlError::UnknownFunction { .. })
        ));
        assert!(matches!(
            check("", "`abs`(1)"),
            Err(SqlError::UnknownFunction { .. })
        ));
        assert!(check("", "abs(DISTINCT gmag)").is_err());
    }

    #[test]
    fn literals_casts_and_operators() {
        assert!(check("", "ncand IN (1, -2, 3.5, 'x', NULL)").is_ok());
        assert!(check("", "ncand IN (1, ncand)").is_err());
        assert!(check("", "CAST(gmag AS SIGNED) + CAST(ncand AS DOUBLE) > 0").is_ok());
        assert!(check("", "CAST(gmag AS CHAR)").is_err());
        assert!(check("", "ssnamenr = 'café'")
            .unwrap_err()
            .to_string()
            .contains("non-ASCII"));
        assert!(check("", "gmag ^ 2")
            .unwrap_err()
            .to_string()
            .contains("operator"));
        assert!(check("", "ssnamenr || 'x'").is_err());
    }
}

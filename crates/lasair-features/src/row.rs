//! Rows aligned with a catalogue table, filled by column name: the name is looked up at
//! compile time, so a misspelt column does not build and the order is the catalogue's.

use lasair_sql::catalog::Column;
use lasair_sql::Value;

/// The position of column `name` in `columns`; a compile error when used in a constant and
/// the column does not exist.
pub(crate) const fn index(columns: &[Column], name: &str) -> usize {
    let mut i = 0;
    while i < columns.len() {
        if same(columns[i].name.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("no such column in the catalogue");
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Sets `$row[column $name of $table]` to `$value`.
macro_rules! set {
    ($row:expr, $table:expr, $name:literal, $value:expr) => {{
        const I: usize = $crate::row::index($table.columns, $name);
        $row[I] = $value;
    }};
}
pub(crate) use set;

/// A float column's value: NULL when absent or not finite (SQL has no NaN).
pub(crate) fn real(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite()).map_or(Value::Null, Value::Real)
}

/// An integer column's value from a count.
pub(crate) fn count(n: usize) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A text column's value.
pub(crate) fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF_OBJECTS;

    #[test]
    fn columns_are_found_by_exact_name() {
        assert_eq!(index(ZTF_OBJECTS.columns, "objectId"), 0);
        let last = ZTF_OBJECTS.columns.len() - 1;
        assert_eq!(index(ZTF_OBJECTS.columns, "ssnamenr"), last);
        let mut row = vec![Value::Null; ZTF_OBJECTS.columns.len()];
        set!(row, ZTF_OBJECTS, "ncand", count(3));
        assert_eq!(row[1], Value::Int(3));
    }

    #[test]
    fn non_finite_reals_are_null() {
        assert_eq!(real(Some(f64::NAN)), Value::Null);
        assert_eq!(real(Some(f64::INFINITY)), Value::Null);
        assert_eq!(real(None), Value::Null);
        assert_eq!(real(Some(1.5)), Value::Real(1.5));
    }
}

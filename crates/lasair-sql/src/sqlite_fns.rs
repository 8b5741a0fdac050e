//! The math functions the SQLite rendering calls but a SQLite build may lack (rusqlite's
//! bundled build is compiled without SQLITE_ENABLE_MATH_FUNCTIONS): their names, arities
//! and Rust definitions, so a database crate registers them on each connection and SQLite
//! answers as MariaDB does (NULL in, NULL out; NULL for domain errors and division by zero;
//! an error, "out of range", for a result too large for a double, as MariaDB's ERROR 1690).

/// One scalar function to register on SQLite connections.
#[derive(Debug, Clone, Copy)]
pub struct SqliteFunction {
    /// The name the rendered SQL calls.
    pub name: &'static str,
    /// The number of arguments.
    pub args: usize,
    /// The value for non-NULL arguments (as reals); `None` gives SQL NULL; an infinite
    /// value is an overflow, which the registering code reports as an error (see
    /// [`out_of_range`]).
    pub eval: fn(&[f64]) -> Option<f64>,
}

/// A domain error (NaN) is NULL; an overflow stays infinite, for the caller to refuse.
fn defined(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// The error for a function whose value overflowed, worded as MariaDB's ERROR 1690.
pub fn out_of_range(name: &str, value: f64) -> Option<String> {
    value.is_infinite().then(|| {
        format!(
            "DOUBLE value is out of range in '{}'",
            name.to_ascii_lowercase()
        )
    })
}

fn one(a: &[f64], f: fn(f64) -> f64) -> Option<f64> {
    match a {
        [x] => defined(f(*x)),
        _ => None,
    }
}

fn two(a: &[f64], f: fn(f64, f64) -> f64) -> Option<f64> {
    match a {
        [x, y] => defined(f(*x, *y)),
        _ => None,
    }
}

/// Logarithms of non-positive numbers are NULL, as in MariaDB.
fn positive(a: &[f64]) -> bool {
    a.iter().all(|x| *x > 0.0)
}

/// Every function the SQLite rendering may call beyond SQLite's core set.
pub const SQLITE_FUNCTIONS: &[SqliteFunction] = &[
    SqliteFunction {
        name: "SQRT",
        args: 1,
        eval: |a| one(a, f64::sqrt),
    },
    SqliteFunction {
        name: "POWER",
        args: 2,
        eval: |a| two(a, f64::powf),
    },
    SqliteFunction {
        name: "LN",
        args: 1,
        eval: |a| positive(a).then(|| one(a, f64::ln))?,
    },
    SqliteFunction {
        name: "LOG",
        args: 2,
        eval: |a| positive(a).then(|| two(a, |b, x| x.ln() / b.ln()))?,
    },
    SqliteFunction {
        name: "LOG10",
        args: 1,
        eval: |a| positive(a).then(|| one(a, f64::log10))?,
    },
    SqliteFunction {
        name: "EXP",
        args: 1,
        eval: |a| one(a, f64::exp),
    },
    SqliteFunction {
        name: "FLOOR",
        args: 1,
        eval: |a| one(a, f64::floor),
    },
    SqliteFunction {
        name: "CEIL",
        args: 1,
        eval: |a| one(a, f64::ceil),
    },
    // Rust's % is fmod: the sign of the dividend, as MariaDB's MOD.
    SqliteFunction {
        name: "MOD",
        args: 2,
        eval: |a| two(a, |x, y| x % y),
    },
    SqliteFunction {
        name: "SIN",
        args: 1,
        eval: |a| one(a, f64::sin),
    },
    SqliteFunction {
        name: "COS",
        args: 1,
        eval: |a| one(a, f64::cos),
    },
    SqliteFunction {
        name: "TAN",
        args: 1,
        eval: |a| one(a, f64::tan),
    },
    SqliteFunction {
        name: "ASIN",
        args: 1,
        eval: |a| one(a, f64::asin),
    },
    SqliteFunction {
        name: "ACOS",
        args: 1,
        eval: |a| one(a, f64::acos),
    },
    SqliteFunction {
        name: "ATAN",
        args: 1,
        eval: |a| one(a, f64::atan),
    },
    SqliteFunction {
        name: "ATAN2",
        args: 2,
        eval: |a| two(a, f64::atan2),
    },
    SqliteFunction {
        name: "RADIANS",
        args: 1,
        eval: |a| one(a, f64::to_radians),
    },
    SqliteFunction {
        name: "DEGREES",
        args: 1,
        eval: |a| one(a, f64::to_degrees),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[f64]) -> Option<f64> {
        let f = SQLITE_FUNCTIONS.iter().find(|f| f.name == name).unwrap();
        assert_eq!(f.args, args.len());
        (f.eval)(args)
    }

    #[test]
    fn values_and_nulls_match_mariadb() {
        assert_eq!(call("LOG", &[2.0, 8.0]), Some(3.0));
        assert_eq!(call("LOG10", &[1000.0]), Some(3.0));
        assert_eq!(call("LN", &[0.0]), None);
        assert_eq!(call("SQRT", &[-1.0]), None);
        assert_eq!(call("MOD", &[7.5, 2.0]), Some(1.5));
        assert_eq!(call("MOD", &[-7.0, 2.0]), Some(-1.0));
        assert_eq!(call("MOD", &[1.0, 0.0]), None);
        assert_eq!(call("POWER", &[2.0, 10.0]), Some(1024.0));
        assert_eq!(call("ASIN", &[2.0]), None);
        let big = call("POWER", &[10.0, 400.0]).expect("a value");
        assert_eq!(
            out_of_range("POWER", big).as_deref(),
            Some("DOUBLE value is out of range in 'power'")
        );
        assert_eq!(out_of_range("POWER", 1.0), None);
    }
}

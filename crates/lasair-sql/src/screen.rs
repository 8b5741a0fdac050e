//! A filter's screen: its condition evaluated in memory on each object of a batch, before
//! SQLite runs the filter on the batch database, so that SQLite reads only the objects that
//! may match (and none at all for a filter no object of the batch can match).
//!
//! The screen never decides a row in: it only rules rows out, and only where the answer is
//! certain. What it cannot evaluate exactly as SQLite does (arithmetic, LIKE, CAST, text
//! compared with a number, a column of a hits table, a value stored with another type than
//! its column's) is unknown, and an unknown part keeps the object. SQLite, run on the kept
//! objects, stays the one judge of which rows match, so a screen can only make a filter
//! faster, never change its rows. A condition calling a function gets no screen: a function
//! may fail on a row (an overflow is an error), and SQLite's failure must not be skipped.

use std::cmp::Ordering;

use crate::catalog::ColType;
use crate::ir::{BinOp, Node, UnOp};
use crate::tables::{Key, TableUse};
use crate::Value;

/// The batch tables a screen knows: the object's own row, its Sherlock row (one at most),
/// and its hits (any number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Objects,
    Sherlock,
    WatchlistHits,
    AreaHits,
    MmaAreaHits,
}

impl Joined {
    fn of(table: &str) -> Option<Joined> {
        Some(match table {
            "objects" => Joined::Objects,
            "sherlock_classifications" => Joined::Sherlock,
            "watchlist_hits" => Joined::WatchlistHits,
            "area_hits" => Joined::AreaHits,
            "mma_area_hits" => Joined::MmaAreaHits,
            _ => return None,
        })
    }

    /// Whether an object has one row of this table at most.
    fn one_row(self) -> bool {
        matches!(self, Joined::Objects | Joined::Sherlock)
    }
}

/// A batch's objects as screens read them: the columns the screens use, each as one
/// vector (a screen's comparisons then run down a column), with the joined rows each object
/// has.
#[derive(Debug)]
pub struct ScreenBatch<'a> {
    len: usize,
    /// Whether each object has a Sherlock row.
    sherlock: Vec<bool>,
    /// Each object's hits, with their ids.
    hits: Vec<&'a [(Joined, i64)]>,
    columns: Vec<((Joined, usize), Column<'a>)>,
}

/// One column of a batch: its values, and beside them each number a double holds exactly
/// (`NaN` where the value is not such a number), for comparisons run down the column.
#[derive(Debug)]
struct Column<'a> {
    values: Vec<V<'a>>,
    numbers: Vec<f64>,
}

/// Integers up to this size are doubles exactly.
const EXACT: i64 = 1 << 53;

/// A value as a double, when it is a number a double holds exactly.
fn exact(v: V<'_>) -> Option<f64> {
    match v {
        V::Real(x) => Some(x),
        V::Int(i) if (-EXACT..=EXACT).contains(&i) => Some(i as f64),
        _ => None,
    }
}

impl<'a> ScreenBatch<'a> {
    /// The batch of `objects` (rows of `objects` in the catalogue's column order), with each
    /// one's Sherlock row and hits (as many as objects), holding the columns `screens` use.
    pub fn new<'s>(
        objects: &'a [Vec<Value>],
        sherlock: &[Option<&'a [Value]>],
        hits: Vec<&'a [(Joined, i64)]>,
        screens: impl IntoIterator<Item = &'s Screen>,
    ) -> ScreenBatch<'a> {
        let mut batch = ScreenBatch {
            len: objects.len(),
            sherlock: sherlock.iter().map(Option::is_some).collect(),
            hits,
            columns: Vec::new(),
        };
        let mut used = Vec::new();
        for s in screens {
            if let Some(c) = &s.condition {
                c.columns(&mut used);
            }
        }
        for (table, index, ty) in used {
            if batch.column((table, index)).is_some() {
                continue;
            }
            let cell = |i: usize| -> V<'a> {
                let row = match table {
                    Joined::Objects => Some(&objects[i][..]),
                    _ => sherlock.get(i).copied().flatten(),
                };
                row.and_then(|r| r.get(index))
                    .map_or(V::Unknown, |v| stored(v, ty))
            };
            let values: Vec<V<'a>> = (0..batch.len).map(cell).collect();
            let numbers = values
                .iter()
                .map(|v| exact(*v).unwrap_or(f64::NAN))
                .collect();
            batch
                .columns
                .push(((table, index), Column { values, numbers }));
        }
        batch
    }

    fn column(&self, at: (Joined, usize)) -> Option<&Column<'a>> {
        self.columns.iter().find(|(c, _)| *c == at).map(|(_, c)| c)
    }

    fn has(&self, i: usize, table: Joined, id: Option<i64>) -> bool {
        match table {
            Joined::Objects => true,
            Joined::Sherlock => self.sherlock[i],
            _ => self.hits[i]
                .iter()
                .any(|&(t, h)| t == table && id.is_none_or(|id| id == h)),
        }
    }
}

/// A compiled filter's screen (see the module's documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// The joined tables an object must have a row of (with the id the table list fixes).
    needs: Vec<(Joined, Option<i64>)>,
    condition: Option<Expr>,
}

/// A comparison with its sides swapped: `k < x` is `x > k`.
fn flipped(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

/// The condition with its columns resolved to places in the rows.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Column {
        table: Joined,
        index: usize,
        ty: ColType,
    },
    Int(i64),
    Real(f64),
    Text(String),
    Null,
    Unknown,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// A comparison; `nocase` when a text column takes part (the batch database's text
    /// columns are `COLLATE NOCASE`).
    Compare(Box<Expr>, BinOp, Box<Expr>, bool),
    IsNull(Box<Expr>, bool),
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        nocase: bool,
    },
}

/// A value as SQLite would hold it, or unknown to the screen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V<'a> {
    Int(i64),
    Real(f64),
    Text(&'a str),
    Null,
    Unknown,
}

impl Screen {
    /// The screen of a query over `tables` with `condition`, or `None` when it cannot have
    /// one: its first table is not `objects`, it joins a table the screen does not know or
    /// fixes a text id, or its condition calls a function.
    pub(crate) fn new(tables: &[TableUse], condition: Option<&Node>) -> Option<Screen> {
        if tables.first()?.table.name != "objects" {
            return None;
        }
        let mut needs = Vec::new();
        for u in tables {
            let joined = Joined::of(u.table.name)?;
            let id = match &u.restriction {
                None => None,
                Some((_, Key::Int(id))) => Some(i64::try_from(*id).ok()?),
                Some((_, Key::Text(_))) => return None,
            };
            if joined != Joined::Objects {
                needs.push((joined, id));
            }
        }
        let condition = match condition {
            Some(c) => Some(resolve(c, tables)?),
            None => None,
        };
        Some(Screen { needs, condition })
    }

    /// The places in `batch` of the objects SQLite may return a row of: every object but
    /// those it certainly returns none of.
    pub fn keep(&self, batch: &ScreenBatch<'_>) -> Vec<usize> {
        let truths = match &self.condition {
            Some(c) => truths(c, batch),
            None => vec![TRUE; batch.len],
        };
        (0..batch.len)
            .filter(|&i| truths[i] != FALSE && truths[i] != NULL)
            .filter(|&i| self.needs.iter().all(|&(t, id)| batch.has(i, t, id)))
            .collect()
    }
}

/// The condition resolved, or `None` when it calls a function or names a table the screen
/// does not know.
fn resolve(n: &Node, tables: &[TableUse]) -> Option<Expr> {
    let r = |x: &Node| resolve(x, tables).map(Box::new);
    Some(match n {
        Node::Column(c) => {
            let joined = Joined::of(c.table)?;
            let table = tables.iter().find(|u| u.table.name == c.table)?.table;
            match table.columns.iter().position(|col| col.name == c.column) {
                Some(index) if joined.one_row() => Expr::Column {
                    table: joined,
                    index,
                    ty: table.columns[index].ty,
                },
                _ => Expr::Unknown,
            }
        }
        Node::Number(s) => number(s),
        Node::Text(t) => Expr::Text(t.clone()),
        Node::Null => Expr::Null,
        Node::Bool(b) => Expr::Int(i64::from(*b)),
        Node::Unary(UnOp::Neg, x) => match resolve(x, tables)? {
            Expr::Int(i) => i.checked_neg().map_or(Expr::Real(-(i as f64)), Expr::Int),
            Expr::Real(x) => Expr::Real(-x),
            other => Expr::Neg(Box::new(other)),
        },
        Node::Unary(UnOp::Plus, x) => resolve(x, tables)?,
        Node::Unary(UnOp::Not, x) => Expr::Not(r(x)?),
        Node::Binary(a, op, b) => {
            let (a, b) = (r(a)?, r(b)?);
            match op {
                BinOp::And => Expr::And(a, b),
                BinOp::Or => Expr::Or(a, b),
                BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    let nocase = is_text_column(&a) || is_text_column(&b);
                    Expr::Compare(a, *op, b, nocase)
                }
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => Expr::Unknown,
            }
        }
        Node::IsNull { expr, negated } => Expr::IsNull(r(expr)?, *negated),
        Node::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let (x, low, high) = (r(expr)?, r(low)?, r(high)?);
            let nocase = is_text_column(&x);
            let within = Expr::And(
                Box::new(Expr::Compare(x.clone(), BinOp::Ge, low, nocase)),
                Box::new(Expr::Compare(x, BinOp::Le, high, nocase)),
            );
            if *negated {
                Expr::Not(Box::new(within))
            } else {
                within
            }
        }
        Node::InList {
            expr,
            negated,
            list,
        } => {
            let expr = r(expr)?;
            Expr::In {
                nocase: is_text_column(&expr),
                list: list
                    .iter()
                    .map(|x| resolve(x, tables))
                    .collect::<Option<_>>()?,
                expr,
                negated: *negated,
            }
        }
        Node::Like { expr, pattern, .. } => {
            r(expr)?;
            r(pattern)?;
            Expr::Unknown
        }
        Node::Cast(x, _) => {
            r(x)?;
            Expr::Unknown
        }
        Node::Call(..) => return None,
    })
}

fn is_text_column(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Column {
            ty: ColType::Text,
            ..
        }
    )
}

/// A numeric literal as SQLite reads it: an integer when it has no point or exponent and
/// fits, else a real.
fn number(s: &str) -> Expr {
    let integral = !s.contains(['.', 'e', 'E']);
    match (integral, s.parse::<i64>(), s.parse::<f64>()) {
        (true, Ok(i), _) => Expr::Int(i),
        (_, _, Ok(x)) if x.is_finite() => Expr::Real(x),
        _ => Expr::Unknown,
    }
}

/// A stored value as SQLite holds it in a column of type `ty`, or unknown where the column's
/// affinity would have changed it in a way the screen does not follow.
fn stored(v: &Value, ty: ColType) -> V<'_> {
    match (v, ty) {
        (Value::Null, _) => V::Null,
        (Value::Text(t), ColType::Text) => V::Text(t),
        (Value::Text(_), _) | (_, ColType::Text) => V::Unknown,
        (Value::Real(x), _) if !x.is_finite() => V::Unknown,
        // A REAL column holds an integer as a real.
        (Value::Int(i), ColType::Real) => V::Real(*i as f64),
        (Value::Int(i), _) => V::Int(*i),
        (Value::Real(x), _) => V::Real(*x),
    }
}

/// A truth as a WHERE clause sees it, or unknown to the screen.
const FALSE: u8 = 0;
const TRUE: u8 = 1;
const NULL: u8 = 2;
const UNKNOWN: u8 = 3;

fn code(v: V<'_>) -> u8 {
    match truth(v) {
        V::Int(0) => FALSE,
        V::Int(_) => TRUE,
        V::Null => NULL,
        _ => UNKNOWN,
    }
}

#[inline]
fn and(a: u8, b: u8) -> u8 {
    if a == FALSE || b == FALSE {
        FALSE
    } else if a == UNKNOWN || b == UNKNOWN {
        UNKNOWN
    } else if a == NULL || b == NULL {
        NULL
    } else {
        TRUE
    }
}

#[inline]
fn or(a: u8, b: u8) -> u8 {
    if a == TRUE || b == TRUE {
        TRUE
    } else if a == UNKNOWN || b == UNKNOWN {
        UNKNOWN
    } else if a == NULL || b == NULL {
        NULL
    } else {
        FALSE
    }
}

/// The truth of `e` for every object of `batch`: a column compared with a constant runs down
/// the column; what else the screen evaluates, object by object.
fn truths(e: &Expr, batch: &ScreenBatch<'_>) -> Vec<u8> {
    match e {
        Expr::And(a, b) => {
            let (mut a, b) = (truths(a, batch), truths(b, batch));
            a.iter_mut().zip(&b).for_each(|(a, &b)| *a = and(*a, b));
            a
        }
        Expr::Or(a, b) => {
            let (mut a, b) = (truths(a, batch), truths(b, batch));
            a.iter_mut().zip(&b).for_each(|(a, &b)| *a = or(*a, b));
            a
        }
        Expr::Not(x) => truths(x, batch).into_iter().map(not).collect(),
        Expr::Compare(a, op, b, nocase) => {
            let column = |x: &Expr| match x {
                Expr::Column { table, index, .. } => batch.column((*table, *index)),
                _ => None,
            };
            match (column(a), constant(b), constant(a), column(b)) {
                (Some(c), Some(k), _, _) => down(c, *op, k, *nocase),
                (_, _, Some(k), Some(c)) => down(c, flipped(*op), k, *nocase),
                _ => (0..batch.len).map(|i| code(eval(e, batch, i))).collect(),
            }
        }
        // A column in a list of constants: each constant down the column, ORed.
        Expr::In {
            expr,
            list,
            negated,
            nocase,
        } if !list.is_empty() && list.iter().all(|x| constant(x).is_some()) => {
            let Some(c) = (match &**expr {
                Expr::Column { table, index, .. } => batch.column((*table, *index)),
                _ => None,
            }) else {
                return (0..batch.len).map(|i| code(eval(e, batch, i))).collect();
            };
            let mut found = vec![FALSE; batch.len];
            for k in list.iter().filter_map(constant) {
                for (f, t) in found.iter_mut().zip(down(c, BinOp::Eq, k, *nocase)) {
                    *f = or(*f, t);
                }
            }
            if *negated {
                found.iter_mut().for_each(|t| *t = not(*t));
            }
            found
        }
        _ => (0..batch.len).map(|i| code(eval(e, batch, i))).collect(),
    }
}

fn not(t: u8) -> u8 {
    match t {
        FALSE => TRUE,
        TRUE => FALSE,
        other => other,
    }
}

/// `value op k` down a column: where both are numbers a double holds exactly, as doubles;
/// elsewhere as [`compare`] has it.
fn down(c: &Column<'_>, op: BinOp, k: V<'_>, nocase: bool) -> Vec<u8> {
    let Some(x) = exact(k) else {
        return c
            .values
            .iter()
            .map(|&v| code(compare(v, op, k, nocase)))
            .collect();
    };
    match op {
        BinOp::Eq => run_down(c, op, x, |v, k| v == k),
        BinOp::Ne => run_down(c, op, x, |v, k| v != k),
        BinOp::Lt => run_down(c, op, x, |v, k| v < k),
        BinOp::Le => run_down(c, op, x, |v, k| v <= k),
        BinOp::Gt => run_down(c, op, x, |v, k| v > k),
        BinOp::Ge => run_down(c, op, x, |v, k| v >= k),
        // Not a comparison (resolve makes none of another operator).
        _ => vec![UNKNOWN; c.values.len()],
    }
}

fn run_down(c: &Column<'_>, op: BinOp, k: f64, test: impl Fn(f64, f64) -> bool) -> Vec<u8> {
    c.numbers
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if !x.is_nan() {
                u8::from(test(x, k))
            } else if c.values[i] == V::Null {
                NULL
            } else {
                code(compare(c.values[i], op, V::Real(k), false))
            }
        })
        .collect()
}

/// A literal's value.
fn constant(x: &Expr) -> Option<V<'_>> {
    match x {
        Expr::Int(i) => Some(V::Int(*i)),
        Expr::Real(r) => Some(V::Real(*r)),
        Expr::Text(t) => Some(V::Text(t)),
        Expr::Null => Some(V::Null),
        _ => None,
    }
}

impl Expr {
    /// The columns `self` reads.
    fn columns(&self, out: &mut Vec<(Joined, usize, ColType)>) {
        match self {
            Expr::Column { table, index, ty } => out.push((*table, *index, *ty)),
            Expr::Int(_) | Expr::Real(_) | Expr::Text(_) | Expr::Null | Expr::Unknown => {}
            Expr::Neg(x) | Expr::Not(x) | Expr::IsNull(x, _) => x.columns(out),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(a, _, b, _) => {
                a.columns(out);
                b.columns(out);
            }
            Expr::In { expr, list, .. } => {
                expr.columns(out);
                for x in list {
                    x.columns(out);
                }
            }
        }
    }
}

/// The value of `e` for object `i` of `batch`.
fn eval<'a>(e: &'a Expr, batch: &ScreenBatch<'a>, i: usize) -> V<'a> {
    match e {
        Expr::Column { table, index, .. } => batch
            .column((*table, *index))
            .and_then(|c| c.values.get(i).copied())
            .unwrap_or(V::Unknown),
        Expr::Int(i) => V::Int(*i),
        Expr::Real(x) => V::Real(*x),
        Expr::Text(t) => V::Text(t),
        Expr::Null => V::Null,
        Expr::Unknown => V::Unknown,
        Expr::Neg(x) => match eval(x, batch, i) {
            V::Int(i) => i.checked_neg().map_or(V::Real(-(i as f64)), V::Int),
            V::Real(x) => V::Real(-x),
            V::Null => V::Null,
            _ => V::Unknown,
        },
        Expr::Not(x) => from_code(not(code(eval(x, batch, i)))),
        // As down a column (`and`, `or`), stopping once the first side decides.
        Expr::And(a, b) => match code(eval(a, batch, i)) {
            FALSE => V::Int(0),
            a => from_code(and(a, code(eval(b, batch, i)))),
        },
        Expr::Or(a, b) => match code(eval(a, batch, i)) {
            TRUE => V::Int(1),
            a => from_code(or(a, code(eval(b, batch, i)))),
        },
        Expr::Compare(a, op, b, nocase) => {
            compare(eval(a, batch, i), *op, eval(b, batch, i), *nocase)
        }
        Expr::IsNull(x, negated) => match eval(x, batch, i) {
            V::Unknown => V::Unknown,
            V::Null => V::Int(i64::from(!negated)),
            _ => V::Int(i64::from(*negated)),
        },
        Expr::In {
            expr,
            list,
            negated,
            nocase,
        } => {
            // `x = a OR x = b ...`, as down a column; an empty list is false.
            let x = eval(expr, batch, i);
            let found = list.iter().fold(FALSE, |found, item| {
                or(
                    found,
                    code(compare(x, BinOp::Eq, eval(item, batch, i), *nocase)),
                )
            });
            from_code(if *negated { not(found) } else { found })
        }
    }
}

/// A truth's code as a value.
fn from_code(t: u8) -> V<'static> {
    match t {
        FALSE => V::Int(0),
        TRUE => V::Int(1),
        NULL => V::Null,
        _ => V::Unknown,
    }
}

/// A value as a WHERE clause reads it: 1 (true), 0 (false), NULL, or unknown.
fn truth(v: V<'_>) -> V<'_> {
    match v {
        V::Int(i) => V::Int(i64::from(i != 0)),
        V::Real(x) => V::Int(i64::from(x != 0.0)),
        V::Null => V::Null,
        V::Text(_) | V::Unknown => V::Unknown,
    }
}

fn compare<'a>(a: V<'_>, op: BinOp, b: V<'_>, nocase: bool) -> V<'a> {
    let order = match (a, b) {
        (V::Unknown, _) | (_, V::Unknown) => return V::Unknown,
        (V::Null, _) | (_, V::Null) => return V::Null,
        (V::Int(x), V::Int(y)) => x.cmp(&y),
        (V::Real(x), V::Real(y)) => match x.partial_cmp(&y) {
            Some(o) => o,
            None => return V::Unknown,
        },
        (V::Int(i), V::Real(x)) => match int_vs_real(i, x) {
            Some(o) => o,
            None => return V::Unknown,
        },
        (V::Real(x), V::Int(i)) => match int_vs_real(i, x) {
            Some(o) => o.reverse(),
            None => return V::Unknown,
        },
        (V::Text(x), V::Text(y)) if nocase => {
            let (x, y) = (x.bytes(), y.bytes());
            x.map(|b| b.to_ascii_lowercase())
                .cmp(y.map(|b| b.to_ascii_lowercase()))
        }
        (V::Text(x), V::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        // Text beside a number: affinity rules the screen does not follow.
        _ => return V::Unknown,
    };
    let yes = match op {
        BinOp::Eq => order == Ordering::Equal,
        BinOp::Ne => order != Ordering::Equal,
        BinOp::Lt => order == Ordering::Less,
        BinOp::Le => order != Ordering::Greater,
        BinOp::Gt => order == Ordering::Greater,
        BinOp::Ge => order != Ordering::Less,
        _ => return V::Unknown,
    };
    V::Int(i64::from(yes))
}

/// An integer against a real, exactly (as SQLite compares them), or `None` for a NaN.
fn int_vs_real(i: i64, x: f64) -> Option<Ordering> {
    if x.is_nan() {
        return None;
    }
    // 2^63: every i64 is below it, and at or above -2^63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x >= TWO_63 {
        return Some(Ordering::Less);
    }
    if x < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let floor = x.floor();
    // In range, so the floor converts exactly.
    let f = floor as i64;
    Some(match i.cmp(&f) {
        Ordering::Equal if x > floor => Ordering::Less,
        other => other,
    })
}

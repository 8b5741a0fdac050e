//! The checked query: a small tree holding only whitelisted constructs, so the renderer can
//! emit nothing the checker did not allow (sqlparser's AST is never printed back).

/// A column of a table in use, with the catalogue's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ColumnRef {
    pub table: &'static str,
    pub column: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// The numeric types a CAST may target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumType {
    Integer,
    Real,
}

/// Whitelisted functions; some are rendered differently per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Abs,
    Sqrt,
    Pow,
    /// MySQL's `log(x)` is natural, `log(b, x)` is base b; SQLite's `log(x)` is base 10.
    Log,
    Log10,
    Exp,
    Floor,
    Ceil,
    Round,
    Least,
    Greatest,
    Coalesce,
    IfNull,
    If,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Radians,
    Degrees,
    JdNow,
    MjdNow,
    Flux2Mag,
}

/// Name, function, fewest and most arguments (`usize::MAX`: any number).
pub(crate) const FUNCTIONS: &[(&str, Func, usize, usize)] = &[
    ("abs", Func::Abs, 1, 1),
    ("sqrt", Func::Sqrt, 1, 1),
    ("pow", Func::Pow, 2, 2),
    ("power", Func::Pow, 2, 2),
    ("log", Func::Log, 1, 2),
    ("ln", Func::Log, 1, 1),
    ("log10", Func::Log10, 1, 1),
    ("exp", Func::Exp, 1, 1),
    ("floor", Func::Floor, 1, 1),
    ("ceil", Func::Ceil, 1, 1),
    ("ceiling", Func::Ceil, 1, 1),
    ("round", Func::Round, 1, 2),
    ("least", Func::Least, 2, usize::MAX),
    ("greatest", Func::Greatest, 2, usize::MAX),
    ("coalesce", Func::Coalesce, 1, usize::MAX),
    ("ifnull", Func::IfNull, 2, 2),
    ("if", Func::If, 3, 3),
    ("sin", Func::Sin, 1, 1),
    ("cos", Func::Cos, 1, 1),
    ("tan", Func::Tan, 1, 1),
    ("asin", Func::Asin, 1, 1),
    ("acos", Func::Acos, 1, 1),
    ("atan", Func::Atan, 1, 1),
    ("atan2", Func::Atan2, 2, 2),
    ("radians", Func::Radians, 1, 1),
    ("degrees", Func::Degrees, 1, 1),
    ("jdnow", Func::JdNow, 0, 0),
    ("mjdnow", Func::MjdNow, 0, 0),
    ("flux2mag", Func::Flux2Mag, 1, 1),
];

/// A checked expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Column(ColumnRef),
    /// A numeric literal, already checked to be digits, a point and an exponent only.
    Number(String),
    /// A string literal's value, checked free of quotes' escapes and control characters.
    Text(String),
    Null,
    Bool(bool),
    Unary(UnOp, Box<Node>),
    Binary(Box<Node>, BinOp, Box<Node>),
    IsNull {
        expr: Box<Node>,
        negated: bool,
    },
    Between {
        expr: Box<Node>,
        negated: bool,
        low: Box<Node>,
        high: Box<Node>,
    },
    InList {
        expr: Box<Node>,
        negated: bool,
        list: Vec<Node>,
    },
    Like {
        expr: Box<Node>,
        negated: bool,
        pattern: Box<Node>,
    },
    Call(Func, Vec<Node>),
    Cast(Box<Node>, NumType),
}

/// One item of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// An expression, its alias if the user gave one, and its output name.
    Expr {
        node: Node,
        alias: Option<String>,
        name: String,
    },
    /// `*`: every column of every table in use.
    All,
    /// `table.*`.
    AllOf(&'static str),
}

/// An ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderKey {
    Column(ColumnRef),
    /// A SELECT-list alias, spelled as the user's SELECT list spelled it.
    Alias(String),
}

/// The whole checked query, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    pub items: Vec<Item>,
    pub condition: Option<Node>,
    /// Keys with `true` for descending.
    pub order: Vec<(OrderKey, bool)>,
}

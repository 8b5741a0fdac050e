//! Hostile clauses: every one must be refused, with a message naming what was wrong.

use lasair_sql::{catalog, compile, Dialect, Limits, SqlError, UserQuery};

fn query(select: &str, tables: &str, conditions: &str) -> UserQuery {
    UserQuery {
        select: select.into(),
        tables: tables.into(),
        conditions: conditions.into(),
        ..UserQuery::default()
    }
}

/// Compiles for both dialects; both must refuse, with the same error.
fn refuse(q: &UserQuery) -> SqlError {
    let limits = Limits::default();
    let sqlite = compile(q, &catalog::ZTF, Dialect::Sqlite, &limits);
    let maria = compile(q, &catalog::ZTF, Dialect::MariaDb, &limits);
    let err = sqlite.expect_err(&format!("accepted {q:?}"));
    assert_eq!(Err(err.clone()), maria);
    err
}

/// (WHERE clause, a word the error message must contain, case-insensitively).
const HOSTILE_WHERE: &[(&str, &str)] = &[
    ("1=1; DROP TABLE objects", "`;`"),
    ("ncand > 1; DELETE FROM objects", "`;`"),
    ("1 UNION SELECT password FROM users", "UNION"),
    ("1 UnIoN SeLeCt 1", "UNION"),
    ("1 UNION ALL SELECT objectId FROM objects", "UNION"),
    ("ncand > 1 /**/ OR 1=1", "/*"),
    ("ncand > 1 -- and the rest", "--"),
    ("ncand > 1 # comment", "#"),
    ("ncand > 1 */", "*/"),
    ("ncand > SLEEP(10)", "SLEEP"),
    ("BENCHMARK(1e9, md5(1)) > 0", "BENCHMARK"),
    ("LOAD_FILE('/etc/passwd') IS NOT NULL", "LOAD_FILE"),
    ("@@version > 0", "@@version"),
    ("@x := 1", "@"),
    ("ncand > ?", "?"),
    ("ncand IN (SELECT ncand FROM objects)", "IN"),
    ("(SELECT 1) = 1", "subquery"),
    ("EXISTS (SELECT 1)", "subquery"),
    ("1 INTO OUTFILE '/tmp/x'", "INTO"),
    ("1=1 FOR UPDATE", "FOR"),
    ("1=1 LOCK IN SHARE MODE", "LOCK"),
    ("1=1 LiMiT 100000000", "LIMIT"),
    ("1=1 limit 1, 1000000", "LIMIT"),
    ("1=1 GROUP BY objectId", "GROUP"),
    ("1=1 HAVING 1", "HAVING"),
    ("1=1\u{FF1B} DROP TABLE objects", "fullwidth"),
    ("ncаnd > 1", "unknown column"), // Cyrillic а
    ("ｎｃａｎｄ > 1", "unknown column"),
    ("'\\'' OR 1=1", "backslash"),
    ("objectId = 'a\\' OR 1=1 OR \\'b'", "backslash"),
    ("`users`.password = 'x'", "users"),
    ("`objects`.`password` = 'x'", "password"),
    ("ncand > 1\0", "NUL"),
    ("CAST(objectId AS CHAR) = 'x'", "CAST"),
    ("CONVERT(objectId, CHAR) = 'x'", "Convert"),
    ("CASE WHEN 1 THEN 1 END = 1", "Case"),
    ("user() = 'root'", "user"),
    ("version() LIKE '10%'", "version"),
    ("objects.objectId = sys.objectId", "sys"),
    ("mysql.user.password = 'x'", "more than two parts"),
    ("ncand > 1 AND pg_sleep(5)", "pg_sleep"),
    ("classification = 'SN'", "unknown column"),
    ("x'41' = objectId", "literal"),
    ("ncand <=> NULL", "<=>"),
    ("ncand DIV 2 = 1", "DIV"),
    ("objectId REGEXP '.*'", "REGEXP"),
    ("INTERVAL 1 DAY", "Interval"),
    ("abs(ncand) OVER ()", "abs"),
    ("count(*) > 1", "count"),
];

#[test]
fn hostile_where_clauses_are_refused_naming_the_fault() {
    assert!(HOSTILE_WHERE.len() >= 40);
    for (clause, word) in HOSTILE_WHERE {
        let err = refuse(&query("objectId", "objects", clause)).to_string();
        assert!(
            err.to_lowercase().contains(&word.to_lowercase()),
            "WHERE {clause:?}: error {err:?} does not name {word:?}"
        );
    }
}

/// (SELECT list, table list, a word the error message must contain).
const HOSTILE_SELECT: &[(&str, &str, &str)] = &[
    ("objectId; DROP TABLE objects", "objects", "`;`"),
    ("objectId INTO OUTFILE '/tmp/x'", "objects", "INTO"),
    ("objectId FROM users", "objects", "FROM"),
    ("password", "objects", "password"),
    ("(SELECT password FROM users)", "objects", "subquery"),
    ("users.*", "objects", "users"),
    ("objectId AS `x drop`", "objects", "alias"),
    ("LOAD_FILE('/etc/passwd')", "objects", "LOAD_FILE"),
    ("DISTINCT objectId", "objects", "DISTINCT"),
    ("objectId", "objects, users", "users"),
    ("objectId", "`users`", "users"),
    ("objectId", "objects; DROP TABLE objects", "`;`"),
    ("objectId", "objects -- x", "--"),
    ("objectId", "annotator:x' OR '1'='1", "topic"),
    ("objectId", "watchlist:1 OR 1=1", "number"),
    ("", "objects", "empty"),
];

#[test]
fn hostile_select_and_table_lists_are_refused() {
    for (select, tables, word) in HOSTILE_SELECT {
        let err = refuse(&query(select, tables, "")).to_string();
        assert!(
            err.to_lowercase().contains(&word.to_lowercase()),
            "SELECT {select:?} FROM {tables:?}: error {err:?} does not name {word:?}"
        );
    }
}

#[test]
fn hostile_order_by_is_refused() {
    for (order, word) in [
        ("jdmax DESC; DROP TABLE objects", "`;`"),
        ("(SELECT 1)", "not a column"),
        ("SLEEP(1)", "not a column"),
        ("jdmax LIMIT 5", "LIMIT"),
        ("jdmax NULLS FIRST", "NULLS"),
        ("password", "password"),
    ] {
        let mut q = query("objectId", "objects", "");
        q.order_by = Some(order.into());
        let err = refuse(&q).to_string();
        assert!(
            err.to_lowercase().contains(&word.to_lowercase()),
            "ORDER BY {order:?}: {err:?}"
        );
    }
    let err = refuse(&query("objectId", "objects", "ncand > 1 ORDER BY SLEEP(1)")).to_string();
    assert!(err.contains("not a column"), "{err}");
}

#[test]
fn huge_nested_expressions_hit_the_depth_limit_not_the_stack() {
    let deep = format!("{}1{} = 1", "(".repeat(300), ")".repeat(300));
    assert!(matches!(
        refuse(&query("objectId", "objects", &deep)),
        SqlError::TooDeep { .. }
    ));
    refuse(&query(
        "objectId",
        "objects",
        &format!("{}ncand > 1", "NOT ".repeat(250)),
    ));
    let nots = format!("{}ncand > 1{}", "NOT (".repeat(250), ")".repeat(250));
    let e = refuse(&query("objectId", "objects", &nots));
    assert!(matches!(e, SqlError::TooDeep { .. }), "{e:?}");
    let minus = format!("{}1 = 1", "- ".repeat(300));
    assert!(matches!(
        refuse(&query("objectId", "objects", &minus)),
        SqlError::TooDeep { .. }
    ));
    let calls = format!("{}ncand{} > 1", "abs(".repeat(250), ")".repeat(250));
    assert!(matches!(
        refuse(&query("objectId", "objects", &calls)),
        SqlError::TooDeep { .. }
    ));
    // A flat chain parses without recursion but would nest the tree; the checker stops it.
    let chain = format!("ncand{} > 1", " + ncand".repeat(400));
    assert!(matches!(
        refuse(&query("objectId", "objects", &chain)),
        SqlError::TooDeep { .. }
    ));
    // The longest clause allowed, as one flat chain: the worst depth a clause can build.
    let worst = format!("1{} = 1", "+1".repeat(2044));
    assert!(matches!(
        refuse(&query("objectId", "objects", &worst)),
        SqlError::TooDeep { .. }
    ));
    let wrapped = format!("CASE WHEN 1{} THEN 1 END = 1", "+1".repeat(2030));
    assert!(refuse(&query("objectId", "objects", &wrapped))
        .to_string()
        .contains("Case"));
    let long = format!("ncand > 1{}", " OR ncand > 1".repeat(1000));
    assert!(matches!(
        refuse(&query("objectId", "objects", &long)),
        SqlError::TooLong { .. }
    ));
}

#[test]
fn errors_say_where() {
    let err = refuse(&query(
        "objectId",
        "objects",
        "ncand > 1 AND\n  SLEEP(10) = 0",
    ))
    .to_string();
    assert!(err.contains("line 2, column 3"), "{err}");
    let err = refuse(&query("objectId", "objects", "ncand > 1; x")).to_string();
    assert!(err.contains("byte 9"), "{err}");
}

#[test]
fn limits_are_capped() {
    let mut q = query("objectId", "objects", "");
    q.limit = Some(u64::MAX);
    let limits = Limits {
        max_rows: 500,
        ..Limits::default()
    };
    let sql = compile(&q, &catalog::ZTF, Dialect::MariaDb, &limits)
        .unwrap()
        .sql;
    assert!(sql.ends_with("LIMIT 500"), "{sql}");
}

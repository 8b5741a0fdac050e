//! Filters' screens (`lasair_sql::Screen`) against SQLite itself, on a batch database of
//! random objects: a screen never rules out an object SQLite returns; where the condition is
//! made only of what a screen evaluates, it keeps exactly the objects SQLite returns; and the
//! narrowed statement, given the kept objects' rowids, returns the very rows of the whole
//! statement.

use std::collections::BTreeSet;
use std::time::Duration;

use lasair_db::{Db, Value};
use lasair_sql::catalog::ZTF;
use lasair_sql::{compile, Dialect, Joined, Limits, ScreenBatch, UserQuery};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

struct Object {
    row: Vec<Value>,
    sherlock: Option<Vec<Value>>,
    hits: Vec<(Joined, i64)>,
}

/// Numeric columns of `objects` the conditions use, and text ones.
const NUMBERS: [&str; 5] = ["ncand", "gmag", "rmag", "ncandgp", "dmdt_g"];
const TEXTS: [&str; 2] = ["ssnamenr", "sherlock_classifications.classification"];
const WORDS: [&str; 6] = ["SN", "sn", "NT", "AGN", "Sn", "VS"];

fn columns(table: &str) -> Vec<&'static str> {
    ZTF.table(table)
        .expect("in the catalogue")
        .columns
        .iter()
        .map(|c| c.name)
        .collect()
}

fn number(rng: &mut SmallRng, integer: bool) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        // Whole numbers as reals and as integers, so both compare across types.
        1 => Value::Real(f64::from(rng.random_range(0..20))),
        _ if integer => Value::Int(rng.random_range(-3..20)),
        _ => Value::Real(rng.random_range(-2.0..20.0)),
    }
}

fn objects(rng: &mut SmallRng, n: usize) -> Vec<Object> {
    let (obj, sher) = (columns("objects"), columns("sherlock_classifications"));
    (0..n)
        .map(|i| {
            let key = Value::Text(format!("ZTF{i:05}x"));
            let row = obj
                .iter()
                .map(|c| match *c {
                    "objectId" => key.clone(),
                    "ncand" | "ncandgp" => number(rng, true),
                    "gmag" | "rmag" | "dmdt_g" => number(rng, false),
                    "ssnamenr" if rng.random_bool(0.5) => {
                        Value::Text(WORDS[rng.random_range(0..WORDS.len())].into())
                    }
                    _ => Value::Null,
                })
                .collect();
            let sherlock = rng.random_bool(0.7).then(|| {
                sher.iter()
                    .map(|c| match *c {
                        "objectId" => key.clone(),
                        "classification" if rng.random_bool(0.9) => {
                            Value::Text(WORDS[rng.random_range(0..WORDS.len())].into())
                        }
                        "separationArcsec" => number(rng, false),
                        _ => Value::Null,
                    })
                    .collect()
            });
            let mut hits = Vec::new();
            for wl in 1..=3 {
                if rng.random_bool(0.2) {
                    hits.push((Joined::WatchlistHits, wl));
                }
            }
            if rng.random_bool(0.3) {
                hits.push((Joined::AreaHits, rng.random_range(1..=2)));
            }
            Object {
                row,
                sherlock,
                hits,
            }
        })
        .collect()
}

fn load(db: &mut Db, objects: &[Object]) {
    let rows: Vec<Vec<Value>> = objects.iter().map(|o| o.row.clone()).collect();
    db.upsert("objects", &columns("objects"), &rows)
        .expect("objects");
    let rows: Vec<Vec<Value>> = objects.iter().filter_map(|o| o.sherlock.clone()).collect();
    db.upsert(
        "sherlock_classifications",
        &columns("sherlock_classifications"),
        &rows,
    )
    .expect("sherlock");
    let mut wl = Vec::new();
    let mut ar = Vec::new();
    for (o, c) in objects.iter().zip(1..) {
        for &(t, id) in &o.hits {
            let key = o.row[0].clone();
            match t {
                Joined::WatchlistHits => wl.push(vec![
                    id.into(),
                    Value::Int(c),
                    key,
                    Value::Real(1.5),
                    Value::Text("cone".into()),
                ]),
                _ => ar.push(vec![id.into(), key]),
            }
        }
    }
    db.upsert("watchlist_hits", &columns("watchlist_hits"), &wl)
        .expect("hits");
    db.upsert("area_hits", &columns("area_hits"), &ar)
        .expect("hits");
}

/// A random condition, and whether it is made only of what a screen evaluates exactly.
fn condition(rng: &mut SmallRng, depth: u32) -> (String, bool) {
    let lit = |rng: &mut SmallRng| -> String {
        match rng.random_range(0..4) {
            0 => rng.random_range(-3..20).to_string(),
            1 => format!("{:.2}", rng.random_range(-3.0..20.0)),
            2 => format!("-{}", rng.random_range(0..5)),
            _ => format!("{}.0", rng.random_range(0..20)),
        }
    };
    let word = |rng: &mut SmallRng| format!("'{}'", WORDS[rng.random_range(0..WORDS.len())]);
    let ops = ["=", "<>", "<", "<=", ">", ">="];
    if depth > 0 && rng.random_bool(0.5) {
        let (a, ea) = condition(rng, depth - 1);
        let (b, eb) = condition(rng, depth - 1);
        return match rng.random_range(0..3) {
            0 => (format!("({a}) AND ({b})"), ea && eb),
            1 => (format!("({a}) OR ({b})"), ea && eb),
            _ => (format!("NOT ({a})"), ea),
        };
    }
    let num = NUMBERS[rng.random_range(0..NUMBERS.len())];
    let text = TEXTS[rng.random_range(0..TEXTS.len())];
    let op = ops[rng.random_range(0..ops.len())];
    match rng.random_range(0..14) {
        0 | 1 => (format!("objects.{num} {op} {}", lit(rng)), true),
        2 => (format!("{text} {op} {}", word(rng)), true),
        3 => {
            let not = if rng.random_bool(0.5) { "NOT " } else { "" };
            (format!("objects.{num} IS {not}NULL"), true)
        }
        4 => {
            let (lo, hi) = (lit(rng), lit(rng));
            let not = if rng.random_bool(0.3) { "NOT " } else { "" };
            (format!("objects.{num} {not}BETWEEN {lo} AND {hi}"), true)
        }
        5 => {
            let not = if rng.random_bool(0.3) { "NOT " } else { "" };
            let null = if rng.random_bool(0.3) { ", NULL" } else { "" };
            (
                format!("{text} {not}IN ({}, {}{null})", word(rng), word(rng)),
                true,
            )
        }
        6 => {
            let not = if rng.random_bool(0.3) { "NOT " } else { "" };
            (
                format!("objects.{num} {not}IN ({}, {})", lit(rng), lit(rng)),
                true,
            )
        }
        7 => (format!("objects.{num} {op} objects.ncand"), true),
        // Screened object by object, not down a column: a list tested on a constant (users'
        // lists hold constants only), a truth compared with a number.
        11 => {
            let not = if rng.random_bool(0.3) { "NOT " } else { "" };
            let null = if rng.random_bool(0.3) { ", NULL" } else { "" };
            let x = if rng.random_bool(0.2) {
                "NULL".into()
            } else {
                lit(rng)
            };
            (
                format!("{x} {not}IN ({}, {}{null})", lit(rng), lit(rng)),
                true,
            )
        }
        12 => {
            let (a, ea) = condition(rng, 0);
            let (b, eb) = condition(rng, 0);
            let and = if rng.random_bool(0.5) { "AND" } else { "OR" };
            let not = if rng.random_bool(0.3) { "NOT " } else { "" };
            let truth = rng.random_range(0..2);
            (format!("({not}(({a}) {and} ({b}))) = {truth}"), ea && eb)
        }
        // What a screen does not evaluate: arithmetic, LIKE, a hit's column.
        8 => (
            format!("objects.gmag - objects.rmag {op} {}", lit(rng)),
            false,
        ),
        9 => (format!("{text} LIKE 's%'"), false),
        10 => (
            format!(
                "sherlock_classifications.separationArcsec {op} {}",
                lit(rng)
            ),
            true,
        ),
        _ => (
            format!("objects.{num} {op} '{}'", rng.random_range(0..9)),
            false,
        ),
    }
}

fn keys(rows: &[Vec<Value>]) -> BTreeSet<String> {
    rows.iter().map(|r| r[0].to_string()).collect()
}

#[test]
fn screens_never_rule_out_a_row_and_are_exact_where_they_can_be() {
    let mut rng = SmallRng::seed_from_u64(16);
    let mut db = Db::open_batch(&ZTF, None).expect("batch database");
    let objects = objects(&mut rng, 400);
    load(&mut db, &objects);
    let rowids: std::collections::HashMap<String, i64> = db
        .object_rowids()
        .expect("rowids")
        .into_iter()
        .map(|(k, r)| (k.to_string(), r))
        .collect();
    assert_eq!(rowids.len(), objects.len());
    let tables = [
        "objects",
        "objects, sherlock_classifications",
        "objects, watchlist:2",
        "objects, area:1",
        "objects, sherlock_classifications, watchlist:1",
    ];
    let (mut exact, mut narrowed, mut none_kept) = (0, 0, 0);
    for i in 0..1500 {
        let t = tables[i % tables.len()];
        let (text, exact_here) = condition(&mut rng, 3);
        let sherlock = text.contains("sherlock_classifications") && !t.contains("sherlock");
        let t = if sherlock {
            format!("{t}, sherlock_classifications")
        } else {
            t.to_owned()
        };
        let q = UserQuery {
            select: "objects.objectId, objects.gmag".into(),
            tables: t.clone(),
            conditions: format!("{text} ORDER BY objects.gmag DESC"),
            ..UserQuery::default()
        };
        let compiled = compile(&q, &ZTF, Dialect::Sqlite, &Limits::default())
            .unwrap_or_else(|e| panic!("{t} | {text}: {e}"));
        let whole = db
            .query_readonly(&compiled.sql, Duration::from_secs(5))
            .expect("runs")
            .rows;
        let screened = compiled
            .screened
            .expect("every condition here has a screen");
        let rows: Vec<Vec<Value>> = objects.iter().map(|o| o.row.clone()).collect();
        let sherlock: Vec<Option<&[Value]>> =
            objects.iter().map(|o| o.sherlock.as_deref()).collect();
        let hits = objects.iter().map(|o| &o.hits[..]).collect();
        let batch = ScreenBatch::new(&rows, &sherlock, hits, [&screened.screen]);
        let kept: Vec<&Object> = screened
            .screen
            .keep(&batch)
            .into_iter()
            .map(|i| &objects[i])
            .collect();
        let kept_keys: BTreeSet<String> = kept.iter().map(|o| o.row[0].to_string()).collect();
        let returned = keys(&whole);
        assert!(
            returned.is_subset(&kept_keys),
            "{t} | {text}: SQLite returned {:?}, which the screen ruled out",
            returned.difference(&kept_keys).collect::<Vec<_>>()
        );
        if exact_here {
            assert_eq!(returned, kept_keys, "{t} | {text}: the screen is not exact");
            exact += 1;
        }
        if kept.is_empty() {
            none_kept += 1;
            continue;
        }
        let list: Vec<i64> = kept.iter().map(|o| rowids[&o.row[0].to_string()]).collect();
        let json = serde_json::to_string(&list).expect("json");
        let only = db
            .query_readonly_with(&screened.sql, &[Value::Text(json)], Duration::from_secs(5))
            .expect("the narrowed statement runs")
            .rows;
        // The same rows, in the order asked for (ties may come in another order: SQL leaves
        // it open, and the narrowed statement reads the objects in another order).
        let sorted = |rows: &[Vec<Value>]| {
            let mut r: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
            r.sort();
            r
        };
        assert_eq!(
            sorted(&only),
            sorted(&whole),
            "{t} | {text}: the narrowed statement differs"
        );
        let gmag = |r: &Vec<Value>| r[1].as_f64().unwrap_or(f64::NEG_INFINITY);
        assert!(
            only.windows(2).all(|w| gmag(&w[0]) >= gmag(&w[1])),
            "{t} | {text}: not in the order asked for"
        );
        narrowed += 1;
    }
    // The conditions tried both kinds and both outcomes, so every assertion above was met.
    assert!(
        exact > 800 && narrowed > 300 && none_kept > 100,
        "{exact} {narrowed} {none_kept}"
    );
}

#[test]
fn queries_a_screen_cannot_judge_have_none() {
    let none = |tables: &str, conditions: &str| {
        let q = UserQuery {
            select: "objects.objectId".into(),
            tables: tables.into(),
            conditions: conditions.into(),
            ..UserQuery::default()
        };
        compile(&q, &ZTF, Dialect::Sqlite, &Limits::default())
            .expect("compiles")
            .screened
            .is_none()
    };
    // A function may fail on a row (an overflow), and that failure must stay SQLite's.
    assert!(none("objects", "exp(objects.gmag) > 1"));
    // Tables a batch does not build.
    assert!(none("objects, crossmatch_tns", "objects.gmag < 18"));
    assert!(none("objects, annotator:fast", ""));
    assert!(!none("objects, mma:3", "objects.gmag < 18"));
    // MariaDB's statements have none: screens are for the batch database.
    let q = UserQuery {
        select: "objects.objectId".into(),
        tables: "objects".into(),
        conditions: "objects.gmag < 18".into(),
        ..UserQuery::default()
    };
    let maria = compile(&q, &ZTF, Dialect::MariaDb, &Limits::default()).expect("compiles");
    assert!(maria.screened.is_none());
}

//! The active user filters: read from the main database's `filters` table with their owners'
//! email addresses, compiled once by the shared compiler for the batch database (SQLite).

use lasair_db::{Db, DbError, Value};
use lasair_sql::catalog::Catalog;
use lasair_sql::{compile, CompiledQuery, Dialect, Limits, UserQuery};

/// How a filter's results reach its owner: Lasair's `active` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 1: an email digest, at most one a day.
    Email,
    /// 2: a Kafka topic, one JSON record per result row.
    Kafka,
    /// 3: the topic, each record with the object's lightcurve (lite).
    KafkaLite,
    /// 4: the topic, each record with the whole alert.
    KafkaFull,
}

impl Mode {
    fn from_active(active: i64) -> Option<Mode> {
        match active {
            1 => Some(Mode::Email),
            2 => Some(Mode::Kafka),
            3 => Some(Mode::KafkaLite),
            4 => Some(Mode::KafkaFull),
            _ => None,
        }
    }
}

/// One active filter, ready to run on a batch.
#[derive(Debug, Clone)]
pub struct ActiveFilter {
    pub mq_id: i64,
    pub user_id: i64,
    pub name: String,
    pub topic: String,
    pub mode: Mode,
    pub email: Option<String>,
    /// The compiled query, or why it does not compile (its owner is told once).
    pub query: Result<CompiledQuery, String>,
}

/// The Kafka topic of user `user_id`'s filter `name`, as Lasair names it: `lasair_`, the
/// user id, then the name reduced to letters, digits, `_`, `-` and `.`.
pub fn topic_name(user_id: i64, name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    format!("lasair_{user_id}{kept}")
}

const ACTIVE: &str = "SELECT f.mq_id, f.user_id, f.name, f.selected, f.tables, f.conditions, \
    f.active, f.topic_name, u.email FROM filters f LEFT JOIN users u ON u.id = f.user_id \
    WHERE f.active > 0 ORDER BY f.mq_id";

/// Every active filter of the main database, compiled for the batch database.
pub fn load(db: &mut Db, catalog: &Catalog, limits: &Limits) -> Result<Vec<ActiveFilter>, DbError> {
    let rows = db.query_readonly(ACTIVE, std::time::Duration::from_secs(30))?;
    Ok(rows
        .rows
        .iter()
        .filter_map(|r| filter(r, catalog, limits))
        .collect())
}

fn filter(row: &[Value], catalog: &Catalog, limits: &Limits) -> Option<ActiveFilter> {
    let text = |i: usize| row.get(i).and_then(Value::as_str).map(str::to_owned);
    let int = |i: usize| row.get(i).and_then(Value::as_i64);
    let (mq_id, user_id) = (int(0)?, int(1).unwrap_or(0));
    let name = text(2).unwrap_or_default();
    let query = UserQuery {
        select: text(3).unwrap_or_default(),
        tables: text(4).unwrap_or_else(|| "objects".into()),
        conditions: text(5).unwrap_or_default(),
        ..UserQuery::default()
    };
    Some(ActiveFilter {
        mq_id,
        user_id,
        topic: text(7)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| topic_name(user_id, &name)),
        name,
        mode: Mode::from_active(int(6)?)?,
        email: text(8).filter(|e| !e.is_empty()),
        query: compile(&query, catalog, Dialect::Sqlite, limits).map_err(|e| e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn topics_are_named_as_lasair_names_them() {
        assert_eq!(topic_name(42, "SN in galaxies!"), "lasair_42SNingalaxies");
        assert_eq!(
            topic_name(7, "fast-risers_v1.2"),
            "lasair_7fast-risers_v1.2"
        );
        assert_eq!(topic_name(7, "ñandú/..*"), "lasair_7and..");
    }

    #[test]
    fn modes_and_bad_queries_are_kept_apart() {
        let row = |active: i64, conditions: &str| {
            vec![
                Value::Int(1),
                Value::Int(9),
                Value::from("bright"),
                Value::from("objects.objectId"),
                Value::from("objects"),
                Value::from(conditions),
                Value::Int(active),
                Value::Null,
                Value::from("ada@example.org"),
            ]
        };
        let limits = Limits::default();
        let f = filter(&row(3, "objects.gmag < 18"), &ZTF, &limits).unwrap();
        assert_eq!(
            (f.mode, f.topic.as_str()),
            (Mode::KafkaLite, "lasair_9bright")
        );
        assert!(f.query.is_ok());
        let f = filter(&row(1, "1; DROP TABLE objects"), &ZTF, &limits).unwrap();
        assert_eq!(f.mode, Mode::Email);
        assert!(f.query.is_err());
        assert!(filter(&row(0, ""), &ZTF, &limits).is_none());
        assert!(filter(&row(9, ""), &ZTF, &limits).is_none());
    }
}

//! Users' filters: a saved query (select list, tables, WHERE clause) with how its results
//! reach the owner. Active filters run on every batch of the stream; saved ones only when
//! asked for (`lasair-query --filter`, the API).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use lasair_db::{Db, Select, Value};
use lasair_sql::{compile, Dialect, Limits, UserQuery};

use crate::record::{select, Cells, Record};
use crate::ServiceError;

/// How a filter's results reach its owner: Lasair's `active` codes 1 to 4 (0 is a filter
/// saved but not run on the stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// 1: an email digest, at most one a day.
    Email,
    /// 2: a Kafka topic, one JSON record per result row.
    Kafka,
    /// 3: the topic, each record with the object's lightcurve.
    KafkaLite,
    /// 4: the topic, each record with the whole alert.
    KafkaFull,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [
        Delivery::Email,
        Delivery::Kafka,
        Delivery::KafkaLite,
        Delivery::KafkaFull,
    ];

    /// Lasair's `active` code.
    pub fn active(self) -> i64 {
        match self {
            Delivery::Email => 1,
            Delivery::Kafka => 2,
            Delivery::KafkaLite => 3,
            Delivery::KafkaFull => 4,
        }
    }

    /// The delivery of an `active` code; `None` for 0 (saved only) and unknown codes.
    pub fn from_active(active: i64) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.active() == active)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Email => "email",
            Delivery::Kafka => "kafka",
            Delivery::KafkaLite => "kafka-lite",
            Delivery::KafkaFull => "kafka-full",
        }
    }

    /// Whether results go to the filter's Kafka topic.
    pub fn is_stream(self) -> bool {
        self != Delivery::Email
    }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A delivery name that is not one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown delivery {0:?} (expected email, kafka, kafka-lite or kafka-full)")]
pub struct UnknownDelivery(pub String);

impl FromStr for Delivery {
    type Err = UnknownDelivery;
    fn from_str(s: &str) -> Result<Delivery, UnknownDelivery> {
        Delivery::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDelivery(s.to_owned()))
    }
}

/// When an active filter runs: Lasair's `run` codes. On new alerts it runs on every batch of
/// the stream; on new annotations it runs for the annotated objects whenever an annotator
/// classifies them (useful only when the filter names an annotator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trigger {
    pub on_alert: bool,
    pub on_annotation: bool,
}

impl Trigger {
    /// On new alerts only: every filter saved before triggers existed.
    pub const ALERTS: Trigger = Trigger {
        on_alert: true,
        on_annotation: false,
    };

    /// Lasair's `run` code: 1 on alerts, 2 on annotations, 3 both (0 neither).
    pub fn code(self) -> i64 {
        i64::from(self.on_alert) | (i64::from(self.on_annotation) << 1)
    }

    /// The trigger of a `run` code; NULL (rows older than the column) and unknown codes run on
    /// alerts, as they did.
    pub fn from_code(code: Option<i64>) -> Trigger {
        match code {
            Some(c @ 0..=3) => Trigger {
                on_alert: c & 1 != 0,
                on_annotation: c & 2 != 0,
            },
            _ => Trigger::ALERTS,
        }
    }
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger::ALERTS
    }
}

/// The Kafka topic of user `user_id`'s filter `name`, as Lasair names it: `lasair_`, the user
/// id, then the name reduced to letters, digits, `_`, `-` and `.`. The one place a topic name
/// is made.
pub fn topic_name(user_id: i64, name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    format!("lasair_{user_id}{kept}")
}

/// A filter to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFilter {
    pub user_id: i64,
    pub name: String,
    pub description: String,
    pub query: UserQuery,
    pub public: bool,
    pub trigger: Trigger,
}

impl NewFilter {
    pub fn new(user_id: i64, name: &str, select: &str, tables: &str, conditions: &str) -> Self {
        NewFilter {
            user_id,
            name: name.to_owned(),
            description: String::new(),
            query: UserQuery {
                select: select.to_owned(),
                tables: tables.to_owned(),
                conditions: conditions.to_owned(),
                ..UserQuery::default()
            },
            public: false,
            trigger: Trigger::ALERTS,
        }
    }
}

/// A saved filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub description: String,
    pub query: UserQuery,
    /// How results go out; `None`: saved, not run on the stream.
    pub delivery: Option<Delivery>,
    pub public: bool,
    pub topic: String,
    pub date_created: String,
    pub date_modified: String,
    /// When it runs, if active.
    pub trigger: Trigger,
}

impl Record for Filter {
    const TABLE: &'static str = "filters";
    const KEY: &'static str = "mq_id";
    const COLUMNS: &'static [&'static str] = &[
        "mq_id",
        "user_id",
        "name",
        "description",
        "selected",
        "tables",
        "conditions",
        "active",
        "public",
        "topic_name",
        "date_created",
        "date_modified",
        "run",
    ];

    fn from_row(row: &[Value]) -> Option<Filter> {
        let c = Cells(row);
        let (id, user_id, name) = (c.int(0)?, c.int(1).unwrap_or(0), c.text(2));
        let topic = Some(c.text(9))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| topic_name(user_id, &name));
        let tables = Some(c.text(5)).filter(|t| !t.is_empty());
        Some(Filter {
            id,
            user_id,
            description: c.text(3),
            query: UserQuery {
                select: c.text(4),
                tables: tables.unwrap_or_else(|| "objects".into()),
                conditions: c.text(6),
                ..UserQuery::default()
            },
            delivery: Delivery::from_active(c.int(7).unwrap_or(0)),
            public: c.flag(8),
            topic,
            name,
            date_created: c.text(10),
            date_modified: c.text(11),
            trigger: Trigger::from_code(c.int(12)),
        })
    }

    fn fields(&self) -> Vec<Value> {
        vec![
            self.id.into(),
            self.user_id.into(),
            self.name.as_str().into(),
            self.description.as_str().into(),
            self.query.select.as_str().into(),
            self.query.tables.as_str().into(),
            self.query.conditions.as_str().into(),
            self.delivery.map_or(0, Delivery::active).into(),
            i64::from(self.public).into(),
            self.topic.as_str().into(),
            self.date_created.as_str().into(),
            self.date_modified.as_str().into(),
            self.trigger.code().into(),
        ]
    }
}

/// An active filter with its owner's email address, for the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveFilter {
    pub filter: Filter,
    pub delivery: Delivery,
    pub email: Option<String>,
}

impl Filter {
    /// Saves `new`, checked first by the compiler the stream uses, with `delivery` (`None`:
    /// saved only); the database assigns its id.
    pub fn create(
        db: &mut Db,
        new: &NewFilter,
        delivery: Option<Delivery>,
    ) -> Result<Filter, ServiceError> {
        check(db, &new.name, &new.query)?;
        let now = crate::now();
        let filter = Filter {
            id: 0,
            user_id: new.user_id,
            name: new.name.clone(),
            description: new.description.clone(),
            query: new.query.clone(),
            delivery,
            public: new.public,
            topic: topic_name(new.user_id, &new.name),
            date_created: now.clone(),
            date_modified: now,
            trigger: new.trigger,
        };
        let (columns, values) = (&Self::COLUMNS[1..], &filter.fields()[1..]);
        let id = db.insert(Self::TABLE, columns, values)?;
        Ok(Filter { id, ..filter })
    }

    /// Saves filter `id` again as `new` (checked first, as [`Filter::create`] checks it), with
    /// `delivery`: its topic follows its name, as Lasair's does, and the save renews it for
    /// [`ACTIVE_DAYS`](crate::expiry::ACTIVE_DAYS) (expiry counts from `date_modified`).
    pub fn save(
        db: &mut Db,
        id: i64,
        new: &NewFilter,
        delivery: Option<Delivery>,
    ) -> Result<Filter, ServiceError> {
        check(db, &new.name, &new.query)?;
        let old = Filter::get(db, id)?;
        let filter = Filter {
            name: new.name.clone(),
            description: new.description.clone(),
            query: new.query.clone(),
            delivery,
            public: new.public,
            topic: topic_name(old.user_id, &new.name),
            date_modified: crate::now(),
            trigger: new.trigger,
            ..old
        };
        let sets: Vec<(&str, Value)> = Self::COLUMNS[2..]
            .iter()
            .copied()
            .zip(filter.fields().into_iter().skip(2))
            .collect();
        Filter::update(db, id, &sets)?;
        Ok(filter)
    }

    /// Runs it on the stream with `delivery`, or (`None`) mutes it.
    pub fn set_delivery(
        db: &mut Db,
        id: i64,
        delivery: Option<Delivery>,
    ) -> Result<(), ServiceError> {
        Filter::set_active(db, id, delivery.map_or(0, Delivery::active))
    }

    /// The saved filters called `name` (names are unique per user, not across users).
    pub fn named(db: &mut Db, name: &str) -> Result<Vec<Filter>, ServiceError> {
        Filter::list_where(db, "name", name.into())
    }

    /// Sets when filter `id` runs.
    pub fn set_trigger(db: &mut Db, id: i64, trigger: Trigger) -> Result<(), ServiceError> {
        let sets = [
            ("run", Value::Int(trigger.code())),
            ("date_modified", crate::now().into()),
        ];
        Filter::update(db, id, &sets)
    }

    /// Every filter run on the stream's alerts, with its owner's address for email digests.
    pub fn active(db: &mut Db) -> Result<Vec<ActiveFilter>, ServiceError> {
        Filter::active_when(db, |t| t.on_alert)
    }

    /// Every active filter run when an annotation arrives, with its owner's address.
    pub fn active_on_annotation(db: &mut Db) -> Result<Vec<ActiveFilter>, ServiceError> {
        Filter::active_when(db, |t| t.on_annotation)
    }

    fn active_when(
        db: &mut Db,
        runs: impl Fn(Trigger) -> bool,
    ) -> Result<Vec<ActiveFilter>, ServiceError> {
        let filters: Vec<Filter> = select(db, Select::from(Self::TABLE).gt("active", 0))?;
        let filters: Vec<Filter> = filters.into_iter().filter(|f| runs(f.trigger)).collect();
        let users = db.select(&Select::from("users").columns(&["id", "email"]))?;
        let emails: HashMap<i64, &str> = users
            .rows
            .iter()
            .filter_map(|r| Some((r[0].as_i64()?, r[1].as_str()?)))
            .filter(|(_, e)| !e.is_empty())
            .collect();
        let email = |user_id: i64| emails.get(&user_id).map(|e| (*e).to_owned());
        Ok(filters
            .into_iter()
            .filter_map(|filter| {
                Some(ActiveFilter {
                    delivery: filter.delivery?,
                    email: email(filter.user_id),
                    filter,
                })
            })
            .collect())
    }
}

/// Refuses a query the compiler refuses, naming the filter.
fn check(db: &Db, name: &str, query: &UserQuery) -> Result<(), ServiceError> {
    compile(query, db.catalog(), Dialect::Sqlite, &Limits::default())
        .map(drop)
        .map_err(|e| ServiceError::Query {
            what: format!("filter {name:?}"),
            source: Box::new(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn deliveries_are_lasairs_active_codes() {
        for d in Delivery::ALL {
            assert_eq!(Delivery::from_active(d.active()), Some(d));
            assert_eq!(d.as_str().parse::<Delivery>().ok(), Some(d));
        }
        assert_eq!(Delivery::from_active(0), None);
        assert_eq!(Delivery::from_active(9), None);
        assert!("pigeon".parse::<Delivery>().is_err());
        for code in 0..=3 {
            assert_eq!(Trigger::from_code(Some(code)).code(), code);
        }
        assert_eq!(Trigger::from_code(None), Trigger::ALERTS);
    }

    #[test]
    fn filters_live_muted_and_die_with_ids_from_the_database() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let bad = NewFilter::new(7, "bad", "objects.objectId", "objects", "1; DROP TABLE x");
        let err = Filter::create(&mut db, &bad, None).expect_err("refused");
        assert!(err.to_string().contains("filter \"bad\""), "{err}");
        let new = NewFilter::new(
            7,
            "Bright SNe!",
            "objects.objectId",
            "objects",
            "objects.gmag < 17",
        );
        let a = Filter::create(&mut db, &new, Some(Delivery::KafkaLite)).expect("saved");
        let b = Filter::create(&mut db, &new, None).expect("saved");
        assert!(b.id > a.id && a.id > 0);
        assert_eq!(Filter::get(&mut db, a.id).expect("read back"), a);
        assert_eq!(a.topic, "lasair_7BrightSNe");
        let active = Filter::active(&mut db).expect("active");
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].delivery, Delivery::KafkaLite);
        Filter::set_delivery(&mut db, a.id, None).expect("muted");
        Filter::set_delivery(&mut db, b.id, Some(Delivery::Email)).expect("on");
        let active = Filter::active(&mut db).expect("active");
        assert_eq!((active.len(), active[0].filter.id), (1, b.id));
        assert_eq!(
            Filter::named(&mut db, "Bright SNe!").expect("named").len(),
            2
        );
        let both = Trigger {
            on_alert: true,
            on_annotation: true,
        };
        Filter::set_trigger(&mut db, b.id, both).expect("set");
        assert_eq!(Filter::get(&mut db, b.id).expect("read").trigger, both);
        assert_eq!(
            Filter::active_on_annotation(&mut db).expect("read").len(),
            1
        );
        let only = Trigger {
            on_alert: false,
            on_annotation: true,
        };
        Filter::set_trigger(&mut db, b.id, only).expect("set");
        assert!(Filter::active(&mut db).expect("read").is_empty());
        Filter::delete(&mut db, a.id).expect("deleted");
        let err = Filter::get(&mut db, a.id).expect_err("gone");
        assert_eq!(err.to_string(), format!("no filters with mq_id {}", a.id));
        assert!(Filter::delete(&mut db, a.id).is_err());
    }
}

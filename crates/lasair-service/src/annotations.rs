//! Annotators and their annotations. An annotator is a topic that one user's classifier
//! (their code, run anywhere) may submit classifications of objects to; staff register it and
//! make it active. An annotation is one classification of one object under one topic, kept in
//! the `annotations` table that users' queries join (`annotator:TOPIC`): a newer one replaces
//! the older.

use std::collections::HashMap;

use lasair_db::{Db, Select, Value};
use serde::{Deserialize, Serialize};

use crate::record::{Cells, Record};
use crate::users::User;
use crate::ServiceError;

/// Longest topic, as the query compiler takes them in `annotator:TOPIC`.
const MAX_TOPIC: usize = 64;

/// A registered annotator.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotator {
    pub topic: String,
    pub user_id: i64,
    pub description: String,
    pub url: String,
    pub active: bool,
    pub public: bool,
}

const ANNOTATOR_COLUMNS: &[&str] = &["topic", "user_id", "description", "url", "active", "public"];

impl Annotator {
    fn from_row(row: &[Value]) -> Annotator {
        let c = Cells(row);
        Annotator {
            topic: c.text(0),
            user_id: c.int(1).unwrap_or(0),
            description: c.text(2),
            url: c.text(3),
            active: c.flag(4),
            public: c.flag(5),
        }
    }

    /// Registers (or updates) annotator `topic`, owned by `user_id`, active.
    pub fn register(
        db: &mut Db,
        topic: &str,
        user_id: i64,
        description: &str,
        public: bool,
    ) -> Result<Annotator, ServiceError> {
        check_topic(topic)?;
        User::get(db, user_id)?;
        let annotator = Annotator {
            topic: topic.to_owned(),
            user_id,
            description: description.to_owned(),
            url: String::new(),
            active: true,
            public,
        };
        let row = vec![
            topic.into(),
            user_id.into(),
            description.into(),
            "".into(),
            1.into(),
            i64::from(public).into(),
        ];
        db.upsert("annotators", ANNOTATOR_COLUMNS, &[row])?;
        Ok(annotator)
    }

    /// The annotator of `topic`.
    pub fn get(db: &mut Db, topic: &str) -> Result<Option<Annotator>, ServiceError> {
        let select = Select::from("annotators")
            .columns(ANNOTATOR_COLUMNS)
            .eq("topic", topic);
        Ok(db
            .select(&select)?
            .rows
            .first()
            .map(|r| Annotator::from_row(r)))
    }

    /// Every annotator, by topic.
    pub fn list(db: &mut Db) -> Result<Vec<Annotator>, ServiceError> {
        let select = Select::from("annotators")
            .columns(ANNOTATOR_COLUMNS)
            .order_by("topic");
        Ok(db
            .select(&select)?
            .rows
            .iter()
            .map(|r| Annotator::from_row(r))
            .collect())
    }

    /// Switches annotator `topic` on or off.
    pub fn set_active(db: &mut Db, topic: &str, active: bool) -> Result<(), ServiceError> {
        let sets = [("active", Value::Int(i64::from(active)))];
        match db.update_where("annotators", &sets, "topic", &topic.into())? {
            0 => Err(ServiceError::NotFound {
                table: "annotators",
                key: "topic",
                id: topic.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

fn check_topic(topic: &str) -> Result<(), ServiceError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if topic.is_empty() || topic.len() > MAX_TOPIC || !topic.chars().all(plain) {
        return Err(ServiceError::invalid(
            format!("annotator topic {topic:?}"),
            format!("a topic is 1 to {MAX_TOPIC} of A-Z a-z 0-9 _ . -"),
        ));
    }
    Ok(())
}

/// One classification of one object, as an annotator submits it and as the annotation
/// stream carries it. `object` is the object's key as text (a ZTF name or an LSST
/// diaObjectId); Lasair's longest field sizes are enforced by [`Annotation::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    #[serde(
        rename = "objectId",
        alias = "diaObjectId",
        deserialize_with = "id_text"
    )]
    pub object: String,
    pub topic: String,
    pub classification: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub explanation: String,
    /// A JSON object, as text (as the client sends it).
    #[serde(default)]
    pub classdict: String,
    #[serde(default)]
    pub url: String,
    /// When it was received (`YYYY-MM-DD HH:MM:SS`, UTC); set by [`annotate`].
    #[serde(default)]
    pub timestamp: String,
}

/// The columns of an annotation row, the object key (`key`, the survey's) first.
fn columns(key: &'static str) -> [&'static str; 8] {
    [
        key,
        "topic",
        "classification",
        "version",
        "explanation",
        "classdict",
        "url",
        "timestamp",
    ]
}

/// An object key given as a JSON number (LSST) or string.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "an objectId is a string or an integer, not {other}"
        ))),
    }
}

/// Lasair's field limits (`lasairapi/serializers.py`): field, most characters.
const LIMITS: [(&str, usize); 6] = [
    ("topic", 255),
    ("classification", 80),
    ("version", 80),
    ("explanation", 1024),
    ("classdict", 4096),
    ("url", 1024),
];

impl Annotation {
    /// Field errors, as the API reports them (`{"field": ["message"]}`); empty when it is
    /// well formed. The classification is required; `classdict`, when given, must be a JSON
    /// object.
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        let values = [
            &self.topic,
            &self.classification,
            &self.version,
            &self.explanation,
            &self.classdict,
            &self.url,
        ];
        for ((field, most), value) in LIMITS.iter().zip(values) {
            let n = value.chars().count();
            if n > *most {
                errors.push((
                    *field,
                    format!("Ensure this field has no more than {most} characters."),
                ));
            }
        }
        for (field, value) in [
            ("topic", &self.topic),
            ("classification", &self.classification),
        ] {
            if value.trim().is_empty() {
                errors.push((field, "This field may not be blank.".into()));
            }
        }
        if !self.classdict.trim().is_empty()
            && !serde_json::from_str::<serde_json::Value>(&self.classdict)
                .is_ok_and(|v| v.is_object())
        {
            errors.push(("classdict", "Must be a JSON object, as text.".into()));
        }
        errors
    }

    /// The annotations of object `key`, newest first.
    pub fn of_object(db: &mut Db, key: Value) -> Result<Vec<Annotation>, ServiceError> {
        let catalog = db.catalog();
        let columns = columns(catalog.key);
        let select = Select::from("annotations")
            .columns(&columns)
            .eq(catalog.key, key)
            .order_by_desc("timestamp");
        Self::read(db, &select)
    }

    /// Annotator `topic`'s annotations, newest first, at most `limit` when given.
    pub fn of_topic(
        db: &mut Db,
        topic: &str,
        limit: Option<u64>,
    ) -> Result<Vec<Annotation>, ServiceError> {
        let columns = columns(db.catalog().key);
        let mut select = Select::from("annotations")
            .columns(&columns)
            .eq("topic", topic)
            .order_by_desc("timestamp");
        if let Some(n) = limit {
            select = select.limit(n);
        }
        Self::read(db, &select)
    }

    /// How many annotations annotator `topic` has made.
    pub fn count_of_topic(db: &mut Db, topic: &str) -> Result<u64, ServiceError> {
        let select = Select::from("annotations").count().eq("topic", topic);
        let rows = db.select(&select)?;
        Ok(rows.rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0) as u64)
    }

    /// The annotations `select` (of [`columns`]) names, in its order.
    fn read(db: &mut Db, select: &Select<'_>) -> Result<Vec<Annotation>, ServiceError> {
        Ok(db
            .select(select)?
            .rows
            .iter()
            .map(|r| {
                let c = Cells(r);
                Annotation {
                    object: r[0].as_i64().map_or_else(|| c.text(0), |i| i.to_string()),
                    topic: c.text(1),
                    classification: c.text(2),
                    version: c.text(3),
                    explanation: c.text(4),
                    classdict: c.text(5),
                    url: c.text(6),
                    timestamp: c.text(7),
                }
            })
            .collect())
    }
}

/// Why an annotation is refused: Lasair's own messages, for the API's `{"error": ...}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("Annotator error: topic {0} does not exist")]
    NoTopic(String),
    #[error("Annotator error: {user} is not allowed to submit to topic {topic}")]
    NotOwner { user: String, topic: String },
    #[error("Annotator error: topic {0} is not active -- ask Lasair team")]
    Inactive(String),
    #[error("Annotator error: {0}")]
    Object(String),
}

/// Checks that `user` may annotate under `annotation.topic` (the annotator exists, is active
/// and is theirs) and that the object key is one of this survey's; then stores it (replacing
/// that topic's older annotation of the object) stamped with the time now, and returns it as
/// stored. The caller sends it on to the annotation stream.
pub fn annotate(
    db: &mut Db,
    user: &User,
    annotation: &Annotation,
) -> Result<Result<Annotation, Refused>, ServiceError> {
    let mut done = annotate_all(db, user, std::slice::from_ref(annotation))?;
    Ok(done
        .pop()
        .unwrap_or_else(|| Err(Refused::NoTopic(annotation.topic.clone()))))
}

/// As [`annotate`], for many annotations at once (a batch of another broker's
/// classifications): each is checked as `annotate` checks one, the accepted are stored in one
/// upsert stamped with one time, and each gets its answer, in order. Of two for the same
/// object and topic, the later is the one kept.
pub fn annotate_all(
    db: &mut Db,
    user: &User,
    annotations: &[Annotation],
) -> Result<Vec<Result<Annotation, Refused>>, ServiceError> {
    let mut allowed: Vec<(&str, Result<(), Refused>)> = Vec::new();
    let catalog = db.catalog();
    let timestamp = crate::now();
    let mut answers = Vec::with_capacity(annotations.len());
    // One row per object and topic, the later replacing the earlier in place.
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut placed: HashMap<(String, String), usize> = HashMap::new();
    for annotation in annotations {
        let topic = annotation.topic.as_str();
        let may = match allowed.iter().find(|(t, _)| *t == topic) {
            Some((_, may)) => may.clone(),
            None => {
                let may = may_submit(db, user, topic)?;
                allowed.push((topic, may.clone()));
                may
            }
        };
        let key = may.and_then(|()| {
            crate::objects::key(catalog, &annotation.object)
                .map_err(|e| Refused::Object(e.to_string()))
        });
        answers.push(key.map(|key| {
            let stored = Annotation {
                timestamp: timestamp.clone(),
                ..annotation.clone()
            };
            let seen = (key.to_string(), stored.topic.clone());
            let row = stored.row(key);
            match placed.get(&seen) {
                Some(&i) => rows[i] = row,
                None => {
                    placed.insert(seen, rows.len());
                    rows.push(row);
                }
            }
            stored
        }));
    }
    db.upsert("annotations", &columns(catalog.key), &rows)?;
    Ok(answers)
}

/// Whether `user` may annotate under `topic`: the annotator exists, is theirs and is active.
fn may_submit(db: &mut Db, user: &User, topic: &str) -> Result<Result<(), Refused>, ServiceError> {
    let Some(annotator) = Annotator::get(db, topic)? else {
        return Ok(Err(Refused::NoTopic(topic.to_owned())));
    };
    if annotator.user_id != user.id {
        let name = format!("{} {}", user.first_name, user.last_name);
        let name = if name.trim().is_empty() {
            user.username.clone()
        } else {
            name
        };
        return Ok(Err(Refused::NotOwner {
            user: name,
            topic: topic.to_owned(),
        }));
    }
    if !annotator.active {
        return Ok(Err(Refused::Inactive(topic.to_owned())));
    }
    Ok(Ok(()))
}

impl Annotation {
    /// Its row of the `annotations` table, under object key `key` (already checked).
    fn row(&self, key: Value) -> Vec<Value> {
        vec![
            key,
            self.topic.as_str().into(),
            self.classification.as_str().into(),
            self.version.as_str().into(),
            self.explanation.as_str().into(),
            self.classdict.as_str().into(),
            self.url.as_str().into(),
            self.timestamp.as_str().into(),
        ]
    }

    /// The annotation stream's message for a stored annotation: the JSON line lasair-filter
    /// --annotations reads, sent with the object's key as the Kafka message key (so one
    /// object's annotations keep their order in a partition). lasair-serve and lasair-sync
    /// both send exactly this.
    pub fn stream_message(&self) -> Result<(&[u8], String), ServiceError> {
        let line = serde_json::to_string(self).map_err(|e| {
            ServiceError::invalid(format!("annotation of {}", self.object), e.to_string())
        })?;
        Ok((self.object.as_bytes(), line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::NewUser;

    fn user(db: &mut Db, name: &str) -> User {
        let new = NewUser {
            username: name.into(),
            first_name: name.to_uppercase(),
            last_name: "X".into(),
            ..NewUser::default()
        };
        User::create(db, &new).expect("user")
    }

    fn note(object: &str, topic: &str, class: &str) -> Annotation {
        Annotation {
            object: object.into(),
            topic: topic.into(),
            classification: class.into(),
            version: "0.1".into(),
            explanation: String::new(),
            classdict: r#"{"p": 0.9}"#.into(),
            url: String::new(),
            timestamp: String::new(),
        }
    }

    #[test]
    fn only_the_owner_of_an_active_topic_annotates_and_the_newest_stays() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let (ada, bob) = (user(&mut db, "ada"), user(&mut db, "bob"));
        assert!(Annotator::register(&mut db, "a/b", ada.id, "", true).is_err());
        assert!(Annotator::register(&mut db, "fast", 999, "", true).is_err());
        Annotator::register(&mut db, "fast", ada.id, "fast risers", true).expect("registered");
        let refused = |db: &mut Db, u: &User, a: &Annotation| {
            annotate(db, u, a)
                .expect("checked")
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            refused(&mut db, &ada, &note("ZTF1", "slow", "SN")),
            "Annotator error: topic slow does not exist"
        );
        assert_eq!(
            refused(&mut db, &bob, &note("ZTF1", "fast", "SN")),
            "Annotator error: BOB X is not allowed to submit to topic fast"
        );
        assert!(refused(&mut db, &ada, &note("ZTF1'--", "fast", "SN")).contains("objectId"));
        let first = annotate(&mut db, &ada, &note("ZTF1", "fast", "SN"))
            .expect("ok")
            .expect("ok");
        assert!(!first.timestamp.is_empty());
        annotate(&mut db, &ada, &note("ZTF1", "fast", "AGN"))
            .expect("ok")
            .expect("ok");
        let all = Annotation::of_object(&mut db, "ZTF1".into()).expect("read");
        assert_eq!(all.len(), 1, "one per object and topic");
        assert_eq!(all[0].classification, "AGN");
        assert_eq!(all[0].object, "ZTF1");
        Annotator::set_active(&mut db, "fast", false).expect("off");
        assert_eq!(
            refused(&mut db, &ada, &note("ZTF1", "fast", "SN")),
            "Annotator error: topic fast is not active -- ask Lasair team"
        );
        assert_eq!(Annotator::list(&mut db).expect("list").len(), 1);
    }

    #[test]
    fn a_batch_is_checked_item_by_item_and_the_later_of_two_is_kept() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let ada = user(&mut db, "ada");
        Annotator::register(&mut db, "fast", ada.id, "", true).expect("registered");
        let batch = [
            note("ZTF1", "fast", "SN"),
            note("ZTF1' OR 1", "fast", "SN"),
            note("ZTF2", "slow", "AGN"),
            note("ZTF1", "fast", "TDE"),
            note("ZTF3", "fast", "CV"),
        ];
        let answers = annotate_all(&mut db, &ada, &batch).expect("stored");
        let refused: Vec<bool> = answers.iter().map(Result::is_err).collect();
        assert_eq!(refused, [false, true, true, false, false]);
        let stamped: Vec<&str> = answers
            .iter()
            .flatten()
            .map(|a| a.timestamp.as_str())
            .collect();
        assert!(stamped.windows(2).all(|w| w[0] == w[1] && !w[0].is_empty()));
        let one = Annotation::of_object(&mut db, "ZTF1".into()).expect("read");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].classification, "TDE", "the later of the two");
        assert_eq!(
            Annotation::of_object(&mut db, "ZTF3".into())
                .expect("read")
                .len(),
            1
        );
        let (key, line) = answers[4]
            .as_ref()
            .expect("ok")
            .stream_message()
            .expect("line");
        assert_eq!(key, b"ZTF3");
        let back: Annotation = serde_json::from_str(&line).expect("a stream line");
        assert_eq!(&back, answers[4].as_ref().expect("ok"));
    }

    #[test]
    fn field_errors_are_lasairs() {
        let mut a = note("1", "t", "");
        a.version = "v".repeat(81);
        a.classdict = "[1]".into();
        let fields: Vec<&str> = a.check().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["version", "classification", "classdict"]);
        assert!(note("1", "t", "SN").check().is_empty());
        let line = r#"{"diaObjectId": 313853259557322802, "topic": "t", "classification": "SN"}"#;
        let read: Annotation = serde_json::from_str(line).expect("read");
        assert_eq!(read.object, "313853259557322802");
    }
}

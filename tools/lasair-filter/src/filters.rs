//! The active user filters, read through lasair-service with their owners' addresses: those
//! run on alerts compiled once for the batch database (SQLite); those run on annotations
//! compiled for the main database, once as saved and again for each batch's objects.

use lasair_db::Db;
use lasair_mail::Recipient;
use lasair_service::filter::{ActiveFilter, Delivery, Filter};
use lasair_service::ServiceError;
use lasair_sql::catalog::Catalog;
use lasair_sql::{compile, CompiledQuery, Dialect, Limits, ObjectKey, SqlError, UserQuery};

/// One active filter, ready to run.
#[derive(Debug, Clone)]
pub struct RunFilter {
    pub id: i64,
    pub topic: String,
    pub delivery: Delivery,
    /// Who hears of its results and failures by email.
    pub recipient: Recipient,
    /// The compiled query, or why it does not compile (its owner is told once).
    pub query: Result<CompiledQuery, SqlError>,
}

impl RunFilter {
    /// `active`, to run as `query` (its saved query, compiled).
    fn new(active: &ActiveFilter, query: Result<CompiledQuery, SqlError>) -> RunFilter {
        let f = &active.filter;
        RunFilter {
            id: f.id,
            topic: f.topic.clone(),
            delivery: active.delivery,
            recipient: Recipient {
                id: f.id,
                topic: f.topic.clone(),
                name: f.name.clone(),
                email: active.email.clone(),
            },
            query,
        }
    }
}

/// Every active filter of the main database run on alerts, compiled for the batch database.
pub fn load(
    db: &mut Db,
    catalog: &Catalog,
    limits: &Limits,
) -> Result<Vec<RunFilter>, ServiceError> {
    Ok(Filter::active(db)?
        .iter()
        .map(|a| compiled(a, catalog, limits))
        .collect())
}

fn compiled(active: &ActiveFilter, catalog: &Catalog, limits: &Limits) -> RunFilter {
    let query = compile(&active.filter.query, catalog, Dialect::Sqlite, limits);
    RunFilter::new(active, query)
}

/// An active filter run on annotations, its saved query compiled for the main database: the
/// annotators it names, or why it does not compile.
#[derive(Debug, Clone)]
pub struct OnAnnotation {
    pub active: ActiveFilter,
    pub compiled: Result<CompiledQuery, SqlError>,
}

impl OnAnnotation {
    /// Ready to run on `db` for `objects` only. One that does not compile comes as it is, so
    /// its owner hears why.
    pub fn for_objects(&self, objects: Vec<ObjectKey>, db: &Db, limits: &Limits) -> RunFilter {
        let query = match &self.compiled {
            Ok(_) => {
                let query = UserQuery {
                    objects: Some(objects),
                    ..self.active.filter.query.clone()
                };
                compile(&query, db.catalog(), db.dialect(), limits)
            }
            Err(e) => Err(e.clone()),
        };
        RunFilter::new(&self.active, query)
    }
}

/// Every active filter of the main database run on annotations, compiled for it.
pub fn load_on_annotation(db: &mut Db, limits: &Limits) -> Result<Vec<OnAnnotation>, ServiceError> {
    let (catalog, dialect) = (db.catalog(), db.dialect());
    Ok(Filter::active_on_annotation(db)?
        .into_iter()
        .map(|active| OnAnnotation {
            compiled: compile(&active.filter.query, catalog, dialect, limits),
            active,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_service::filter::{NewFilter, Trigger};
    use lasair_service::Record;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn deliveries_and_bad_queries_are_kept_apart() {
        let mut db = lasair_db::Db::open("sqlite::memory:").expect("db");
        let new = NewFilter::new(
            9,
            "bright",
            "objects.objectId",
            "objects",
            "objects.gmag < 18",
        );
        Filter::create(&mut db, &new, Some(Delivery::KafkaLite)).expect("saved");
        Filter::create(&mut db, &new, None).expect("saved, muted");
        let limits = Limits::default();
        let mut found = load(&mut db, &ZTF, &limits).expect("load");
        assert_eq!(found.len(), 1);
        let f = found.remove(0);
        assert_eq!(
            (f.delivery, f.topic.as_str()),
            (Delivery::KafkaLite, "lasair_9bright")
        );
        assert!(f.query.is_ok());
        // A filter saved before the compiler tightened still loads, with its error.
        let active = ActiveFilter {
            filter: lasair_service::filter::Filter {
                query: lasair_sql::UserQuery {
                    conditions: "1; DROP TABLE objects".into(),
                    ..f_query()
                },
                ..Filter::get(&mut db, f.id).expect("read")
            },
            delivery: Delivery::Email,
            email: Some("ada@example.org".into()),
        };
        let bad = compiled(&active, &ZTF, &limits);
        assert!(bad.query.is_err());
        assert_eq!(bad.recipient.email.as_deref(), Some("ada@example.org"));
    }

    #[test]
    fn filters_on_annotations_know_their_annotators_and_run_for_given_objects() {
        let mut db = lasair_db::Db::open("sqlite::memory:").expect("db");
        let mut new = NewFilter::new(
            9,
            "classified",
            "objects.objectId, annotations.classification",
            "objects, annotator:fast",
            "",
        );
        new.trigger = Trigger {
            on_alert: false,
            on_annotation: true,
        };
        Filter::create(&mut db, &new, Some(Delivery::Kafka)).expect("saved");
        let limits = Limits::default();
        assert!(load(&mut db, &ZTF, &limits).expect("load").is_empty());
        let found = load_on_annotation(&mut db, &limits).expect("load");
        assert_eq!(found.len(), 1);
        let annotators = found[0].compiled.as_ref().map(|c| c.annotators.clone());
        assert_eq!(annotators.expect("compiles"), ["fast"]);
        let run = found[0].for_objects(vec!["ZTF1a".into()], &db, &limits);
        let sql = run.query.expect("compiles").sql;
        assert!(
            sql.contains(r#""objects"."objectId" IN ('ZTF1a')"#),
            "{sql}"
        );
        let bad = found[0].for_objects(vec![ObjectKey::Int(1)], &db, &limits);
        assert!(bad.query.is_err(), "a ZTF key is text");
    }

    fn f_query() -> lasair_sql::UserQuery {
        lasair_sql::UserQuery {
            select: "objects.objectId".into(),
            tables: "objects".into(),
            ..lasair_sql::UserQuery::default()
        }
    }
}

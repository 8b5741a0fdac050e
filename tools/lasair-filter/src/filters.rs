//! The active user filters, read through lasair-service with their owners' addresses and
//! compiled once for the batch database (SQLite).

use lasair_mail::Recipient;
use lasair_service::filter::{ActiveFilter, Delivery, Filter};
use lasair_service::ServiceError;
use lasair_sql::catalog::Catalog;
use lasair_sql::{compile, CompiledQuery, Dialect, Limits, SqlError};

/// One active filter, ready to run on a batch.
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

/// Every active filter of the main database, compiled for the batch database.
pub fn load(
    db: &mut lasair_db::Db,
    catalog: &Catalog,
    limits: &Limits,
) -> Result<Vec<RunFilter>, ServiceError> {
    Ok(Filter::active(db)?
        .into_iter()
        .map(|a| compiled(a, catalog, limits))
        .collect())
}

fn compiled(active: ActiveFilter, catalog: &Catalog, limits: &Limits) -> RunFilter {
    let f = active.filter;
    RunFilter {
        id: f.id,
        delivery: active.delivery,
        recipient: Recipient {
            id: f.id,
            topic: f.topic.clone(),
            name: f.name.clone(),
            email: active.email,
        },
        query: compile(&f.query, catalog, Dialect::Sqlite, limits),
        topic: f.topic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_service::filter::NewFilter;
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
        let bad = compiled(active, &ZTF, &limits);
        assert!(bad.query.is_err());
        assert_eq!(bad.recipient.email.as_deref(), Some("ada@example.org"));
    }

    fn f_query() -> lasair_sql::UserQuery {
        lasair_sql::UserQuery {
            select: "objects.objectId".into(),
            tables: "objects".into(),
            ..lasair_sql::UserQuery::default()
        }
    }
}

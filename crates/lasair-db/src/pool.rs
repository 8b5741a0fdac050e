//! A handle on the main database that many threads share (a web server's handlers): cloned
//! cheaply, each taker holding a [`Db`] of its own for as long as it needs one and handing it
//! back when dropped. Connections are opened on demand and at most `idle` are kept.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use lasair_sql::catalog::Catalog;

use crate::{Db, DbError};

/// Connections kept open between uses, by default.
const DEFAULT_IDLE: usize = 8;

/// A shared handle on one database; `clone` shares it.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    url: String,
    catalog: &'static Catalog,
    readonly: bool,
    max_idle: usize,
    idle: Mutex<Vec<Db>>,
}

/// A connection taken from a [`Pool`], returned to it when dropped.
#[derive(Debug)]
pub struct Pooled {
    db: Option<Db>,
    pool: Arc<Inner>,
}

impl Pool {
    /// Opens `url` once (creating or migrating its schema unless `readonly`, so a bad URL
    /// fails here) and keeps that connection for the first taker.
    pub fn open(url: &str, catalog: &'static Catalog, readonly: bool) -> Result<Pool, DbError> {
        let first = Db::open_with(url, catalog, readonly)?;
        Ok(Pool {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                catalog,
                readonly,
                max_idle: DEFAULT_IDLE,
                idle: Mutex::new(vec![first]),
            }),
        })
    }

    /// An idle connection, or a new one when every one is taken.
    pub fn get(&self) -> Result<Pooled, DbError> {
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let db = match idle {
            Some(db) => db,
            None => Db::open_with(&self.inner.url, self.inner.catalog, self.inner.readonly)?,
        };
        Ok(Pooled {
            db: Some(db),
            pool: Arc::clone(&self.inner),
        })
    }

    /// The connections it keeps open between uses: how many takers at once it serves
    /// without opening (and closing again) a connection of their own.
    pub fn capacity(&self) -> usize {
        self.inner.max_idle
    }

    /// The catalogue (survey tables) of the database.
    pub fn catalog(&self) -> &'static Catalog {
        self.inner.catalog
    }

    /// Connections open and idle now.
    pub fn idle(&self) -> usize {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Deref for Pooled {
    type Target = Db;
    fn deref(&self) -> &Db {
        // Some from construction until drop.
        self.db.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Db {
        self.db.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(db) = self.db.take() else { return };
        let mut idle = self
            .pool
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.pool.max_idle {
            idle.push(db);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Select;
    use lasair_sql::catalog::ZTF;

    #[test]
    fn threads_share_one_database_through_the_pool() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("lasair.db").display());
        let pool = Pool::open(&url, &ZTF, false).expect("open");
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    let mut db = pool.get().expect("a connection");
                    let cols = ["name", "value", "updated"];
                    let row = vec![format!("t{i}").into(), 1.0.into(), "now".into()];
                    db.upsert("statistics", &cols, &[row]).expect("upsert");
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
        let mut db = pool.get().expect("a connection");
        let rows = db
            .select(&Select::from("statistics").count())
            .expect("count");
        assert_eq!(rows.rows, [vec![crate::Value::Int(4)]]);
        drop(db);
        assert!((1..=DEFAULT_IDLE).contains(&pool.idle()));
    }
}

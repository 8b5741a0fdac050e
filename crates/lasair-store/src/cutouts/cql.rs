//! Cutouts in a Cassandra or ScyllaDB table, each kept for a time (a TTL) as Lasair-LSST keeps
//! its cutouts: `cql://HOST:PORT[,HOST:PORT...]/KEYSPACE[?ttl_days=N&replication=N]`, 365 days
//! unless `ttl_days` says otherwise (0: kept for ever). Opening creates the keyspace (see
//! [`crate::cql`]) and the table if missing:
//!
//! ```cql
//! CREATE TABLE IF NOT EXISTS KEYSPACE.cutouts (
//!     survey text, sourceId bigint, kind text,  -- the partition: one cutout
//!     objectId text,
//!     data blob,                                -- FITS, plain or gzipped, as the alert carried it
//!     PRIMARY KEY ((survey, sourceId, kind)))
//! ```
//!
//! A partition per cutout keeps partitions small whatever an object's history, and every read
//! is one partition. Writes are prepared once with their TTL and sent concurrently; a replayed
//! alert writes the same cells again (with a fresh TTL). The store owns a tokio runtime and
//! blocks on it, so it must not be called from inside another runtime.

use futures::{StreamExt, TryStreamExt};
use lasair_alert::{Alert, CutoutKind, Survey};
use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::SerializeRow;
use tokio::runtime::Runtime;

use super::{row_places, CutoutError, CutoutKey, Cutouts, Placed};
use crate::cql::{self, prepare, Target};

/// The table's definition; `{ks}` is the keyspace.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS {ks}.cutouts (survey text, sourceId bigint, \
kind text, objectId text, data blob, PRIMARY KEY ((survey, sourceId, kind)))";

/// How long a cutout is kept unless the URL says otherwise, as in Lasair-LSST.
pub const DEFAULT_TTL_DAYS: u32 = 365;

/// Cassandra's longest TTL (20 years), in days.
const MAX_TTL_DAYS: u32 = 7300;

/// A cutout as bound to the insert, in the order of its columns.
#[derive(SerializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct WriteRow<'a> {
    survey: &'a str,
    source_id: i64,
    kind: &'a str,
    object_id: &'a str,
    data: &'a [u8],
}

/// The cutout table of a CQL cluster.
pub struct CqlCutouts {
    url: String,
    session: Session,
    insert: PreparedStatement,
    select: PreparedStatement,
    /// The select without the cutout's bytes: whether it is there.
    exists: PreparedStatement,
    scan: PreparedStatement,
    // Declared last so the session's connections close before the runtime stops.
    runtime: Runtime,
}

/// The TTL the URL asks for, in seconds (0: none).
fn ttl_seconds(target: &Target) -> Result<u32, String> {
    let Some(days) = target.params.get("ttl_days") else {
        return Ok(DEFAULT_TTL_DAYS * 86_400);
    };
    days.parse::<u32>()
        .ok()
        .filter(|&d| d <= MAX_TTL_DAYS)
        .map(|d| d * 86_400)
        .ok_or(format!(
            "ttl_days={days}: expected whole days from 0 (kept for ever) to {MAX_TTL_DAYS}"
        ))
}

/// The insert, with the TTL spliced in as the integer it is.
fn insert_cql(keyspace: &str, ttl: u32) -> String {
    format!(
        "INSERT INTO {keyspace}.cutouts (survey, sourceId, kind, objectId, data) \
         VALUES (?, ?, ?, ?, ?) USING TTL {ttl}"
    )
}

impl CqlCutouts {
    /// Connects to `cql://HOST:PORT[,HOST:PORT]/KEYSPACE[?ttl_days=N&replication=N]`.
    pub fn open(url: &str) -> Result<Self, CutoutError> {
        let failed = |reason: String| CutoutError::Open {
            url: url.to_owned(),
            reason,
        };
        let target = Target::parse(url, &["ttl_days"]).map_err(failed)?;
        let ttl = ttl_seconds(&target).map_err(failed)?;
        let runtime = cql::runtime().map_err(failed)?;
        let ks = target.keyspace.clone();
        let (session, insert, select, exists, scan) = runtime
            .block_on(async {
                let session = cql::connect(&target, &[SCHEMA]).await?;
                let insert = prepare(&session, insert_cql(&ks, ttl)).await?;
                // The whole partition key: one cutout, whose objectId is checked here.
                let select = format!(
                    "SELECT objectId, data FROM {ks}.cutouts WHERE survey = ? AND sourceId = ? AND kind = ?"
                );
                let select = prepare(&session, select).await?;
                let exists = format!(
                    "SELECT objectId FROM {ks}.cutouts WHERE survey = ? AND sourceId = ? AND kind = ?"
                );
                let exists = prepare(&session, exists).await?;
                let scan = prepare(&session, format!("SELECT kind FROM {ks}.cutouts")).await?;
                Ok::<_, String>((session, insert, select, exists, scan))
            })
            .map_err(failed)?;
        Ok(Self {
            url: url.to_owned(),
            session,
            insert,
            select,
            exists,
            scan,
            runtime,
        })
    }

    /// Those of `asked` that are stored under `object_id`, in the order asked.
    fn stored_of(
        &self,
        survey: Survey,
        object_id: &str,
        asked: &[(i64, CutoutKind)],
    ) -> Result<Vec<(i64, CutoutKind)>, CutoutError> {
        let (session, exists) = (&self.session, &self.exists);
        let one = |(source, kind): (i64, CutoutKind)| async move {
            let pager = session
                .execute_iter(exists.clone(), (survey.as_str(), source, kind.as_str()))
                .await?;
            let rows: Vec<(String,)> = pager.rows_stream()?.try_collect().await?;
            let there = rows.iter().any(|(object,)| object == object_id);
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(there.then_some((source, kind)))
        };
        let all = futures::stream::iter(asked.iter().copied())
            .map(one)
            .buffered(cql::IN_FLIGHT)
            .try_collect::<Vec<_>>();
        let found = self
            .runtime
            .block_on(all)
            .map_err(|e| self.failed("asking for cutouts", e))?;
        Ok(found.into_iter().flatten().collect())
    }

    fn failed(&self, doing: &str, e: impl std::fmt::Display) -> CutoutError {
        CutoutError::store(&self.url, format!("cql {doing}: {e}"))
    }
}

impl Cutouts for CqlCutouts {
    fn describe(&self) -> String {
        self.url.clone()
    }

    /// Every cutout of the batch sent at once (at most [`cql::IN_FLIGHT`] in flight); durable
    /// when every write is acknowledged at the session's consistency level, which is when it
    /// returns.
    fn write_batch(&self, alerts: &[Alert]) -> Result<Vec<Placed>, CutoutError> {
        let rows = alerts.iter().flat_map(|alert| {
            alert.cutouts.iter().map(move |c| WriteRow {
                survey: alert.survey.as_str(),
                source_id: alert.source_id,
                kind: c.kind.as_str(),
                object_id: alert.object_id.0.as_str(),
                data: &c.data,
            })
        });
        let (session, insert) = (&self.session, &self.insert);
        let writes = futures::stream::iter(rows)
            .map(|row| async move { session.execute_unpaged(insert, row).await })
            .buffer_unordered(cql::IN_FLIGHT)
            .try_for_each(|_| async { Ok(()) });
        self.runtime
            .block_on(writes)
            .map_err(|e| self.failed("writing cutouts", e))?;
        Ok(alerts.iter().map(|alert| self.places(alert)).collect())
    }

    fn places(&self, alert: &Alert) -> Placed {
        row_places(&self.url, alert)
    }

    /// Nothing to do: every write was acknowledged before [`Cutouts::write_batch`] returned.
    fn sync(&self) -> Result<(), CutoutError> {
        Ok(())
    }

    fn read(&self, key: CutoutKey) -> Result<Option<Vec<u8>>, CutoutError> {
        let read = async {
            let pager = self
                .session
                .execute_iter(
                    self.select.clone(),
                    (key.survey.as_str(), key.source_id, key.kind.as_str()),
                )
                .await?;
            let rows: Vec<(String, Vec<u8>)> = pager.rows_stream()?.try_collect().await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(rows)
        };
        let rows = self
            .runtime
            .block_on(read)
            .map_err(|e| self.failed("reading a cutout", e))?;
        Ok(rows
            .into_iter()
            .find(|(object, _)| object == key.object_id)
            .map(|(_, data)| data))
    }

    fn has(&self, key: CutoutKey) -> Result<bool, CutoutError> {
        let found = self.stored_of(key.survey, key.object_id, &[(key.source_id, key.kind)])?;
        Ok(!found.is_empty())
    }

    /// Every (source, kind) asked at once (at most [`cql::IN_FLIGHT`] in flight), without
    /// the cutouts' bytes.
    fn stored(
        &self,
        survey: Survey,
        object_id: &str,
        sources: &[i64],
    ) -> Result<Vec<(i64, CutoutKind)>, CutoutError> {
        let asked: Vec<(i64, CutoutKind)> = sources
            .iter()
            .flat_map(|&s| CutoutKind::ALL.map(|k| (s, k)))
            .collect();
        self.stored_of(survey, object_id, &asked)
    }

    fn count(&self) -> Result<u64, CutoutError> {
        // A paged scan counted here: the test server has no count(*).
        let scan = async {
            let pager = self.session.execute_iter(self.scan.clone(), ()).await?;
            let n = pager
                .rows_stream::<(String,)>()?
                .try_fold(0u64, |n, _| async move { Ok(n + 1) })
                .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(n)
        };
        self.runtime
            .block_on(scan)
            .map_err(|e| self.failed("counting cutouts", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ttl_is_a_year_unless_the_url_says_otherwise() {
        let ttl = |url: &str| ttl_seconds(&Target::parse(url, &["ttl_days"]).expect("url"));
        assert_eq!(ttl("cql://h:9042/ks"), Ok(365 * 86_400));
        assert_eq!(ttl("cql://h:9042/ks?ttl_days=30"), Ok(30 * 86_400));
        assert_eq!(ttl("cql://h:9042/ks?ttl_days=0"), Ok(0));
        for bad in ["-1", "x", "7301", "1.5", ""] {
            assert!(
                ttl(&format!("cql://h:9042/ks?ttl_days={bad}")).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            insert_cql("ks", 86_400),
            "INSERT INTO ks.cutouts (survey, sourceId, kind, objectId, data) \
             VALUES (?, ?, ?, ?, ?) USING TTL 86400"
        );
    }
}

//! One in-memory node: kassandra's session plus what the scylla driver and Cassandra's
//! write-time semantics need on top of it. It answers one request frame at a time.

use std::time::{SystemTime, UNIX_EPOCH};

use kassandra::cql::query::QueryString;
use kassandra::cql::value::CqlValue;
use kassandra::error::DbError;
use kassandra::frame::request::batch::{Batch, BatchStatement};
use kassandra::frame::request::{
    query::Query, QueryFlags, QueryParameters, Request, RequestOpcode,
};
use kassandra::frame::response::{error::Error, result::QueryResult, Response};
use kassandra::frame::{parse, FrameFlags};
use kassandra::KassandraSession;

use crate::prepared::{describe_only_markers, Statement, Statements};
use crate::using::using_timestamp;
use crate::writetime::WriteTimes;

pub struct Node {
    session: KassandraSession,
    prepared: Statements,
    writes: WriteTimes,
    keyspace: Option<String>,
}

impl Node {
    pub fn new() -> Result<Self, String> {
        let mut session = KassandraSession::new();
        // kassandra's own token ('hello') is not a Murmur3 token, so the driver's ring fails.
        let seed = "INSERT INTO system.local (key, tokens) VALUES ('local', ['0'])";
        let query =
            Query::simple(seed).map_err(|e| format!("seeding system.local: {}", e.reason))?;
        session
            .process(query)
            .map_err(|e| format!("seeding system.local: {}", e.reason))?;
        Ok(Self {
            session,
            prepared: Statements::default(),
            writes: WriteTimes::default(),
            keyspace: None,
        })
    }

    pub fn handle(&mut self, opcode: RequestOpcode, body: &[u8], flags: FrameFlags) -> Response {
        if opcode == RequestOpcode::AuthResponse {
            return invalid(
                DbError::ProtocolError,
                "this test server has no authentication",
            );
        }
        let request = match Request::deserialize(opcode, body, flags) {
            Ok(request) => request,
            Err(e) => return Response::Error(e),
        };
        let result = match request {
            Request::StartUp(_) | Request::Register { .. } => return Response::Ready,
            Request::Options => return Response::options(),
            Request::AuthResponse => return invalid(DbError::ProtocolError, "no authentication"),
            Request::Query(q) => match using_timestamp(q.raw_query) {
                Ok(timestamp) => self.run(q.query, q.parameters, timestamp),
                Err(e) => Err(Error::new(DbError::Invalid, e)),
            },
            Request::Prepare(query) => self.prepare(query, body),
            Request::Execute(e) => match self.prepared.get(e.id) {
                Some(s) => self.run(s.query, e.parameters, s.timestamp),
                // kassandra answers with the Unprepared error the driver recovers from.
                None => self.session.execute(e),
            },
            Request::Batch(batch) => self.batch(batch),
        };
        match result {
            Ok(result) => Response::Result(nulls_read_as_null(result)),
            Err(e) => Response::Error(e),
        }
    }

    /// Runs one statement with its write time: its own `USING TIMESTAMP`, else the request's
    /// default timestamp, else the clock, as Cassandra chooses.
    fn run(
        &mut self,
        query: QueryString,
        parameters: QueryParameters<'_>,
        using: Option<i64>,
    ) -> Result<QueryResult, Error> {
        let timestamp = using
            .or(parameters.default_timestamp)
            .unwrap_or_else(now_micros);
        match query {
            QueryString::Insert(insert) => {
                let ks = self.keyspace_of(&insert.keyspace);
                let (insert, data, pending) =
                    self.writes
                        .filter(&ks, insert, parameters.data.clone(), timestamp);
                let parameters = QueryParameters { data, ..parameters };
                let result = self.process(QueryString::Insert(insert), parameters)?;
                if let Some(pending) = pending {
                    self.writes.commit(pending);
                }
                Ok(result)
            }
            QueryString::Delete(delete) => {
                let ks = self.keyspace_of(&delete.keyspace);
                let where_ = delete.r#where.statements.clone();
                let table = delete.table.clone();
                let result = self.process(QueryString::Delete(delete), parameters.clone())?;
                self.writes.forget(&ks, &table, &where_, parameters.data);
                Ok(result)
            }
            QueryString::CreateTable(create) => {
                let ks = self.keyspace_of(&create.keyspace);
                let result = self.process(QueryString::CreateTable(create.clone()), parameters)?;
                self.writes.table_created(&ks, &create);
                Ok(result)
            }
            QueryString::Use { keyspace } => {
                self.keyspace = Some(keyspace.clone());
                self.process(QueryString::Use { keyspace }, parameters)
            }
            other => self.process(other, parameters),
        }
    }

    /// The keyspace a statement names, else the one of the last USE.
    fn keyspace_of(&self, named: &Option<String>) -> String {
        named
            .clone()
            .or_else(|| self.keyspace.clone())
            .unwrap_or_default()
    }

    fn process(
        &mut self,
        query: QueryString,
        parameters: QueryParameters<'_>,
    ) -> Result<QueryResult, Error> {
        self.session.process(Query {
            query,
            raw_query: "",
            parameters,
        })
    }

    fn prepare(&mut self, query: QueryString, body: &[u8]) -> Result<QueryResult, Error> {
        let (_, text) = parse::long_string(body)?;
        let timestamp = using_timestamp(text).map_err(|e| Error::new(DbError::Invalid, e))?;
        let mut result = self.session.prepare(query.clone())?;
        if let QueryResult::Prepared(prepared) = &mut result {
            describe_only_markers(&query, &mut prepared.prepared_metadata);
            self.prepared
                .insert(prepared.id, Statement { query, timestamp });
        }
        Ok(result)
    }

    fn batch(&mut self, batch: Batch<'_>) -> Result<QueryResult, Error> {
        for statement in batch.statements {
            let (query, values, using) = match statement {
                BatchStatement::Query {
                    query,
                    raw_query,
                    values,
                } => {
                    let using =
                        using_timestamp(raw_query).map_err(|e| Error::new(DbError::Invalid, e))?;
                    (query, values, using)
                }
                BatchStatement::Prepared { id, values } => {
                    let Some(s) = self.prepared.get(id) else {
                        let statement_id = id.to_vec().into();
                        let unprepared = DbError::Unprepared { statement_id };
                        return Err(Error::new(unprepared, "unprepared statement in a batch"));
                    };
                    (s.query, values, s.timestamp)
                }
            };
            let parameters = QueryParameters {
                consistency: batch.consistency,
                flags: QueryFlags::VALUES,
                data: values,
                result_page_size: None,
                paging_state: None,
                serial_consistency: batch.serial_consistency,
                default_timestamp: batch.timestamp,
            };
            self.run(query, parameters, using)?;
        }
        Ok(QueryResult::Void)
    }
}

/// kassandra stores a deleted cell as an empty value, which the driver cannot read as a
/// number; Cassandra returns null.
fn nulls_read_as_null(mut result: QueryResult) -> QueryResult {
    if let QueryResult::Rows(rows) = &mut result {
        for cell in rows.rows.iter_mut().flat_map(|r| r.columns.iter_mut()) {
            if *cell == Some(CqlValue::Empty) {
                *cell = None;
            }
        }
    }
    result
}

fn invalid(error: DbError, reason: &str) -> Response {
    Response::Error(Error::new(error, reason))
}

fn now_micros() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

//! Cassandra's last-write-wins, which kassandra lacks: every cell remembers its write time, and
//! a write older than a cell's leaves that cell alone, so writes commute as they do in Cassandra.

use std::collections::{BTreeMap, HashMap};

use kassandra::cql::{
    column::{map_pre_type, ColumnType},
    literal::Literal,
    query::{CreateTableQuery, InsertQuery, QueryValue},
    value::{deserialize_value, map_lit, CqlValue},
};
use kassandra::frame::value::FrameValue;

/// The primary key of a table, as created through this server.
struct TableKey {
    partition: Vec<String>,
    clustering: Vec<String>,
    types: HashMap<String, ColumnType>,
}

/// (keyspace, table, partition key, clustering key).
type RowKey = (String, String, Vec<CqlValue>, Vec<CqlValue>);

/// Write times of the cells of every table created through this server (system tables have
/// none: kassandra's plain overwrite is what they need).
#[derive(Default)]
pub struct WriteTimes {
    tables: HashMap<(String, String), TableKey>,
    cells: BTreeMap<RowKey, HashMap<String, i64>>,
}

/// The cells an INSERT may write, to be recorded once kassandra has written them.
pub struct Pending {
    row: RowKey,
    columns: Vec<String>,
    timestamp: i64,
}

/// A column of a statement with its bound value (`None` for a literal).
type Bound<'a> = (String, QueryValue, Option<FrameValue<'a>>);

impl WriteTimes {
    pub fn table_created(&mut self, keyspace: &str, create: &CreateTableQuery) {
        let types = create
            .columns
            .iter()
            .map(|(n, t)| (n.clone(), map_pre_type(t.clone())));
        let key = TableKey {
            partition: create.partition_keys.clone(),
            clustering: create.clustering_keys.clone(),
            types: types.collect(),
        };
        // IF NOT EXISTS keeps the first definition, as Cassandra does.
        self.tables
            .entry((keyspace.to_owned(), create.table.clone()))
            .or_insert(key);
    }

    /// Drops from an INSERT the cells that hold a newer write, and turns bound nulls into
    /// literal nulls, which kassandra stores (bound nulls it skips, leaving the old value).
    pub fn filter<'a>(
        &self,
        keyspace: &str,
        insert: InsertQuery,
        data: Vec<FrameValue<'a>>,
        timestamp: i64,
    ) -> (InsertQuery, Vec<FrameValue<'a>>, Option<Pending>) {
        let Some(table) = self
            .tables
            .get(&(keyspace.to_owned(), insert.table.clone()))
        else {
            return (insert, data, None);
        };
        let bound = bind(&insert.columns, &insert.values, data.clone());
        let Some(row) = row_key(keyspace, &insert.table, table, &bound) else {
            // kassandra will refuse the statement itself (a key is missing or null).
            return (insert, data, None);
        };
        let times = self.cells.get(&row);
        let (mut columns, mut values, mut kept, mut written) = (vec![], vec![], vec![], vec![]);
        for (column, value, frame) in bound {
            let is_key = table.partition.contains(&column) || table.clustering.contains(&column);
            if !is_key {
                if times
                    .and_then(|t| t.get(&column))
                    .is_some_and(|&t| t > timestamp)
                {
                    continue;
                }
                if !matches!(frame, Some(FrameValue::NotSet)) {
                    written.push(column.clone());
                }
            }
            match frame {
                Some(FrameValue::Null) if !is_key => {
                    values.push(QueryValue::Literal(Literal::Null))
                }
                Some(frame) => {
                    values.push(value);
                    kept.push(frame);
                }
                None => values.push(value),
            }
            columns.push(column);
        }
        let insert = InsertQuery {
            columns,
            values,
            ..insert
        };
        (
            insert,
            kept,
            Some(Pending {
                row,
                columns: written,
                timestamp,
            }),
        )
    }

    pub fn commit(&mut self, pending: Pending) {
        let times = self.cells.entry(pending.row).or_default();
        for column in pending.columns {
            times.insert(column, pending.timestamp);
        }
    }

    /// Forgets the write times of every row of a partition (or of one row): no tombstones.
    pub fn forget(
        &mut self,
        keyspace: &str,
        table: &str,
        where_: &[(String, QueryValue)],
        data: Vec<FrameValue<'_>>,
    ) {
        let Some(key) = self.tables.get(&(keyspace.to_owned(), table.to_owned())) else {
            return;
        };
        let names: Vec<String> = where_.iter().map(|(c, _)| c.clone()).collect();
        let values: Vec<QueryValue> = where_.iter().map(|(_, v)| v.clone()).collect();
        let bound = bind(&names, &values, data);
        let Some(partition) = values_of(&key.partition, key, &bound) else {
            return;
        };
        let clustering = values_of(&key.clustering, key, &bound);
        self.cells.retain(|(ks, t, p, c), _| {
            !(ks == keyspace
                && t == table
                && *p == partition
                && clustering.as_ref().is_none_or(|k| k == c))
        });
    }
}

/// Pairs each column with the next bound value when its value is a bind marker.
fn bind<'a>(
    columns: &[String],
    values: &[QueryValue],
    data: Vec<FrameValue<'a>>,
) -> Vec<Bound<'a>> {
    let mut data = data.into_iter();
    let pair = |(column, value): (&String, &QueryValue)| {
        let frame = matches!(value, QueryValue::Blankslate)
            .then(|| data.next())
            .flatten();
        (column.clone(), value.clone(), frame)
    };
    columns.iter().zip(values).map(pair).collect()
}

fn row_key(keyspace: &str, table: &str, key: &TableKey, bound: &[Bound<'_>]) -> Option<RowKey> {
    let partition = values_of(&key.partition, key, bound)?;
    let clustering = values_of(&key.clustering, key, bound)?;
    Some((keyspace.to_owned(), table.to_owned(), partition, clustering))
}

/// The typed values of some key columns, so a literal and a bound value compare equal.
fn values_of(names: &[String], key: &TableKey, bound: &[Bound<'_>]) -> Option<Vec<CqlValue>> {
    names
        .iter()
        .map(|name| {
            let ty = key.types.get(name)?;
            let (_, value, frame) = bound.iter().find(|(c, _, _)| c == name)?;
            match (value, frame) {
                (QueryValue::Literal(lit), _) => map_lit(ty, lit.clone()).ok(),
                (QueryValue::Blankslate, Some(FrameValue::Some(bytes))) => {
                    deserialize_value(bytes, ty).ok()
                }
                _ => None,
            }
        })
        .collect()
}

//! Prepared statements as this server keeps them (kassandra's own cache forgets
//! `USING TIMESTAMP`), and the bind-marker metadata the driver is told about.

use std::collections::HashMap;

use kassandra::cql::query::{QueryString, QueryValue};
use kassandra::frame::response::result::PreparedMetadata;

/// A prepared statement: what kassandra parsed, and the write time its text asked for.
#[derive(Clone)]
pub struct Statement {
    pub query: QueryString,
    pub timestamp: Option<i64>,
}

/// Prepared statements by the id kassandra gave them.
#[derive(Default)]
pub struct Statements(HashMap<u128, Statement>);

impl Statements {
    pub fn insert(&mut self, id: u128, statement: Statement) {
        self.0.insert(id, statement);
    }

    /// The statement an EXECUTE or a batch names, if this server prepared it.
    pub fn get(&self, id: &[u8]) -> Option<Statement> {
        let id = u128::from_be_bytes(id.try_into().ok()?);
        self.0.get(&id).cloned()
    }
}

/// kassandra describes every column a statement names, literals included, so the driver would
/// expect a value for the literal of `SELECT ... FROM system.local WHERE key='local'`: keep
/// only the columns bound to markers, and renumber the partition-key markers to match.
pub fn describe_only_markers(query: &QueryString, meta: &mut PreparedMetadata) {
    let markers = bind_markers(query);
    let is_marker = |i: u16| markers.get(usize::from(i)) == Some(&true);
    let markers_before = |i: u16| markers.iter().take(usize::from(i)).filter(|&&m| m).count();
    meta.pk_indexes.retain(|p| is_marker(p.index));
    for p in &mut meta.pk_indexes {
        // At most as many markers as columns, which kassandra already counted in a u16.
        p.index = u16::try_from(markers_before(p.index)).unwrap_or(u16::MAX);
    }
    let mut keep = markers.iter();
    meta.col_specs.retain(|_| keep.next() == Some(&true));
}

/// For each column a statement names, in kassandra's order, whether it is bound to a marker.
fn bind_markers(query: &QueryString) -> Vec<bool> {
    let is_marker = |v: &QueryValue| matches!(v, QueryValue::Blankslate);
    let statements = match query {
        QueryString::Select(s) => &s.r#where.statements,
        QueryString::Delete(d) => &d.r#where.statements,
        QueryString::Insert(i) => return i.values.iter().map(is_marker).collect(),
        _ => return vec![],
    };
    statements.iter().map(|(_, v)| is_marker(v)).collect()
}

//! Where completed shards' results go: JSON lines as the workers printed them, or CSV (the
//! first result's keys are the header); with `--upsert`, the features rows into the main
//! database, one transaction a shard.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use anyhow::{bail, Context};
use lasair_db::{Db, Value};
use lasair_sql::catalog::{Catalog, ColType, Table};
use serde::de::{Deserializer, MapAccess, Visitor};

/// The output's format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON value a line, as the command printed it.
    Json,
    /// A header of the first result's keys, then a row per result (results must be objects).
    Csv,
}

/// The results' destination.
pub struct Output {
    format: Format,
    out: Box<dyn Write>,
    header: Option<Vec<String>>,
    upsert: Option<Upsert>,
    /// Keys not in the CSV header, already warned about.
    warned: bool,
}

/// Rows of the `objects` table upserted into the main database.
pub struct Upsert {
    db: Db,
    table: &'static Table,
    catalog: &'static Catalog,
}

impl Upsert {
    /// Upserts into `db`'s `objects` table.
    pub fn new(db: Db) -> anyhow::Result<Upsert> {
        let catalog = db.catalog();
        let table = catalog
            .table("objects")
            .context("the catalogue has no objects table")?;
        Ok(Upsert { db, table, catalog })
    }

    /// One shard's rows, in one transaction. An object's row replaces the stored one unless
    /// that is newer (a later alert arrived while mining).
    fn rows(&mut self, results: &[Vec<u8>]) -> anyhow::Result<()> {
        let rows = results
            .iter()
            .map(|r| self.row(r))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let columns: Vec<&str> = self.table.columns.iter().map(|c| c.name).collect();
        self.db
            .upsert_newer("objects", &columns, &rows, self.catalog.latest)
            .with_context(|| format!("upserting {} rows into {}", rows.len(), self.db.url()))
    }

    /// A features row (a JSON object of the table's columns) as the table's values.
    fn row(&self, result: &[u8]) -> anyhow::Result<Vec<Value>> {
        let object = ordered_object(result).context("a features row is not a JSON object")?;
        let by_name: HashMap<&str, &serde_json::Value> =
            object.iter().map(|(k, v)| (k.as_str(), v)).collect();
        self.table
            .columns
            .iter()
            .map(|c| {
                let v = by_name
                    .get(c.name)
                    .copied()
                    .unwrap_or(&serde_json::Value::Null);
                let value = match (v, c.ty) {
                    (serde_json::Value::Null, _) => Some(Value::Null),
                    (serde_json::Value::Number(n), ColType::Int) => n.as_i64().map(Value::Int),
                    (serde_json::Value::Number(n), ColType::Real) => n.as_f64().map(Value::Real),
                    (serde_json::Value::String(s), ColType::Text) => Some(Value::Text(s.clone())),
                    _ => None,
                };
                value.with_context(|| format!("column {}: {v} is not of its type", c.name))
            })
            .collect()
    }
}

impl Output {
    /// Results to `out` in `format`; rows into the database too with `upsert`.
    pub fn new(format: Format, out: Box<dyn Write>, upsert: Option<Upsert>) -> Output {
        Output {
            format,
            out,
            header: None,
            upsert,
            warned: false,
        }
    }

    /// Writes (and upserts) one completed shard's results.
    pub fn shard(&mut self, results: &[Vec<u8>]) -> anyhow::Result<()> {
        if let Some(upsert) = &mut self.upsert {
            upsert.rows(results)?;
        }
        for r in results {
            match self.format {
                Format::Json => {
                    self.out.write_all(r)?;
                    self.out.write_all(b"\n")?;
                }
                Format::Csv => self.csv(r)?,
            }
        }
        Ok(())
    }

    fn csv(&mut self, result: &[u8]) -> anyhow::Result<()> {
        let Ok(object) = ordered_object(result) else {
            let shown: String = String::from_utf8_lossy(result).chars().take(80).collect();
            bail!("--format csv needs JSON objects, and a result is {shown}");
        };
        let mut w = csv::Writer::from_writer(&mut self.out);
        let header = match &self.header {
            Some(h) => h,
            None => {
                let h: Vec<String> = object.iter().map(|(k, _)| k.clone()).collect();
                w.write_record(&h)?;
                self.header.insert(h)
            }
        };
        let cells: Vec<String> = header
            .iter()
            .map(|k| {
                object
                    .iter()
                    .find(|(name, _)| name == k)
                    .map_or_else(String::new, |(_, v)| cell(v))
            })
            .collect();
        if !self.warned && object.iter().any(|(k, _)| !header.contains(k)) {
            self.warned = true;
            eprintln!("lasair-mine: a result has keys the CSV header (the first result's) lacks: left out");
        }
        w.write_record(&cells)?;
        w.flush()?;
        Ok(())
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A CSV cell: text as it is, null empty, anything else as JSON.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A JSON object's members in their order (a CSV's columns follow it).
fn ordered_object(bytes: &[u8]) -> Result<Vec<(String, serde_json::Value)>, serde_json::Error> {
    struct Ordered;
    impl<'de> Visitor<'de> for Ordered {
        type Value = Vec<(String, serde_json::Value)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = Vec::with_capacity(map.size_hint().unwrap_or(64));
            while let Some(member) = map.next_entry()? {
                members.push(member);
            }
            Ok(members)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let members = (&mut de).deserialize_map(Ordered)?;
    de.end()?;
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read after the output is dropped.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn csv_follows_the_first_results_keys() {
        let shared = Shared::default();
        let mut out = Output::new(Format::Csv, Box::new(shared.clone()), None);
        out.shard(&[
            br#"{"objectId":"ZTF1","n":3,"x":null,"tags":["a"]}"#.to_vec(),
            br#"{"n":4,"objectId":"ZTF2, b"}"#.to_vec(),
        ])
        .expect("ok");
        assert_eq!(
            String::from_utf8(shared.0.borrow().clone()).expect("ok"),
            "objectId,n,x,tags\nZTF1,3,,\"[\"\"a\"\"]\"\n\"ZTF2, b\",4,,\n"
        );
        let err = out.shard(&[b"[1,2]".to_vec()]).expect_err("an error");
        assert!(err.to_string().contains("JSON objects"), "{err}");
    }

    #[test]
    fn json_results_pass_unchanged() {
        let shared = Shared::default();
        let mut out = Output::new(Format::Json, Box::new(shared.clone()), None);
        out.shard(&[b"[1, 2]".to_vec(), b"{\"a\":1.50}".to_vec()])
            .expect("ok");
        assert_eq!(&*shared.0.borrow(), b"[1, 2]\n{\"a\":1.50}\n");
    }
}

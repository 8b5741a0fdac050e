//! Which objects are mined: a list of objectIds (a file or standard input), or the rows of a
//! user's query on the main database (compiled by lasair-sql, run by lasair-service's
//! runner on the read-only connection). Every id is checked by the survey's model before it
//! goes anywhere; each object is mined once however often it is named.

use std::collections::HashSet;
use std::io::BufRead;
use std::time::Duration;

use anyhow::{bail, Context};
use lasair_alert::Survey;
use lasair_db::{Db, Value};
use lasair_service::query::QueryLimits;
use lasair_sql::UserQuery;

/// The objects chosen, and how many ids were refused.
#[derive(Debug, Default)]
pub struct Chosen {
    pub ids: Vec<String>,
    pub bad: u64,
}

impl Chosen {
    /// Adds `id` once, if it has the survey's form; a bad one is reported with `place`.
    fn add(
        &mut self,
        id: &str,
        survey: Survey,
        seen: &mut HashSet<String>,
        place: &dyn Fn() -> String,
    ) {
        if let Err(e) = survey.model().check_object_id(id) {
            self.bad += 1;
            eprintln!("lasair-mine: {}: {e}; skipped", place());
            return;
        }
        if seen.insert(id.to_owned()) {
            self.ids.push(id.to_owned());
        }
    }
}

/// The objectIds of a list, one a line (blank lines and `#` comments skipped); `what` names
/// it in messages.
pub fn from_lines(input: impl BufRead, what: &str, survey: Survey) -> anyhow::Result<Chosen> {
    let mut chosen = Chosen::default();
    let mut seen = HashSet::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading {what}"))?;
        let id = line.split('#').next().unwrap_or("").trim();
        if !id.is_empty() {
            chosen.add(id, survey, &mut seen, &|| format!("{what} line {}", i + 1));
        }
    }
    Ok(chosen)
}

/// The objects of a user's query on `db`: the query must give the object key.
pub fn from_query(
    db: &mut Db,
    survey: Survey,
    query: &UserQuery,
    max_objects: u64,
    timeout: Duration,
) -> anyhow::Result<Chosen> {
    let mut limits = QueryLimits::default();
    limits.sql.max_rows = max_objects;
    limits.timeout = timeout;
    let key = db.catalog().key;
    let rows = lasair_service::query::run(db, query, &limits)?;
    let Some(column) = rows
        .columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case(key))
    else {
        bail!(
            "the query gives {} but not the object key: add objects.{key} to --select",
            rows.columns.join(", ")
        );
    };
    let mut chosen = Chosen::default();
    let mut seen = HashSet::new();
    for (i, row) in rows.rows.iter().enumerate() {
        let id = match row.get(column) {
            Some(Value::Text(t)) => t.clone(),
            Some(Value::Int(n)) => n.to_string(),
            _ => {
                chosen.bad += 1;
                eprintln!(
                    "lasair-mine: the query's row {} has no {key}; skipped",
                    i + 1
                );
                continue;
            }
        };
        chosen.add(&id, survey, &mut seen, &|| {
            format!("the query's row {}", i + 1)
        });
    }
    if rows.rows.len() as u64 >= max_objects {
        eprintln!(
            "lasair-mine: the query chose {max_objects} objects, the most --max-objects allows: there may be more"
        );
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_kept_once_in_order() {
        let text = "ZTF18abc\n# a comment\n\nZTF18abd  # trailing\n../etc/passwd\nZTF18abc\n";
        let chosen = from_lines(text.as_bytes(), "ids.txt", Survey::Ztf).expect("ok");
        assert_eq!(chosen.ids, ["ZTF18abc", "ZTF18abd"]);
        assert_eq!(chosen.bad, 1);
        let chosen = from_lines(
            "169813006247002128\nZTF18abc\n".as_bytes(),
            "-",
            Survey::Lsst,
        )
        .expect("ok");
        assert_eq!((chosen.ids.len(), chosen.bad), (1, 1));
    }
}

//! The table list in Lasair's forms (`objects, sherlock_classifications, watchlist:12,
//! area:3, mma:5, annotator:fastfinder, crossmatch_tns`), resolved against the catalogue.

use crate::catalog::{Catalog, Table};
use crate::error::SqlError;

/// A literal value fixed by a table-list entry (a watchlist id, an annotator topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Int(u64),
    Text(String),
}

/// One table in use: the catalogue table, and the restriction its entry implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableUse {
    pub table: &'static Table,
    /// `column = value`, ANDed into the join so a watchlist entry narrows to that watchlist.
    pub restriction: Option<(&'static str, Key)>,
}

impl TableUse {
    /// Whether this is `annotator:NAME`, whose columns Lasair's users write as
    /// `NAME.classification` (Lasair joins `annotations AS NAME`).
    pub fn is_annotator(&self, name: &str) -> bool {
        matches!(&self.restriction, Some(("topic", Key::Text(topic))) if topic.eq_ignore_ascii_case(name))
    }
}

/// Tables users may name bare; the hit tables need their id, so they are named by form.
const PLAIN: [&str; 3] = ["objects", "sherlock_classifications", "crossmatch_tns"];
const MAX_TOPIC: usize = 64;

/// Resolves the table list; `objects` comes first whether named or not.
pub(crate) fn parse_tables(list: &str, catalog: &Catalog) -> Result<Vec<TableUse>, SqlError> {
    let objects = lookup(catalog, "objects")?;
    let mut uses = vec![TableUse {
        table: objects,
        restriction: None,
    }];
    if list.trim().is_empty() {
        return Ok(uses);
    }
    for entry in list.split(',').map(str::trim) {
        let used = entry_use(entry, catalog)?;
        if let Some(seen) = uses.iter().find(|u| u.table.name == used.table.name) {
            if seen.restriction.is_some() || used.table.name != "objects" {
                return Err(SqlError::BadTableList(format!(
                    "`{entry}` uses table {} a second time",
                    used.table.name
                )));
            }
            continue;
        }
        uses.push(used);
    }
    Ok(uses)
}

fn entry_use(entry: &str, catalog: &Catalog) -> Result<TableUse, SqlError> {
    if entry.is_empty() {
        return Err(SqlError::BadTableList(
            "an empty entry (two commas?)".into(),
        ));
    }
    let Some((kind, arg)) = entry.split_once(':') else {
        if let Some(name) = PLAIN.iter().find(|p| p.eq_ignore_ascii_case(entry)) {
            return Ok(TableUse {
                table: lookup(catalog, name)?,
                restriction: None,
            });
        }
        return Err(SqlError::UnknownTable { name: entry.into() });
    };
    let (table, column, key) = match kind.trim().to_ascii_lowercase().as_str() {
        "watchlist" => ("watchlist_hits", "wl_id", Key::Int(id(entry, arg)?)),
        "area" => ("area_hits", "ar_id", Key::Int(id(entry, arg)?)),
        // A gravitational-wave map's hits (every map is public: no owner to check).
        "mma" => ("mma_area_hits", "mw_id", Key::Int(id(entry, arg)?)),
        "annotator" => ("annotations", "topic", Key::Text(topic(entry, arg)?)),
        _ => return Err(SqlError::UnknownTable { name: entry.into() }),
    };
    Ok(TableUse {
        table: lookup(catalog, table)?,
        restriction: Some((column, key)),
    })
}

fn lookup(catalog: &Catalog, name: &str) -> Result<&'static Table, SqlError> {
    catalog
        .table(name)
        .ok_or_else(|| SqlError::UnknownTable { name: name.into() })
}

fn id(entry: &str, arg: &str) -> Result<u64, SqlError> {
    let arg = arg.trim();
    let digits = !arg.is_empty() && arg.len() <= 18 && arg.bytes().all(|b| b.is_ascii_digit());
    match arg.parse() {
        Ok(n) if digits => Ok(n),
        _ => Err(SqlError::BadTableList(format!(
            "`{entry}`: the id must be a number"
        ))),
    }
}

fn topic(entry: &str, arg: &str) -> Result<String, SqlError> {
    let arg = arg.trim();
    let ok = |b: u8| b.is_ascii_alphanumeric() || b"_.-".contains(&b);
    if arg.is_empty() || arg.len() > MAX_TOPIC || !arg.bytes().all(ok) {
        return Err(SqlError::BadTableList(format!(
            "`{entry}`: an annotator topic is 1 to {MAX_TOPIC} of A-Z a-z 0-9 _ . -"
        )));
    }
    Ok(arg.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ZTF;

    fn names(list: &str) -> Vec<&'static str> {
        let uses = parse_tables(list, &ZTF).unwrap();
        uses.iter().map(|u| u.table.name).collect()
    }

    #[test]
    fn objects_always_first() {
        assert_eq!(names(""), ["objects"]);
        assert_eq!(
            names("sherlock_classifications"),
            ["objects", "sherlock_classifications"]
        );
        assert_eq!(
            names("crossmatch_tns , OBJECTS"),
            ["objects", "crossmatch_tns"]
        );
    }

    #[test]
    fn forms_carry_their_restriction() {
        let uses = parse_tables("objects, watchlist:12, annotator:fast-finder.v2", &ZTF).unwrap();
        assert_eq!(uses[1].restriction, Some(("wl_id", Key::Int(12))));
        assert_eq!(
            uses[2].restriction,
            Some(("topic", Key::Text("fast-finder.v2".into())))
        );
        assert_eq!(
            parse_tables("area: 3", &ZTF).unwrap()[1].table.name,
            "area_hits"
        );
        let gw = parse_tables("objects, mma:12", &ZTF).unwrap();
        assert_eq!(gw[1].table.name, "mma_area_hits");
        assert_eq!(gw[1].restriction, Some(("mw_id", Key::Int(12))));
    }

    #[test]
    fn bad_lists_are_refused_with_the_entry() {
        let err = |l: &str| parse_tables(l, &ZTF).unwrap_err().to_string();
        assert!(err("objects, users").contains("users"));
        assert!(err("watchlist_hits").contains("watchlist_hits"));
        assert!(err("mma_area_hits").contains("mma_area_hits"));
        assert!(err("mma:S200129m").contains("number"));
        assert!(err("watchlist:-1").contains("watchlist:-1"));
        assert!(err("watchlist:+1").contains("number"));
        assert!(err("annotator:a'b").contains("topic"));
        assert!(err("watchlist:1, watchlist:2").contains("second time"));
        assert!(err("objects,,").contains("empty"));
    }
}

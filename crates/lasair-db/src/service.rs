//! The service tables (users, API tokens, watchlists and their cones, watchmaps, saved
//! filters, annotators, statistics, the TNS copy, gravitational-wave maps): not visible to users' SQL, so not in the query
//! compiler's catalogue, but kept in the same database and created by migration 2.
//!
//! Integer ids are assigned by the database when a row is upserted with a NULL id (SQLite's
//! rowid alias, MariaDB's AUTO_INCREMENT, which Galera spaces out per node by itself).

use lasair_sql::catalog::{int, real, text, Catalog, Column, Table};

/// The service tables and each one's key, which is a single column.
#[rustfmt::skip]
pub const SERVICE_TABLES: &[(Table, &str)] = &[
    (Table { name: "users", columns: &[
        int("id"), text("username"), text("email"), text("first_name"), text("last_name"),
        text("password"), int("is_staff"), int("is_active"), text("date_joined"),
        text("api_class"),
    ] }, "id"),
    (Table { name: "tokens", columns: &[
        text("token"), int("user_id"), text("created"),
    ] }, "token"),
    (Table { name: "watchlists", columns: &[
        int("wl_id"), int("user_id"), text("name"), text("description"), real("radius"),
        int("active"), int("public"), text("date_created"), text("date_modified"),
    ] }, "wl_id"),
    (Table { name: "watchlist_cones", columns: &[
        int("cone_id"), int("wl_id"), text("name"), real("ra"), real("decl"), real("radius"),
    ] }, "cone_id"),
    (Table { name: "watchmaps", columns: &[
        int("ar_id"), int("user_id"), text("name"), text("description"), text("moc"),
        int("active"), int("public"), text("date_created"), text("date_modified"),
    ] }, "ar_id"),
    (Table { name: "filters", columns: &[
        int("mq_id"), int("user_id"), text("name"), text("description"), text("selected"),
        text("tables"), text("conditions"), int("active"), int("public"), text("topic_name"),
        text("date_created"), text("date_modified"), text("date_expire"), int("run"),
    ] }, "mq_id"),
    (Table { name: "annotators", columns: &[
        text("topic"), int("user_id"), text("description"), text("url"), int("active"),
        int("public"),
    ] }, "topic"),
    (Table { name: "statistics", columns: &[
        text("name"), real("value"), text("updated"),
    ] }, "name"),
    // The Transient Name Server's public objects, as lasair-sync keeps them: Lasair's
    // `crossmatch_tns` columns (lasair_sql::catalog::TNS_COLUMNS), and when the row last changed.
    (Table { name: "tns", columns: &[
        text("tns_name"), text("tns_prefix"), real("ra"), real("decl"), text("type"), real("z"),
        text("host_name"), real("disc_mag"), text("disc_mag_filter"), text("disc_date"),
        text("source_group"), real("hostz"), text("ext_catalogs"), text("disc_int_name"),
        text("lastmodified_date"), text("sender"), text("reporters"), text("lasairmodified_date"),
    ] }, "tns_name"),
    // Gravitational-wave sky maps (Lasair's `mma_areas`), one row per version of an event:
    // its time (MJD TAI and ISO UTC), the 10/50/90% credible areas (deg²) and their MOCs
    // (base64 FITS), the 90% region's pixels as lasair-filter reads them (`region90`, base64
    // of lasair-sky's stored form), the distance, the notice's classification (JSON), false
    // alarm rate, the most probable position, and Lasair's `params` JSON. `active` is 0 once
    // the event is retracted; a map matches alerts for 21 days after its event.
    (Table { name: "mma_areas", columns: &[
        int("mw_id"), text("namespace"), text("otherId"), text("version"), text("alert_type"),
        real("event_tai"), text("event_date"), real("area10"), real("area50"), real("area90"),
        text("moc10"), text("moc50"), text("moc90"), text("region90"), real("distmean"),
        real("diststd"), text("classification"), real("far"), real("ra"), real("decl"),
        text("params"), text("more_info"), int("active"), text("date_created"),
    ] }, "mw_id"),
    // Web sessions: a browser's cookie token, its user, when it ends (as Django keeps its
    // session keys).
    (Table { name: "sessions", columns: &[
        text("token"), int("user_id"), text("created"), text("expires"),
    ] }, "token"),
    // One-time codes mailed to a user (`activate`, `reset`), one per user and purpose
    // (`7/reset`): the code, wrong tries so far, when it ends.
    (Table { name: "codes", columns: &[
        text("code_key"), text("code"), int("attempts"), text("expires"),
    ] }, "code_key"),
    // Each expiry notice mailed (`filters/12/warning/2027-06-01 10:00:00`), so none goes twice.
    (Table { name: "notices", columns: &[
        text("notice"), text("sent"),
    ] }, "notice"),
];

/// Service tables made after version 2, and the version that made each (the migration to it
/// creates the table on older databases; version 2 makes it on new ones).
pub const CREATED: &[(&str, i64)] = &[
    ("tns", 6),
    ("notices", 6),
    ("mma_areas", 7),
    ("sessions", 9),
    ("codes", 9),
];

/// Columns added to a table (a service table or the catalogue's) after it was made, and the schema version that added
/// each: a database made before that version gains the column (NULL in its old rows) by
/// migration; a new one is made without it and gains it the same way, so both end alike.
pub const ADDED: &[(&str, &str, i64)] = &[
    // The API's class of a user (`demo`, `user`, `power`): their row and call limits.
    ("users", "api_class", 4),
    // When a filter runs: Lasair's `run` codes, 1 on new alerts, 2 on new annotations, 3 both.
    ("filters", "run", 4),
    // The rest of Lasair's TNS columns (the column `discoverer` that older databases have is
    // no longer written: TNS calls them reporters).
    ("crossmatch_tns", "hostz", 6),
    ("crossmatch_tns", "ext_catalogs", 6),
    ("crossmatch_tns", "disc_int_name", 6),
    ("crossmatch_tns", "lastmodified_date", 6),
    ("crossmatch_tns", "sender", 6),
    ("crossmatch_tns", "reporters", 6),
    // Lasair's ZTF dmdt_g_2 and dmdt_r_2 (its code fills them).
    ("objects", "dmdt_g_2", 8),
    ("objects", "dmdt_r_2", 8),
];

/// Sets of catalogue columns added together, as [`ADDED`] lists single ones.
pub const ADDED_SETS: &[(&str, &[Column], i64)] = &[
    // Lasair-LSST's objects row whole: htm16 and the diaObject's own fields.
    ("objects", lasair_sql::catalog::LSST_OBJECT_FIELDS, 10),
];

/// Every added column, [`ADDED`] and [`ADDED_SETS`], as (table, column, version).
pub fn added_columns() -> impl Iterator<Item = (&'static str, &'static str, i64)> {
    let sets = ADDED_SETS
        .iter()
        .flat_map(|(t, cols, v)| cols.iter().map(move |c| (*t, c.name, *v)));
    ADDED.iter().copied().chain(sets)
}

/// The added columns that `catalog`'s tables or the service tables have (ZTF's dmdt_g_2 is
/// not LSST's; LSST's htm16 not ZTF's), as (table, column, version).
pub fn added_to(catalog: &Catalog) -> impl Iterator<Item = (&'static str, &'static str, i64)> + '_ {
    added_columns().filter(move |(t, c, _)| {
        let table = table(t).or(catalog.table(t));
        table.is_some_and(|t| t.column(c).is_some())
    })
}

/// The schema version that added `table.column` (1 for the columns tables were made with).
pub fn added_in(table: &str, column: &str) -> i64 {
    added_columns()
        .find(|(t, c, _)| *t == table && *c == column)
        .map_or(1, |(_, _, v)| v)
}

/// The service tables the read-only account may also read: saved filters, which
/// `lasair-query --filter NAME` looks up. Never `users` or `tokens`.
pub const READABLE: &[&str] = &["filters"];

/// The service table named `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    SERVICE_TABLES
        .iter()
        .map(|(t, _)| t)
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// The key of service table `name`.
pub fn key(name: &str) -> Option<&'static str> {
    SERVICE_TABLES
        .iter()
        .find(|(t, _)| t.name == name)
        .map(|(_, k)| *k)
}

/// The secondary indexes of the service tables: the owner of each thing, and the names
/// people log in and look things up by.
pub const INDEXES: &[(&str, &[&str])] = &[
    ("users", &["username"]),
    ("tokens", &["user_id"]),
    ("watchlists", &["user_id"]),
    ("watchlist_cones", &["wl_id"]),
    ("watchmaps", &["user_id"]),
    ("filters", &["user_id"]),
    ("filters", &["topic_name"]),
    ("annotators", &["user_id"]),
    ("mma_areas", &["otherId"]),
    ("mma_areas", &["event_tai"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_indexes_name_columns_of_their_tables() {
        for (t, k) in SERVICE_TABLES {
            assert!(t.column(k).is_some(), "{}.{k}", t.name);
        }
        for (t, cols) in INDEXES {
            let table = table(t).unwrap();
            assert!(cols.iter().all(|c| table.column(c).is_some()), "{t}");
        }
        for (t, c, _) in added_columns() {
            let found = [&lasair_sql::catalog::ZTF, &lasair_sql::catalog::LSST]
                .iter()
                .any(|cat| {
                    table(t)
                        .or(cat.table(t))
                        .is_some_and(|t| t.column(c).is_some())
                });
            assert!(found, "{t}.{c}");
        }
        assert!(added_to(&lasair_sql::catalog::ZTF).all(|(_, c, _)| c != "htm16"));
        assert!(added_to(&lasair_sql::catalog::LSST).any(|(_, c, _)| c == "htm16"));
        for (t, v) in CREATED {
            assert!(table(t).is_some() && *v > 2, "{t}");
        }
        let tns: Vec<&str> = table("tns")
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(tns[..17], lasair_sql::catalog::TNS_COLUMNS);
        assert!(lasair_sql::catalog::ZTF
            .tables
            .iter()
            .all(|t| table(t.name).is_none()));
    }
}

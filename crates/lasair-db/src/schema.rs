//! The schema of the main database, rendered for each dialect from the same catalogue the
//! query compiler checks against, and the versioned migrations that create it.
//!
//! Every table has a primary key (Galera replicates only tables that have one). The keys:
//! `objects`, `sherlock_classifications` and `crossmatch_tns` by the object key (one TNS
//! entry per object, which is how the compiler joins it, so a query never sees an object
//! twice); `watchlist_hits` by (wl_id, key); `area_hits` by (ar_id, key); `annotations` by
//! (key, topic), which is also its uniqueness rule.
//!
//! The object key, when text (ZTF's `objectId`), is ASCII `VARCHAR(64)` on MariaDB: every
//! secondary index carries the primary key, so a 64-byte key instead of a 1,020-byte
//! utf8mb4 one keeps the indexes small enough to stay in the buffer pool.
//!
//! Text compares case-insensitively on both backends (MariaDB `utf8mb4_general_ci`, SQLite
//! `COLLATE NOCASE`) so the same filter gives the same rows on each, as Lasair's MySQL did.

use lasair_sql::catalog::{Catalog, ColType, Table};
use lasair_sql::Dialect;

use crate::service;

/// The newest schema version this code creates.
pub const VERSION: i64 = 10;

/// The primary key columns of `table`.
pub fn primary_key(catalog: &Catalog, table: &Table) -> Vec<&'static str> {
    if let Some(k) = service::key(table.name) {
        return vec![k];
    }
    let key = catalog.key;
    match table.name {
        "watchlist_hits" => vec!["wl_id", key],
        "area_hits" => vec!["ar_id", key],
        // One row per object and map (Lasair's key, the object alone, kept one map per object).
        "mma_area_hits" => vec!["mw_id", key],
        "annotations" => vec![key, "topic"],
        _ => vec![key],
    }
}

/// The secondary indexes, for the columns users filter and join on; each is made where the
/// catalogue's table has its columns (ZTF and LSST name their `objects` columns apart).
const INDEXES: &[(&str, &[&str])] = &[
    ("objects", &["jdmax"]),
    ("objects", &["ramean"]),
    ("objects", &["decmean"]),
    ("objects", &["ncandgp"]),
    ("objects", &["lastDiaSourceMjdTai"]),
    ("objects", &["ra"]),
    ("objects", &["decl"]),
    // Cone searches: a declination band read from the index with the RA bounds checked in
    // it, so only the rows inside both are fetched (version 5; 16x the cone rate at 10^7).
    ("objects", &["decmean", "ramean"]),
    ("objects", &["decl", "ra"]),
    ("objects", &["nDiaSources"]),
    ("sherlock_classifications", &["classification"]),
    ("crossmatch_tns", &["tns_name"]),
    ("annotations", &["topic"]),
    // An object's gravitational-wave coincidences (version 7).
    ("mma_area_hits", &["objectId"]),
    ("mma_area_hits", &["diaObjectId"]),
];

/// User-visible tables made after version 1, and the version that made each: the migration
/// to it creates the table and its indexes on older databases (version 1 makes them on new
/// ones, the catalogue having them).
const CREATED: &[(&str, i64)] = &[("mma_area_hits", 7)];

/// The indexes version 5 added (also made by version 1 on new databases, being in [`INDEXES`]).
const POSITION_INDEXES: &[(&str, &[&str])] = &[
    ("objects", &["decmean", "ramean"]),
    ("objects", &["decl", "ra"]),
];

/// The indexes version 10 added with the columns they index (made by it on every database).
const HTM_INDEXES: &[(&str, &[&str])] = &[("objects", &["htm16"])];

/// The name of the index on `table`'s `cols`, if the schema has one: for a read that must use it.
pub fn index_name(catalog: &Catalog, table: &str, cols: &[&str]) -> Option<String> {
    INDEXES
        .iter()
        .find(|(t, c)| *t == table && *c == cols && applies(catalog, &(t, c)))
        .map(|(t, c)| format!("idx_{t}_{}", c.join("_")))
}

/// A name quoted for `dialect`. Only catalogue names (static, checked) are ever quoted here.
pub fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("\"{name}\""),
        Dialect::MariaDb => format!("`{name}`"),
    }
}

/// The MariaDB type of a text object key.
const TEXT_KEY: &str = "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_general_ci";

/// Whether `index` applies to `catalog`: its table is there with all its columns.
fn applies(catalog: &Catalog, (table, cols): &(&str, &[&str])) -> bool {
    catalog
        .table(table)
        .is_some_and(|t| cols.iter().all(|c| t.column(c).is_some()))
}

fn column_type(dialect: Dialect, ty: ColType, indexed: bool, object_key: bool) -> &'static str {
    match (dialect, ty) {
        (Dialect::MariaDb, ColType::Text) if object_key => TEXT_KEY,
        (Dialect::Sqlite, ColType::Int) => "INTEGER",
        (Dialect::Sqlite, ColType::Real) => "REAL",
        (Dialect::Sqlite, ColType::Text) => "TEXT COLLATE NOCASE",
        (Dialect::MariaDb, ColType::Int) => "BIGINT",
        (Dialect::MariaDb, ColType::Real) => "DOUBLE",
        // Keys and indexed strings need a bounded length in InnoDB; free text does not.
        (Dialect::MariaDb, ColType::Text) if indexed => "VARCHAR(255)",
        // MEDIUMTEXT (16 MB) rather than TEXT (64 kB): a watchmap's MOC can be large.
        (Dialect::MariaDb, ColType::Text) => "MEDIUMTEXT",
    }
}

/// `CREATE TABLE` for `table` as schema version `version` had it: without the columns
/// [`service::ADDED`] by a later version.
fn create_table(dialect: Dialect, catalog: &Catalog, table: &Table, version: i64) -> String {
    let key = primary_key(catalog, table);
    let indexed = |name: &str| {
        key.contains(&name)
            || INDEXES
                .iter()
                .chain(service::INDEXES)
                .any(|(t, cols)| *t == table.name && cols.contains(&name))
    };
    // A service table's integer id is assigned by the database when given as NULL (on
    // SQLite an INTEGER primary key is the rowid, which does that by itself).
    let auto = |name: &str| {
        service::key(table.name) == Some(name)
            && table.column(name).map(|c| c.ty) == Some(ColType::Int)
            && dialect == Dialect::MariaDb
    };
    let mut parts: Vec<String> = table
        .columns
        .iter()
        .filter(|c| service::added_in(table.name, c.name) <= version)
        .map(|c| {
            let object_key = c.name == catalog.key && service::key(table.name).is_none();
            let ty = column_type(dialect, c.ty, indexed(c.name), object_key);
            let null = match (key.contains(&c.name), auto(c.name)) {
                (true, true) => " NOT NULL AUTO_INCREMENT",
                (true, false) => " NOT NULL",
                _ => "",
            };
            format!("{} {ty}{null}", quote(dialect, c.name))
        })
        .collect();
    let key: Vec<String> = key.iter().map(|k| quote(dialect, k)).collect();
    parts.push(format!("PRIMARY KEY ({})", key.join(", ")));
    let tail = match dialect {
        Dialect::Sqlite => "",
        Dialect::MariaDb => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    };
    let name = quote(dialect, table.name);
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (\n  {}\n){tail}",
        parts.join(",\n  ")
    )
}

fn create_index(dialect: Dialect, table: &str, cols: &[&str]) -> String {
    let name = format!("idx_{table}_{}", cols.join("_"));
    let cols: Vec<String> = cols.iter().map(|c| quote(dialect, c)).collect();
    let (table, cols) = (quote(dialect, table), cols.join(", "));
    match dialect {
        Dialect::Sqlite => format!("CREATE INDEX IF NOT EXISTS \"{name}\" ON {table} ({cols})"),
        Dialect::MariaDb => format!("CREATE INDEX IF NOT EXISTS `{name}` ON {table} ({cols})"),
    }
}

/// The statements that take a database from version `to - 1` to `to`. Each is idempotent
/// (`IF NOT EXISTS`), because MariaDB commits DDL one statement at a time: a migration cut
/// short is simply run again.
pub fn migration(dialect: Dialect, catalog: &Catalog, to: i64) -> Vec<String> {
    match to {
        1 => {
            let tables = catalog
                .tables
                .iter()
                .map(|t| create_table(dialect, catalog, t, to));
            let indexes = INDEXES
                .iter()
                .filter(|i| applies(catalog, i))
                .map(|(t, cols)| create_index(dialect, t, cols));
            tables.chain(indexes).collect()
        }
        2 => {
            let tables = service::SERVICE_TABLES
                .iter()
                .map(|(t, _)| create_table(dialect, catalog, t, to));
            let indexes = service::INDEXES
                .iter()
                .map(|(t, cols)| create_index(dialect, t, cols));
            tables.chain(indexes).collect()
        }
        // Text object keys shrink to ASCII VARCHAR(64) on databases made before version 3
        // (a no-op on new ones, which version 1 now creates that way).
        3 if dialect == Dialect::MariaDb => catalog
            .tables
            .iter()
            .filter(|t| t.column(catalog.key).is_some_and(|k| k.ty == ColType::Text))
            .map(|t| {
                let (table, key) = (quote(dialect, t.name), quote(dialect, catalog.key));
                format!("ALTER TABLE {table} MODIFY {key} {TEXT_KEY} NOT NULL")
            })
            .collect(),
        5 => POSITION_INDEXES
            .iter()
            .filter(|i| applies(catalog, i))
            .map(|(t, cols)| create_index(dialect, t, cols))
            .collect(),
        // 4: users' API class, filters' run; 8: ZTF's dmdt_*_2.
        4 | 8 => added(dialect, catalog, to).collect(),
        // LSST's htm16 (indexed, as Lasair's is) and the diaObject's own fields.
        10 => {
            let indexes = HTM_INDEXES
                .iter()
                .filter(|i| applies(catalog, i))
                .map(|(t, cols)| create_index(dialect, t, cols));
            added(dialect, catalog, to).chain(indexes).collect()
        }
        // The TNS copy lasair-sync keeps, and the rest of Lasair's TNS columns.
        6 => {
            let tables = service::CREATED
                .iter()
                .filter(|(_, v)| *v == to)
                .filter_map(|(t, _)| service::table(t))
                .map(|t| create_table(dialect, catalog, t, to));
            tables.chain(added(dialect, catalog, to)).collect()
        }
        // Gravitational-wave maps (service table mma_areas) and their hits (mma_area_hits).
        7 => made(dialect, catalog, to).collect(),
        _ => Vec::new(),
    }
}

/// The tables version `to` made (service tables in [`service::CREATED`], user-visible ones in
/// [`CREATED`]) with their indexes.
fn made<'a>(dialect: Dialect, catalog: &'a Catalog, to: i64) -> impl Iterator<Item = String> + 'a {
    let new = move |list: &'a [(&'a str, i64)]| {
        list.iter().filter(move |(_, v)| *v == to).map(|(t, _)| *t)
    };
    let service_tables = new(service::CREATED).filter_map(service::table);
    let user_tables = new(CREATED).filter_map(|t| catalog.table(t));
    let tables = service_tables
        .chain(user_tables)
        .map(move |t| create_table(dialect, catalog, t, to));
    let is_new = move |t: &str| new(service::CREATED).chain(new(CREATED)).any(|n| n == t);
    let service_indexes = service::INDEXES.iter().filter(move |(t, _)| is_new(t));
    let user_indexes = INDEXES
        .iter()
        .filter(move |i| is_new(i.0) && applies(catalog, i));
    let indexes = service_indexes
        .chain(user_indexes)
        .map(move |(t, cols)| create_index(dialect, t, cols));
    tables.chain(indexes)
}

/// The `ALTER TABLE`s adding the columns [`service::ADDED`] (and [`service::ADDED_SETS`]) by
/// version `to`; a column of one survey's table only (ZTF's dmdt_g_2, LSST's htm16) is not
/// added to the other's.
fn added<'a>(dialect: Dialect, catalog: &'a Catalog, to: i64) -> impl Iterator<Item = String> + 'a {
    service::added_to(catalog)
        .filter(move |(_, _, v)| *v == to)
        .map(move |(t, c, _)| add_column(dialect, catalog, t, c))
}

/// `ALTER TABLE` adding column `table.column` (a service table's or the catalogue's); on
/// MariaDB `IF NOT EXISTS`, as its DDL is not transactional (SQLite's migration is one
/// transaction).
fn add_column(dialect: Dialect, catalog: &Catalog, table: &str, column: &str) -> String {
    let ty = service::table(table)
        .or(catalog.table(table))
        .and_then(|t| t.column(column))
        .map_or(ColType::Text, |c| c.ty);
    let ty = column_type(dialect, ty, false, false);
    let (table, column) = (quote(dialect, table), quote(dialect, column));
    match dialect {
        Dialect::Sqlite => format!("ALTER TABLE {table} ADD COLUMN {column} {ty}"),
        Dialect::MariaDb => format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {ty}"),
    }
}

/// The statements that give `account` (`'user'@'host'`, as the administrator writes it)
/// SELECT on the user-visible tables of `catalog` in `database` and on the saved filters
/// ([`service::READABLE`]), and on nothing else: the account users' queries run as. The
/// tables must exist (run after a migration).
pub fn readonly_grants(catalog: &Catalog, database: &str, account: &str) -> Vec<String> {
    let db = quote(Dialect::MariaDb, &database.replace('`', "``"));
    let tables = catalog.tables.iter().map(|t| t.name);
    tables
        .chain(service::READABLE.iter().copied())
        .map(|t| {
            let table = quote(Dialect::MariaDb, t);
            format!("GRANT SELECT ON {db}.{table} TO {account}")
        })
        .collect()
}

/// The table that records the schema version: one row, `id` 1.
pub fn version_table(dialect: Dialect) -> String {
    let tail = match dialect {
        Dialect::Sqlite => "",
        Dialect::MariaDb => " ENGINE=InnoDB",
    };
    format!("CREATE TABLE IF NOT EXISTS schema_version (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL){tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::{LSST, ZTF};

    #[test]
    fn every_table_has_a_primary_key_of_its_own_columns() {
        for t in ZTF.tables {
            for k in primary_key(&ZTF, t) {
                assert!(t.column(k).is_some(), "{}.{k}", t.name);
            }
        }
        let sql = migration(Dialect::MariaDb, &ZTF, 1).join(";\n");
        assert_eq!(sql.matches("PRIMARY KEY").count(), ZTF.tables.len());
        assert!(sql.contains("PRIMARY KEY (`objectId`, `topic`)"), "{sql}");
        assert!(
            sql.contains("`objectId` VARCHAR(64) CHARACTER SET ascii"),
            "{sql}"
        );
        assert!(sql.contains("ENGINE=InnoDB"));
        let sql = migration(Dialect::MariaDb, &ZTF, 2).join(";\n");
        assert!(sql.contains("`id` BIGINT NOT NULL AUTO_INCREMENT"), "{sql}");
        assert!(sql.contains("`token` VARCHAR(255) NOT NULL,"), "{sql}");
        assert!(sql.contains("`moc` MEDIUMTEXT"), "{sql}");
    }

    #[test]
    fn every_index_serves_a_catalogue() {
        for index in INDEXES {
            assert!(applies(&ZTF, index) || applies(&LSST, index), "{index:?}");
        }
        let lsst = migration(Dialect::Sqlite, &LSST, 1).join(";\n");
        assert!(lsst.contains("\"lastDiaSourceMjdTai\")"), "{lsst}");
        assert!(!lsst.contains("jdmax"), "{lsst}");
        assert!(lsst.contains("\"diaObjectId\" INTEGER NOT NULL"), "{lsst}");
        assert!(migration(Dialect::Sqlite, &ZTF, VERSION + 1).is_empty());
    }

    #[test]
    fn version_10_adds_lsst_htm16_and_the_dia_object_fields_only() {
        let sql = migration(Dialect::MariaDb, &LSST, 10).join(";\n");
        assert!(
            sql.contains("ALTER TABLE `objects` ADD COLUMN IF NOT EXISTS `htm16` BIGINT"),
            "{sql}"
        );
        assert!(sql.contains("`g_psfFluxErrMean` DOUBLE"), "{sql}");
        assert!(sql.contains("`idx_objects_htm16`"), "{sql}");
        assert_eq!(sql.matches("ADD COLUMN").count(), 65);
        assert!(migration(Dialect::MariaDb, &ZTF, 10).is_empty());
        let v1 = migration(Dialect::Sqlite, &LSST, 1).join(";\n");
        assert!(!v1.contains("htm16") && !v1.contains("decErr"), "{v1}");
    }

    #[test]
    fn version_3_narrows_text_keys_only() {
        let ztf = migration(Dialect::MariaDb, &ZTF, 3);
        assert_eq!(ztf.len(), ZTF.tables.len());
        assert!(ztf[0].starts_with("ALTER TABLE `objects` MODIFY `objectId` VARCHAR(64)"));
        assert!(migration(Dialect::MariaDb, &LSST, 3).is_empty());
        assert!(migration(Dialect::Sqlite, &ZTF, 3).is_empty());
    }

    #[test]
    fn version_7_makes_the_gravitational_wave_tables_with_their_indexes() {
        let sql = migration(Dialect::MariaDb, &LSST, 7).join(";\n");
        assert!(
            sql.contains("CREATE TABLE IF NOT EXISTS `mma_areas`"),
            "{sql}"
        );
        assert!(
            sql.contains("`mw_id` BIGINT NOT NULL AUTO_INCREMENT"),
            "{sql}"
        );
        assert!(
            sql.contains("PRIMARY KEY (`mw_id`, `diaObjectId`)"),
            "{sql}"
        );
        assert!(sql.contains("`idx_mma_areas_otherId`"), "{sql}");
        assert!(sql.contains("`idx_mma_area_hits_diaObjectId`"), "{sql}");
        assert!(!sql.contains("idx_mma_area_hits_objectId"), "{sql}");
        assert!(!sql.contains("`tns`"), "{sql}");
        assert_eq!(sql.matches("CREATE TABLE").count(), 2);
    }

    #[test]
    fn grants_name_every_user_table_and_nothing_else() {
        let grants = readonly_grants(&ZTF, "lasair", "'ro'@'%'");
        assert_eq!(grants.len(), ZTF.tables.len() + 1);
        assert!(grants.iter().any(|g| g.contains("`filters`")));
        assert_eq!(grants[0], "GRANT SELECT ON `lasair`.`objects` TO 'ro'@'%'");
        assert!(!grants
            .iter()
            .any(|g| g.contains("users") || g.contains("tokens")));
    }
}

//! The Transient Name Server's public objects: TNS's file (fetched, or given) read and checked,
//! kept in the `tns` table, and matched to the objects near each name.
//!
//! TNS is also the watchlist [`WATCHLIST`], one cone per name, as on Lasair: the filter's
//! watchlist matching tags each new alert near a name, and [`sync`] tags the objects already
//! known when a name is new or changed. Each object near a name gets a `crossmatch_tns` row (the
//! name's columns under the object's key, which is how users' filters join it) and a
//! `watchlist_hits` row of the TNS watchlist; an LSST object's `tns_name` is set too.
//!
//! ```
//! use lasair_db::Db;
//! use lasair_service::tns;
//! let file = "\"2026-02-10 00:00:00\"\n\"name\",\"name_prefix\",\"ra\",\"declination\"\n\"2026cqa\",\"AT\",\"38.87\",\"23.96\"\n";
//! let entries = tns::read_csv(file.as_bytes(), "tns.csv").unwrap();
//! let mut db = Db::open("sqlite::memory:").unwrap();
//! let first = tns::sync(&mut db, &entries, 3.0).unwrap();
//! assert_eq!((first.new, first.changed), (1, 0));
//! let again = tns::sync(&mut db, &entries, 3.0).unwrap();
//! assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 1));
//! ```

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use lasair_db::{Db, Select, Value};
use lasair_sky::cones::Cone;
use lasair_sql::catalog::TNS_COLUMNS;

use crate::watch::{NewEntry, Watchlist};
use crate::ServiceError;

/// The name of the watchlist whose cones are TNS's names.
pub const WATCHLIST: &str = "__TNS__";

/// Where TNS publishes its public objects files.
pub const BASE_URL: &str = "https://www.wis-tns.org/system/files/tns_public_objects/";

/// The largest file taken from TNS (the whole list is tens of megabytes zipped).
const MAX_DOWNLOAD: u64 = 512 << 20;

/// One TNS name and what TNS says of it: Lasair's `crossmatch_tns` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TnsEntry {
    /// The name without its prefix, `2026cqa`.
    pub name: String,
    /// `AT` until classified, then `SN` (or another class's prefix).
    pub prefix: String,
    pub ra: f64,
    pub decl: f64,
    /// The classification (`SN Ia`), when there is one.
    pub object_type: Option<String>,
    pub z: Option<f64>,
    pub host_name: Option<String>,
    pub disc_mag: Option<f64>,
    pub disc_mag_filter: Option<String>,
    pub disc_date: Option<String>,
    pub source_group: Option<String>,
    pub hostz: Option<f64>,
    pub ext_catalogs: Option<String>,
    /// The discoverers' own names for it (`ZTF26aafuoxy, ATLAS26abc`).
    pub disc_int_name: Option<String>,
    pub lastmodified_date: Option<String>,
    /// The reporting group.
    pub sender: Option<String>,
    pub reporters: Option<String>,
}

impl TnsEntry {
    /// Its values in [`TNS_COLUMNS`] order.
    pub fn values(&self) -> Vec<Value> {
        let text = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::from);
        let real = |x: Option<f64>| x.map_or(Value::Null, Value::Real);
        vec![
            self.name.as_str().into(),
            self.prefix.as_str().into(),
            self.ra.into(),
            self.decl.into(),
            text(&self.object_type),
            real(self.z),
            text(&self.host_name),
            real(self.disc_mag),
            text(&self.disc_mag_filter),
            text(&self.disc_date),
            text(&self.source_group),
            real(self.hostz),
            text(&self.ext_catalogs),
            text(&self.disc_int_name),
            text(&self.lastmodified_date),
            text(&self.sender),
            text(&self.reporters),
        ]
    }
}

/// Which of TNS's files to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// Every public object.
    Full,
    /// Those added or changed on a day, `YYYYMMDD`.
    Daily(String),
    /// Those added or changed in an hour of the current day, `HH` (UTC).
    Hourly(String),
}

impl Period {
    /// The day's file, checked to be eight digits of a plausible date.
    pub fn daily(date: &str) -> Result<Period, ServiceError> {
        let ok = date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && (1..=12).contains(&date[4..6].parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&date[6..8].parse::<u32>().unwrap_or(0));
        if !ok {
            return Err(ServiceError::invalid(
                format!("TNS day {date:?}"),
                "give the day as YYYYMMDD",
            ));
        }
        Ok(Period::Daily(date.to_owned()))
    }

    /// The hour's file, `0`-`23` (written with two digits, as TNS names it).
    pub fn hourly(hour: u32) -> Result<Period, ServiceError> {
        if hour > 23 {
            return Err(ServiceError::invalid(
                format!("TNS hour {hour}"),
                "the hour is 0 to 23",
            ));
        }
        Ok(Period::Hourly(format!("{hour:02}")))
    }

    /// The name of the zip file TNS publishes for it.
    pub fn file_name(&self) -> String {
        match self {
            Period::Full => "tns_public_objects.csv.zip".into(),
            Period::Daily(d) => format!("tns_public_objects_{d}.csv.zip"),
            Period::Hourly(h) => format!("tns_public_objects_{h}.csv.zip"),
        }
    }
}

/// Who asks TNS: a bot registered with TNS (its id and name go in the User-Agent TNS requires)
/// and its API key (sent as a form field, never in a URL or a message).
#[derive(Clone)]
pub struct Bot {
    pub id: u64,
    pub name: String,
    pub api_key: String,
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("api_key", &"(hidden)")
            .finish()
    }
}

impl Bot {
    /// The User-Agent TNS requires of bots: `tns_marker{"tns_id":ID,"type": "bot", "name":"NAME"}`.
    pub fn user_agent(&self) -> Result<String, ServiceError> {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.');
        if self.name.is_empty() || self.name.len() > 64 || !self.name.chars().all(plain) {
            return Err(ServiceError::invalid(
                format!("TNS bot name {:?}", self.name),
                "letters, digits, spaces, `_`, `-` and `.` only, at most 64",
            ));
        }
        // As TNS's examples and Lasair write it (the name is checked plain above).
        Ok(format!(
            r#"tns_marker{{"tns_id":{},"type": "bot", "name":"{}"}}"#,
            self.id, self.name
        ))
    }
}

/// Downloads `period`'s file from `base_url` (TNS's own: [`BASE_URL`]) as `bot`, and reads it.
pub fn fetch(base_url: &str, period: &Period, bot: &Bot) -> Result<Vec<TnsEntry>, ServiceError> {
    let url = format!("{}/{}", base_url.trim_end_matches('/'), period.file_name());
    let failed = |reason: String| ServiceError::invalid(format!("TNS file {url}"), reason);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("User-Agent", &bot.user_agent()?)
        .send_form([("api_key", bot.api_key.as_str())])
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("TNS answered {status}")));
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD)
        .read_to_vec()
        .map_err(|e| failed(e.to_string()))?;
    read_zip(&bytes, &url)
}

/// Reads TNS's zip file (one CSV member) from `bytes`; `origin` names it in errors.
pub fn read_zip(bytes: &[u8], origin: &str) -> Result<Vec<TnsEntry>, ServiceError> {
    let bad = |reason: String| ServiceError::invalid(origin.to_owned(), reason);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a zip file: {e}")))?;
    let csv = (0..zip.len())
        .find(|i| {
            zip.name_for_index(*i)
                .is_some_and(|n| n.is_ok_and(|n| n.ends_with(".csv") && !n.contains('/')))
        })
        .ok_or_else(|| bad("the zip holds no CSV file".into()))?;
    let member = zip
        .by_index(csv)
        .map_err(|e| bad(format!("the zip's CSV file: {e}")))?;
    let name = format!("{origin}: {}", member.name().unwrap_or_default());
    read_csv(member.take(MAX_DOWNLOAD * 8), &name)
}

/// Reads TNS's public objects CSV: a line with the file's date, then a header, then one row
/// per name. Every row is checked before any is returned; an error names the line and column.
pub fn read_csv(input: impl Read, origin: &str) -> Result<Vec<TnsEntry>, ServiceError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let bad =
        |line: u64, reason: String| ServiceError::invalid(format!("{origin}, line {line}"), reason);
    let mut records = reader.records();
    let mut next = |what: &str| -> Result<Option<csv::StringRecord>, ServiceError> {
        records.next().transpose().map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, format!("{what}: {e}"))
        })
    };
    let date = next("the date line")?.ok_or_else(|| bad(1, "the file is empty".into()))?;
    if date.len() != 1 || !date[0].starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad(
            1,
            "expected the file's date (TNS's files begin with one), then the header".into(),
        ));
    }
    let header = next("the header")?.ok_or_else(|| bad(2, "no header after the date".into()))?;
    let columns = Columns::find(&header).map_err(|e| bad(2, e))?;
    let mut entries = Vec::new();
    while let Some(record) = next("a row")? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(bad(
                line,
                format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        entries.push(columns.entry(&record).map_err(|e| bad(line, e))?);
    }
    Ok(entries)
}

/// Where each field is in TNS's header.
struct Columns {
    at: HashMap<&'static str, usize>,
}

/// TNS's header names and the field each fills (Lasair's mapping).
const FIELDS: [&str; 15] = [
    "name",
    "name_prefix",
    "ra",
    "declination",
    "type",
    "redshift",
    "hostname",
    "discoverymag",
    "filter",
    "discoverydate",
    "source_group",
    "internal_names",
    "lastmodified",
    "reporting_group",
    "reporters",
];

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, String> {
        let mut at = HashMap::new();
        for field in FIELDS {
            if let Some(i) = header.iter().position(|h| h.trim() == field) {
                at.insert(field, i);
            }
        }
        for needed in ["name", "name_prefix", "ra", "declination"] {
            if !at.contains_key(needed) {
                return Err(format!(
                    "the header has no {needed:?} column (is this TNS's public objects file?)"
                ));
            }
        }
        Ok(Columns { at })
    }

    fn text(&self, record: &csv::StringRecord, field: &str) -> Option<String> {
        let v = record.get(*self.at.get(field)?)?.trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    fn real(&self, record: &csv::StringRecord, field: &str) -> Result<Option<f64>, String> {
        let Some(v) = self.text(record, field) else {
            return Ok(None);
        };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(format!("{field} {v:?} is not a number")),
        }
    }

    fn entry(&self, r: &csv::StringRecord) -> Result<TnsEntry, String> {
        let name = self.text(r, "name").unwrap_or_default();
        let name_ok = name.len() >= 5
            && name.len() <= 16
            && name[..4].bytes().all(|b| b.is_ascii_digit())
            && name[4..].bytes().all(|b| b.is_ascii_lowercase());
        if !name_ok {
            return Err(format!(
                "name {name:?} is not a TNS name (a year and letters, as 2026cqa)"
            ));
        }
        let prefix = self.text(r, "name_prefix").unwrap_or_default();
        if prefix.is_empty() || prefix.len() > 8 || !prefix.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(format!(
                "{name}: name_prefix {prefix:?} is not a prefix (AT, SN, ...)"
            ));
        }
        let at = |field: &str, range: std::ops::RangeInclusive<f64>| match self.real(r, field) {
            Ok(Some(x)) if range.contains(&x) => Ok(x),
            Ok(_) => Err(format!("{name}: {field} is missing or outside {range:?}")),
            Err(e) => Err(format!("{name}: {e}")),
        };
        let (ra, decl) = (at("ra", 0.0..=360.0)?, at("declination", -90.0..=90.0)?);
        let real = |field: &str| self.real(r, field).map_err(|e| format!("{name}: {e}"));
        Ok(TnsEntry {
            ra: if ra == 360.0 { 0.0 } else { ra },
            decl,
            object_type: self.text(r, "type"),
            z: real("redshift")?,
            host_name: self.text(r, "hostname"),
            disc_mag: real("discoverymag")?,
            disc_mag_filter: self.text(r, "filter"),
            disc_date: self.text(r, "discoverydate"),
            source_group: self.text(r, "source_group"),
            hostz: None,
            ext_catalogs: None,
            disc_int_name: self.text(r, "internal_names"),
            lastmodified_date: self.text(r, "lastmodified"),
            sender: self.text(r, "reporting_group"),
            reporters: self.text(r, "reporters"),
            name,
            prefix,
        })
    }
}

/// What a [`sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Synced {
    /// Names read from TNS's file.
    pub read: usize,
    /// Names not seen before.
    pub new: usize,
    /// Names whose fields changed (a prefix AT to SN, a classification, a position).
    pub changed: usize,
    pub unchanged: usize,
    /// Objects tagged with a new or changed name.
    pub matched: usize,
    /// Names kept in all.
    pub total: usize,
}

/// Keeps `entries` in the `tns` table: new names are added, names with any changed field
/// replaced, and each new or changed name matched to the known objects within `radius`
/// arcseconds (the nearest name wins an object). Idempotent: the same entries again change
/// nothing. The tags are written before the names, so a run cut short is finished by the next.
pub fn sync(db: &mut Db, entries: &[TnsEntry], radius: f64) -> Result<Synced, ServiceError> {
    if !(radius > 0.0 && radius <= 60.0) {
        return Err(ServiceError::invalid(
            format!("TNS match radius {radius}\""),
            "the radius is above 0 and at most 60 arcseconds",
        ));
    }
    let stored = stored(db)?;
    let mut done = Synced {
        read: entries.len(),
        ..Synced::default()
    };
    // The last entry of a name wins, as it would in the file's order of changes.
    let mut latest: HashMap<&str, &TnsEntry> = HashMap::new();
    for e in entries {
        latest.insert(e.name.as_str(), e);
    }
    let mut todo: Vec<&TnsEntry> = Vec::new();
    for e in latest.into_values() {
        match stored.get(&e.name) {
            None => done.new += 1,
            Some(old) if *old != e.values() => done.changed += 1,
            Some(_) => {
                done.unchanged += 1;
                continue;
            }
        }
        todo.push(e);
    }
    todo.sort_by(|a, b| a.name.cmp(&b.name));
    if !todo.is_empty() {
        let list = watchlist(db, radius, &todo)?;
        done.matched = tag(db, list, &todo, radius)?;
        let now = crate::now();
        let mut columns: Vec<&str> = TNS_COLUMNS.to_vec();
        columns.push("lasairmodified_date");
        for chunk in todo.chunks(10_000) {
            let rows: Vec<Vec<Value>> = chunk
                .iter()
                .map(|e| {
                    let mut row = e.values();
                    row.push(now.as_str().into());
                    row
                })
                .collect();
            db.upsert("tns", &columns, &rows)?;
        }
    }
    done.total = stored.len() + done.new;
    crate::statistics::record(db, &[("tns.names", done.total as f64)], &crate::now())?;
    Ok(done)
}

/// The names kept, each with its values in [`TNS_COLUMNS`] order.
fn stored(db: &mut Db) -> Result<HashMap<String, Vec<Value>>, ServiceError> {
    let rows = db.select(&Select::from("tns").columns(&TNS_COLUMNS))?.rows;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r[0].as_str()?.to_owned(), r)))
        .collect())
}

/// The TNS watchlist, made if need be, with a cone for each of `entries` (their own, moved
/// where a name moved): the ids of the watchlist and of each name's cone.
fn watchlist(
    db: &mut Db,
    radius: f64,
    entries: &[&TnsEntry],
) -> Result<(i64, HashMap<String, i64>), ServiceError> {
    let cones: Vec<Cone> = entries
        .iter()
        .map(|e| Cone {
            ra: e.ra,
            dec: e.decl,
            name: e.name.clone(),
            radius_arcsec: None,
        })
        .collect();
    let id = match Watchlist::named(db, WATCHLIST)? {
        Some(list) => {
            if list.radius != radius {
                db.update_where(
                    "watchlists",
                    &[("radius", radius.into())],
                    "wl_id",
                    &list.id.into(),
                )?;
            }
            let ids = cone_ids(db, list.id)?;
            let put: Vec<(Option<i64>, &Cone)> = cones
                .iter()
                .map(|c| (ids.get(&c.name).copied(), c))
                .collect();
            Watchlist::put_cones(db, list.id, &put)?;
            list.id
        }
        None => {
            let entry = NewEntry {
                user_id: crate::expiry::SERVICES,
                name: WATCHLIST.into(),
                description: "The Transient Name Server's public objects".into(),
                public: true,
            };
            Watchlist::create(db, &entry, radius, &cones)?.id
        }
    };
    Ok((id, cone_ids(db, id)?))
}

fn cone_ids(db: &mut Db, wl_id: i64) -> Result<HashMap<String, i64>, ServiceError> {
    Ok(Watchlist::cones(db, wl_id)?
        .into_iter()
        .map(|c| (c.cone.name, c.cone_id))
        .collect())
}

/// Tags the known objects near each of `entries` (untagging where a changed name moved away):
/// `crossmatch_tns`, the TNS watchlist's hits and LSST's `objects.tns_name`. How many objects.
fn tag(
    db: &mut Db,
    (wl_id, cones): (i64, HashMap<String, i64>),
    entries: &[&TnsEntry],
    radius: f64,
) -> Result<usize, ServiceError> {
    let catalog = db.catalog();
    // Each object's nearest name of this run.
    let mut nearest: HashMap<String, (Value, f64, &TnsEntry)> = HashMap::new();
    for e in entries {
        db.delete_where("crossmatch_tns", "tns_name", &e.name.as_str().into())?;
        if let Some(cone_id) = cones.get(&e.name) {
            db.delete_where("watchlist_hits", "cone_id", &(*cone_id).into())?;
        }
        for (key, arcsec) in crate::objects::cone(db, e.ra, e.decl, radius)? {
            let id = key.to_string();
            match nearest.get(&id) {
                Some((_, best, _)) if *best <= arcsec => {}
                _ => {
                    nearest.insert(id, (key, arcsec, e));
                }
            }
        }
    }
    let mut tns_rows = Vec::new();
    let mut hits = Vec::new();
    let has_tns_name = catalog.tables[0].column("tns_name").is_some();
    for (key, arcsec, e) in nearest.values() {
        tns_rows.push(crossmatch_row(key, e.values()));
        if let Some(cone_id) = cones.get(&e.name) {
            hits.push(vec![
                wl_id.into(),
                (*cone_id).into(),
                key.clone(),
                (*arcsec).into(),
                e.name.as_str().into(),
            ]);
        }
        if has_tns_name {
            db.update_where(
                "objects",
                &[("tns_name", e.name.as_str().into())],
                catalog.key,
                key,
            )?;
        }
    }
    db.upsert("crossmatch_tns", &crossmatch_columns(catalog), &tns_rows)?;
    let hit_columns = ["wl_id", "cone_id", catalog.key, "arcsec", "name"];
    db.upsert("watchlist_hits", &hit_columns, &hits)?;
    Ok(nearest.len())
}

/// The `crossmatch_tns` row of an object (`key`) and a name's `values` ([`TNS_COLUMNS`]).
fn crossmatch_row(key: &Value, values: Vec<Value>) -> Vec<Value> {
    let mut row = Vec::with_capacity(values.len() + 1);
    row.push(key.clone());
    row.extend(values);
    row
}

fn crossmatch_columns(catalog: &lasair_sql::catalog::Catalog) -> Vec<&'static str> {
    let mut columns = vec![catalog.key];
    columns.extend(TNS_COLUMNS);
    columns
}

/// Writes the `crossmatch_tns` rows of objects that hit TNS's watchlist in the stream (each
/// object's key and the name of the cone it hit), for names kept in `tns`; how many.
pub fn tag_hits(db: &mut Db, hits: &[(Value, String)]) -> Result<usize, ServiceError> {
    let mut entries: HashMap<&str, Option<Vec<Value>>> = HashMap::new();
    let mut rows = Vec::new();
    for (key, name) in hits {
        if !entries.contains_key(name.as_str()) {
            let select = Select::from("tns")
                .columns(&TNS_COLUMNS)
                .eq("tns_name", name.as_str());
            let row = db.select(&select)?.rows.into_iter().next();
            entries.insert(name, row);
        }
        if let Some(Some(values)) = entries.get(name.as_str()) {
            rows.push(crossmatch_row(key, values.clone()));
        }
    }
    db.upsert("crossmatch_tns", &crossmatch_columns(db.catalog()), &rows)?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "\"objid\",\"name_prefix\",\"name\",\"ra\",\"declination\",\"redshift\",\"type\",\"discoverymag\",\"filter\",\"reporting_group\"";

    fn file(rows: &[&str]) -> String {
        let mut s = format!("\"2026-02-10 00:00:00\"\n{HEADER}\n");
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    #[test]
    fn rows_are_read_with_lasairs_mapping() {
        let f = file(&["\"1\",\"SN\",\"2022and\",\"150.0275\",\"3.757\",\"0.043\",\"SN II\",\"18.965\",\"orange\",\"ATLAS\""]);
        let e = read_csv(f.as_bytes(), "t.csv").expect("read");
        assert_eq!(e.len(), 1);
        let e = &e[0];
        assert_eq!((e.name.as_str(), e.prefix.as_str()), ("2022and", "SN"));
        assert_eq!((e.ra, e.decl, e.z), (150.0275, 3.757, Some(0.043)));
        assert_eq!(e.object_type.as_deref(), Some("SN II"));
        assert_eq!(e.disc_mag_filter.as_deref(), Some("orange"));
        assert_eq!(e.sender.as_deref(), Some("ATLAS"));
        assert_eq!(e.values().len(), TNS_COLUMNS.len());
    }

    #[test]
    fn a_bad_row_is_named_by_its_line_and_nothing_is_returned() {
        let good = "\"1\",\"AT\",\"2026aaa\",\"10\",\"10\",\"\",\"\",\"\",\"\",\"\"";
        let cases = [
            (
                "\"2\",\"AT\",\"2026aab\",\"400\",\"10\",\"\",\"\",\"\",\"\",\"\"",
                "ra",
            ),
            (
                "\"2\",\"AT\",\"2026aab\",\"10\",\"10\",\"x\",\"\",\"\",\"\",\"\"",
                "redshift",
            ),
            (
                "\"2\",\"AT\",\"../etc\",\"10\",\"10\",\"\",\"\",\"\",\"\",\"\"",
                "not a TNS name",
            ),
            (
                "\"2\",\"A;T\",\"2026aab\",\"10\",\"10\",\"\",\"\",\"\",\"\",\"\"",
                "prefix",
            ),
            ("\"2\",\"AT\",\"2026aab\"", "fields"),
        ];
        for (bad, says) in cases {
            let f = file(&[good, bad]);
            let err = read_csv(f.as_bytes(), "t.csv").expect_err(bad).to_string();
            assert!(err.contains("t.csv, line 4") && err.contains(says), "{err}");
        }
        let err = read_csv("\"name\",\"ra\"\n".as_bytes(), "t.csv").expect_err("no date");
        assert!(err.to_string().contains("date"), "{err}");
    }

    #[test]
    fn periods_name_tns_files_and_refuse_nonsense() {
        assert_eq!(Period::Full.file_name(), "tns_public_objects.csv.zip");
        let day = Period::daily("20260209").expect("day");
        assert_eq!(day.file_name(), "tns_public_objects_20260209.csv.zip");
        let hour = Period::hourly(7).expect("hour");
        assert_eq!(hour.file_name(), "tns_public_objects_07.csv.zip");
        assert!(Period::daily("2026-02-09").is_err());
        assert!(Period::daily("20261309").is_err());
        assert!(Period::hourly(24).is_err());
    }

    #[test]
    fn the_bot_marker_is_tns_form_and_names_are_checked() {
        let bot = Bot {
            id: 91941,
            name: "Lasair_bot".into(),
            api_key: "secret".into(),
        };
        assert_eq!(
            bot.user_agent().expect("agent"),
            r#"tns_marker{"tns_id":91941,"type": "bot", "name":"Lasair_bot"}"#
        );
        assert!(!format!("{bot:?}").contains("secret"));
        let evil = Bot {
            name: "x\r\nX-Evil: 1".into(),
            ..bot
        };
        assert!(evil.user_agent().is_err());
    }
}

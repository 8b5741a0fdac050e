//! Gravitational-wave sky maps as Lasair keeps them (`mma_areas`, Lasair's multi-messenger
//! areas): a map and what its notice says of the event are summarised (10/50/90% credible
//! areas and MOCs, distance, most probable place), kept or refused by Lasair's rule, stored
//! once per event version, and matched against the objects already known. lasair-filter
//! matches each batch's alerts against the maps active at the alerts' times ([`active`]).
//! Every hit is an `mma_area_hits` row: one per object and map.

pub mod active;
pub mod notice;

use std::collections::BTreeMap;

use base64::Engine;
use lasair_db::{Db, Select, Value};
use lasair_sky::skymap::{Credible, Located, Skymap};
use serde::Serialize;

use crate::ServiceError;

/// How long after its event a map matches alerts, days (Lasair's `GW_ACTIVE_DAYS`).
pub const ACTIVE_DAYS: f64 = 21.0;
/// The namespace of LIGO/Virgo/KAGRA maps.
pub const NAMESPACE: &str = "LVK";
/// The credible levels kept, as fractions.
pub const LEVELS: [f64; 3] = [0.1, 0.5, 0.9];
/// The classes whose maps are kept whatever their area.
pub const KEPT_CLASSES: [&str; 2] = ["BNS", "NSBH"];

/// Which maps are kept: those whose likeliest class is BNS or NSBH, and any other whose 90%
/// area is at most `max_area90` square degrees (Lasair's `GW_BBH_MAX_AREA`, 300).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub max_area90: f64,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule { max_area90: 300.0 }
    }
}

impl Rule {
    /// `Ok` if the map is kept, else why not.
    pub fn decide(&self, event: &Event, area90: f64) -> Result<(), String> {
        let likeliest = event.likeliest();
        if likeliest.is_some_and(|(c, _)| KEPT_CLASSES.contains(&c)) || area90 <= self.max_area90 {
            return Ok(());
        }
        let class = match likeliest {
            Some((c, p)) => format!("classified {c} ({p:.3})"),
            None => "not classified".to_owned(),
        };
        Err(format!(
            "{class} and its 90% area {area90:.1} deg² is above {} deg²",
            self.max_area90
        ))
    }
}

/// What is known of an event version besides its map: from its notice, or the command line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The superevent id (`S200129m`).
    pub other_id: String,
    /// Which version of the event's map (`20200129T065632_PRELIMINARY`).
    pub version: String,
    /// PRELIMINARY, INITIAL, UPDATE... (empty from the command line).
    pub alert_type: String,
    /// The event's time, MJD (UTC).
    pub mjd: f64,
    /// Probability of each source class (BNS, NSBH, BBH, Terrestrial).
    pub classification: BTreeMap<String, f64>,
    /// False alarm rate, Hz.
    pub far: Option<f64>,
    /// Where to read more (GraceDB).
    pub more_info: Option<String>,
}

impl Event {
    /// The event of a map file given on the command line: named `name`, at `mjd` or else the
    /// map's MJD-OBS or DATE-OBS; its version the map's DATE (when the file was made).
    pub fn of_map(map: &Skymap, name: &str, mjd: Option<f64>) -> Result<Event, ServiceError> {
        check_id(name)?;
        let meta = map.meta();
        let date_obs = meta
            .date_obs
            .as_deref()
            .and_then(lasair_alert::time::mjd_of_utc);
        let mjd = mjd.or(meta.mjd_obs).or(date_obs).ok_or_else(|| {
            ServiceError::invalid(
                format!("sky map {}", map.name()),
                "its header gives no MJD-OBS or DATE-OBS: give the event's time",
            )
        })?;
        let made = meta
            .date
            .as_deref()
            .and_then(lasair_alert::time::mjd_of_utc);
        Ok(Event {
            other_id: name.to_owned(),
            version: version_of(made.unwrap_or(mjd), "FILE"),
            mjd,
            ..Event::default()
        })
    }

    /// The likeliest class and its probability.
    pub fn likeliest(&self) -> Option<(&str, f64)> {
        self.classification
            .iter()
            .filter(|(_, p)| p.is_finite())
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(c, p)| (c.as_str(), *p))
    }
}

/// A version name as Lasair's folders have it: `YYYYMMDDTHHMMSS_TYPE`.
pub(crate) fn version_of(mjd: f64, kind: &str) -> String {
    let iso = lasair_alert::time::iso_utc(mjd);
    let digits: String = iso[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{digits}_{kind}")
}

/// A superevent id: 1 to 64 letters, digits, `_` or `-` (it is shown and stored, never a path).
pub(crate) fn check_id(id: &str) -> Result<(), ServiceError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if id.is_empty() || id.len() > 64 || !id.chars().all(ok) {
        return Err(ServiceError::invalid(
            format!("event name {id:?}"),
            "1 to 64 letters, digits, _ or -",
        ));
    }
    Ok(())
}

/// A map's summary: its credible regions, their areas, its distance and likeliest place.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The 10%, 50% and 90% regions.
    pub regions: [Credible; 3],
    /// Their areas, square degrees.
    pub areas: [f64; 3],
    /// Distance mean and spread, Mpc.
    pub distance: Option<(f64, f64)>,
    /// The most probable position (RA, Dec).
    pub location: Option<(f64, f64)>,
}

impl Summary {
    /// Summarises a map.
    pub fn of(map: &Skymap) -> Summary {
        let regions = LEVELS.map(|l| map.credible(l));
        Summary {
            areas: [0, 1, 2].map(|i| regions[i].area_deg2()),
            regions,
            distance: map.distance(),
            location: map.max_location(),
        }
    }
}

/// What registering a map did: printed as one JSON line by `lasair-sync gw`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registration {
    pub name: String,
    pub version: String,
    pub alert_type: String,
    /// The event's time, ISO 8601 UTC.
    pub event_date: String,
    pub area10: f64,
    pub area50: f64,
    pub area90: f64,
    pub distmean: Option<f64>,
    pub diststd: Option<f64>,
    pub ra: Option<f64>,
    pub dec: Option<f64>,
    /// The map's id when kept (new or already there).
    pub mw_id: Option<i64>,
    pub kept: bool,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// False when this version was registered before (nothing new was written).
    pub new: bool,
    /// Known objects found inside its 90% area.
    pub tagged: usize,
}

/// Registers an event version's map: summarised, decided by `rule`, stored unless this
/// version already is, and the known objects inside its 90% area tagged (again, harmlessly,
/// for a version already stored: a registration cut short is finished by running it again).
pub fn register(
    db: &mut Db,
    map: &Skymap,
    event: &Event,
    rule: &Rule,
) -> Result<Registration, ServiceError> {
    check_id(&event.other_id)?;
    let summary = Summary::of(map);
    let event_tai = lasair_alert::time::tai_of_utc(event.mjd);
    let mut out = Registration {
        name: event.other_id.clone(),
        version: event.version.clone(),
        alert_type: event.alert_type.clone(),
        event_date: lasair_alert::time::iso_utc(event.mjd),
        area10: summary.areas[0],
        area50: summary.areas[1],
        area90: summary.areas[2],
        distmean: summary.distance.map(|d| d.0),
        diststd: summary.distance.map(|d| d.1),
        ra: summary.location.map(|l| l.0),
        dec: summary.location.map(|l| l.1),
        mw_id: None,
        kept: false,
        rejected: None,
        new: false,
        tagged: 0,
    };
    if let Err(why) = rule.decide(event, summary.areas[2]) {
        out.rejected = Some(why);
        return Ok(out);
    }
    out.kept = true;
    let id = match stored_id(db, &event.other_id, &event.version)? {
        Some(id) => id,
        None => {
            out.new = true;
            insert(db, event, &summary, event_tai)?
        }
    };
    out.mw_id = Some(id);
    out.tagged = tag_known(db, id, event_tai, &summary.regions[2])?;
    Ok(out)
}

/// The id of a stored version of an event.
pub fn stored_id(db: &mut Db, other_id: &str, version: &str) -> Result<Option<i64>, ServiceError> {
    let select = Select::from(TABLE)
        .columns(&["mw_id"])
        .eq("otherId", other_id)
        .eq("version", version)
        .eq("namespace", NAMESPACE)
        .order_by("mw_id")
        .limit(1);
    Ok(db.select(&select)?.rows.first().and_then(|r| r[0].as_i64()))
}

const TABLE: &str = "mma_areas";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn insert(db: &mut Db, event: &Event, s: &Summary, event_tai: f64) -> Result<i64, ServiceError> {
    let mocs = [0, 1, 2].map(|i| {
        let area = s.regions[i].area(&event.other_id);
        // An empty region (a map whose densest pixel holds more than 10%) has no MOC.
        if area.ranges().is_empty() {
            Value::Null
        } else {
            Value::from(b64(&area.to_fits()))
        }
    });
    let classification = serde_json::to_string(&event.classification).unwrap_or_default();
    let (ra, dec) = s.location.unzip();
    let (mean, std) = s.distance.unzip();
    let params = serde_json::json!({
        "classification": event.classification,
        "far": event.far,
        "location": {"RA": ra, "Dec": dec, "distmean": mean, "diststd": std},
    });
    let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
    let [moc10, moc50, moc90] = mocs;
    let columns = [
        "namespace",
        "otherId",
        "version",
        "alert_type",
        "event_tai",
        "event_date",
        "area10",
        "area50",
        "area90",
        "moc10",
        "moc50",
        "moc90",
        "region90",
        "distmean",
        "diststd",
        "classification",
        "far",
        "ra",
        "decl",
        "params",
        "more_info",
        "active",
        "date_created",
    ];
    let row = vec![
        NAMESPACE.into(),
        event.other_id.as_str().into(),
        event.version.as_str().into(),
        event.alert_type.as_str().into(),
        event_tai.into(),
        lasair_alert::time::iso_utc(event.mjd).into(),
        s.areas[0].into(),
        s.areas[1].into(),
        s.areas[2].into(),
        moc10,
        moc50,
        moc90,
        b64(&s.regions[2].to_bytes()).into(),
        opt(mean),
        opt(std),
        classification.into(),
        opt(event.far),
        opt(ra),
        opt(dec),
        params.to_string().into(),
        event.more_info.clone().map_or(Value::Null, Value::Text),
        1.into(),
        crate::now().into(),
    ];
    Ok(db.insert(TABLE, &columns, &row)?)
}

/// Marks every version of an event retracted (no longer matched); returns how many.
pub fn retract(db: &mut Db, other_id: &str) -> Result<u64, ServiceError> {
    check_id(other_id)?;
    let sets = [("active", Value::Int(0))];
    Ok(db.update_where(TABLE, &sets, "otherId", &other_id.into())?)
}

/// One stored map, as staff list them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stored {
    pub mw_id: i64,
    pub other_id: String,
    pub version: String,
    pub alert_type: String,
    pub event_tai: f64,
    pub area90: f64,
    pub active: bool,
}

/// The stored versions of an event (every event's when `other_id` is `None`), by id.
pub fn list(db: &mut Db, other_id: Option<&str>) -> Result<Vec<Stored>, ServiceError> {
    let columns = [
        "mw_id",
        "otherId",
        "version",
        "alert_type",
        "event_tai",
        "area90",
        "active",
    ];
    let mut select = Select::from(TABLE).columns(&columns).order_by("mw_id");
    if let Some(id) = other_id {
        select = select.eq("otherId", id);
    }
    let rows = db.select(&select)?.rows;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Stored {
                mw_id: r[0].as_i64()?,
                other_id: text(&r[1]),
                version: text(&r[2]),
                alert_type: text(&r[3]),
                event_tai: r[4].as_f64().unwrap_or(f64::NAN),
                area90: r[5].as_f64().unwrap_or(f64::NAN),
                active: r[6].as_i64().unwrap_or(0) != 0,
            })
        })
        .collect())
}

/// The `mma_area_hits` row of an object at a located position of map `mw_id`, with the host
/// distance (Mpc) Sherlock gave, if any: one code for the filter's hits and registration's.
pub fn hit_row(mw_id: i64, key: Value, at: &Located, distance: Option<f64>) -> Vec<Value> {
    let opt = |v: Option<f64>| v.filter(|x| x.is_finite()).map_or(Value::Null, Value::Real);
    let distance = distance.filter(|d| *d > 0.0 && d.is_finite());
    vec![
        mw_id.into(),
        key,
        at.contour.into(),
        opt(distance),
        at.probdensity.into(),
        opt(distance.and_then(|d| at.density3(d))),
    ]
}

/// The columns of [`hit_row`], the catalogue's `mma_area_hits` with its key.
pub fn hit_columns(db: &Db) -> [&'static str; 6] {
    let key = db.catalog().key;
    [
        "mw_id",
        key,
        "contour",
        "distance",
        "probdens2",
        "probdens3",
    ]
}

/// Tags the objects already known whose latest detection is within [`ACTIVE_DAYS`] after the
/// event and whose position is in the 90% region; returns how many.
fn tag_known(
    db: &mut Db,
    id: i64,
    event_tai: f64,
    region: &Credible,
) -> Result<usize, ServiceError> {
    let Some((low, high)) = region.dec_bounds() else {
        return Ok(0);
    };
    let catalog = db.catalog();
    let (ra_col, dec_col) = catalog.position;
    let from = crate::objects::latest_of_mjd(catalog, event_tai);
    let to = crate::objects::latest_of_mjd(catalog, event_tai + ACTIVE_DAYS);
    let select = Select::from("objects")
        .columns(&[catalog.key, ra_col, dec_col])
        .between(catalog.latest, from, to)
        .between(dec_col, low, high);
    let mut rows = Vec::new();
    for row in db.select(&select)?.rows {
        let (Some(ra), Some(dec)) = (row[1].as_f64(), row[2].as_f64()) else {
            continue;
        };
        let Some(at) = region.locate(ra, dec) else {
            continue;
        };
        let key = row[0].clone();
        let distance = sherlock_distance(db, &key)?;
        rows.push(hit_row(id, key, &at, distance));
    }
    db.upsert("mma_area_hits", &hit_columns(db), &rows)?;
    Ok(rows.len())
}

/// Sherlock's host distance of an object (its `distance`: the direct distance, else the
/// luminosity distance of the host's redshift or photometric redshift).
fn sherlock_distance(db: &mut Db, key: &Value) -> Result<Option<f64>, ServiceError> {
    let catalog = db.catalog();
    let select = Select::from("sherlock_classifications")
        .columns(&["distance"])
        .eq(catalog.key, key.clone());
    Ok(db.select(&select)?.rows.first().and_then(|r| r[0].as_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(classes: &[(&str, f64)]) -> Event {
        Event {
            classification: classes.iter().map(|(c, p)| (c.to_string(), *p)).collect(),
            ..Event::default()
        }
    }

    #[test]
    fn lasairs_rule_keeps_neutron_stars_and_small_areas() {
        let rule = Rule::default();
        let bns = event(&[("BNS", 0.9), ("BBH", 0.05), ("Terrestrial", 0.05)]);
        let bbh = event(&[("BNS", 0.1), ("BBH", 0.85), ("Terrestrial", 0.05)]);
        assert_eq!(rule.decide(&bns, 5000.0), Ok(()));
        assert_eq!(rule.decide(&bbh, 300.0), Ok(()));
        let why = rule.decide(&bbh, 300.5).unwrap_err();
        assert!(
            why.contains("classified BBH (0.850)") && why.contains("300.5"),
            "{why}"
        );
        let why = rule.decide(&event(&[]), 1000.0).unwrap_err();
        assert!(why.contains("not classified"), "{why}");
        let strict = Rule { max_area90: 100.0 };
        assert!(strict.decide(&bbh, 200.0).is_err());
    }

    #[test]
    fn versions_and_names() {
        assert_eq!(
            version_of(58_877.288_176_300_83, "PRELIMINARY"),
            "20200129T065458_PRELIMINARY"
        );
        assert!(check_id("S200129m").is_ok() && check_id("MS181101ab").is_ok());
        for bad in ["", "../x", "S1 2", &"S".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}

//! Watchlists (named cones: an alert inside one is a `watchlist_hits` row) and watchmaps (sky
//! areas as MOCs: an alert inside one is an `area_hits` row), as their owners make them.

use base64::Engine;
use lasair_db::{Db, Select, Value};
use lasair_sky::area::Area;
use lasair_sky::cones::{check_radius, Cone};

use crate::record::{select, Cells, Record};
use crate::ServiceError;

/// Lasair's default watchlist radius, arcsec, for a cone and list that give none.
pub const DEFAULT_RADIUS: f64 = 2.0;

/// What a new watchlist or watchmap says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub user_id: i64,
    pub name: String,
    pub description: String,
    /// Visible to every user.
    pub public: bool,
}

/// A watchlist; its cones are read apart ([`Watchlist::cones`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Watchlist {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub description: String,
    /// The radius of cones that give none, arcsec.
    pub radius: f64,
    pub active: bool,
    pub public: bool,
    pub date_created: String,
    /// When it was last saved: it stops 180 days later unless saved again.
    pub date_modified: String,
}

impl Record for Watchlist {
    const TABLE: &'static str = "watchlists";
    const KEY: &'static str = "wl_id";
    const COLUMNS: &'static [&'static str] = &[
        "wl_id",
        "user_id",
        "name",
        "description",
        "radius",
        "active",
        "public",
        "date_created",
        "date_modified",
    ];

    fn from_row(row: &[Value]) -> Option<Watchlist> {
        let c = Cells(row);
        Some(Watchlist {
            id: c.int(0)?,
            user_id: c.int(1).unwrap_or(0),
            name: c.text(2),
            description: c.text(3),
            radius: c.real(4).unwrap_or(DEFAULT_RADIUS),
            active: c.flag(5),
            public: c.flag(6),
            date_created: c.text(7),
            date_modified: c.text(8),
        })
    }

    fn fields(&self) -> Vec<Value> {
        vec![
            self.id.into(),
            self.user_id.into(),
            self.name.as_str().into(),
            self.description.as_str().into(),
            self.radius.into(),
            i64::from(self.active).into(),
            i64::from(self.public).into(),
            self.date_created.as_str().into(),
            self.date_modified.as_str().into(),
        ]
    }
}

/// One stored cone of a watchlist.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCone {
    pub cone_id: i64,
    pub cone: Cone,
}

impl Watchlist {
    /// Saves a watchlist, active, with its cones (at least one); the database assigns the ids.
    pub fn create(
        db: &mut Db,
        entry: &NewEntry,
        radius: f64,
        cones: &[Cone],
    ) -> Result<Watchlist, ServiceError> {
        let what = format!("watchlist {:?}", entry.name);
        check_radius(radius).map_err(|e| ServiceError::invalid(&what, e.to_string()))?;
        if cones.is_empty() {
            return Err(ServiceError::invalid(what, "no cones"));
        }
        let now = crate::now();
        let list = Watchlist {
            id: 0,
            user_id: entry.user_id,
            name: entry.name.clone(),
            description: entry.description.clone(),
            radius,
            active: true,
            public: entry.public,
            date_created: now.clone(),
            date_modified: now,
        };
        let id = db.insert(Self::TABLE, &Self::COLUMNS[1..], &list.fields()[1..])?;
        let cones: Vec<(Option<i64>, &Cone)> = cones.iter().map(|c| (None, c)).collect();
        if let Err(e) = Watchlist::put_cones(db, id, &cones) {
            // No watchlist without its cones.
            db.delete_where(Self::TABLE, Self::KEY, &Value::Int(id))?;
            return Err(e);
        }
        Ok(Watchlist { id, ..list })
    }

    /// Writes cones of watchlist `id` in one transaction: each with its cone id replaces that
    /// cone, each without one is added (the database assigns the id).
    pub fn put_cones(
        db: &mut Db,
        id: i64,
        cones: &[(Option<i64>, &Cone)],
    ) -> Result<(), ServiceError> {
        let rows: Vec<Vec<Value>> = cones
            .iter()
            .map(|(cone_id, c)| {
                let radius = c.radius_arcsec.map_or(Value::Null, Value::Real);
                vec![
                    cone_id.map_or(Value::Null, Value::Int),
                    id.into(),
                    c.name.as_str().into(),
                    c.ra.into(),
                    c.dec.into(),
                    radius,
                ]
            })
            .collect();
        db.upsert("watchlist_cones", CONE_COLUMNS, &rows)?;
        Ok(())
    }

    /// The watchlist of this name with the lowest id, if any (for the lists the services keep,
    /// such as TNS's).
    pub fn named(db: &mut Db, name: &str) -> Result<Option<Watchlist>, ServiceError> {
        let found: Vec<Watchlist> =
            select(db, Select::from(Self::TABLE).eq("name", name).limit(1))?;
        Ok(found.into_iter().next())
    }

    /// Its cones, in the order they were added.
    pub fn cones(db: &mut Db, id: i64) -> Result<Vec<StoredCone>, ServiceError> {
        let select = Select::from("watchlist_cones")
            .columns(CONE_COLUMNS)
            .eq("wl_id", id)
            .order_by("cone_id");
        Ok(db
            .select(&select)?
            .rows
            .iter()
            .filter_map(|r| cone(r))
            .collect())
    }

    /// How many cones it has.
    pub fn cone_count(db: &mut Db, id: i64) -> Result<u64, ServiceError> {
        let select = Select::from("watchlist_cones").count().eq("wl_id", id);
        let rows = db.select(&select)?;
        Ok(rows.rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0) as u64)
    }

    /// Removes it with its cones.
    pub fn delete_with_cones(db: &mut Db, id: i64) -> Result<(), ServiceError> {
        Watchlist::get(db, id)?;
        db.delete_where("watchlist_cones", "wl_id", &Value::Int(id))?;
        Watchlist::delete(db, id)
    }

    /// The most cones [`Watchlist::crossmatch_known`] takes (Lasair's "run" crossmatches at
    /// most 50,000; here each cone is one indexed search, so a list is matched in seconds).
    pub const MAX_CROSSMATCH: usize = 50_000;

    /// Matches watchlist `id`'s cones against the objects already known (new alerts are
    /// matched by the filter as they come): each object within its cone's radius (the list's
    /// default when the cone has none) is written to `watchlist_hits`, as the filter writes
    /// hits. Gives how many; refused for a list of more than [`Watchlist::MAX_CROSSMATCH`].
    pub fn crossmatch_known(db: &mut Db, id: i64) -> Result<usize, ServiceError> {
        let list = Watchlist::get(db, id)?;
        let cones = Watchlist::cones(db, id)?;
        if cones.len() > Self::MAX_CROSSMATCH {
            return Err(ServiceError::invalid(
                format!("watchlist {id}"),
                format!(
                    "{} cones: the objects known are matched for at most {}; new alerts are matched as they come",
                    cones.len(),
                    Self::MAX_CROSSMATCH
                ),
            ));
        }
        let key = db.catalog().key;
        let mut rows = Vec::new();
        for c in &cones {
            let radius = c.cone.radius_arcsec.unwrap_or(list.radius);
            for (object, arcsec) in crate::objects::cone(db, c.cone.ra, c.cone.dec, radius)? {
                rows.push(vec![
                    id.into(),
                    c.cone_id.into(),
                    object,
                    arcsec.into(),
                    c.cone.name.as_str().into(),
                ]);
            }
        }
        db.upsert(
            "watchlist_hits",
            &["wl_id", "cone_id", key, "arcsec", "name"],
            &rows,
        )?;
        Ok(rows.len())
    }

    /// The active watchlists, each with its cones.
    pub fn active_with_cones(
        db: &mut Db,
    ) -> Result<Vec<(Watchlist, Vec<StoredCone>)>, ServiceError> {
        let lists: Vec<Watchlist> = select(db, Select::from(Self::TABLE).gt("active", 0))?;
        let mut out = Vec::with_capacity(lists.len());
        for list in lists {
            let cones = Watchlist::cones(db, list.id)?;
            out.push((list, cones));
        }
        Ok(out)
    }
}

const CONE_COLUMNS: &[&str] = &["cone_id", "wl_id", "name", "ra", "decl", "radius"];

fn cone(row: &[Value]) -> Option<StoredCone> {
    let c = Cells(row);
    Some(StoredCone {
        cone_id: c.int(0)?,
        cone: Cone {
            ra: c.real(3)?,
            dec: c.real(4)?,
            name: c.text(2),
            radius_arcsec: c.real(5),
        },
    })
}

/// A watchmap's MOC file as stored: base64, as Lasair keeps it.
pub fn encode_moc(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A watchmap's MOC file from its stored base64, [`encode_moc`]'s inverse.
pub fn decode_moc(stored: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(stored.trim())
}

/// A watchmap: a sky area, kept as its MOC file (FITS, ASCII or JSON) in base64, as Lasair
/// keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Watchmap {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub description: String,
    /// The MOC file, base64.
    pub moc: String,
    pub active: bool,
    pub public: bool,
    pub date_created: String,
    /// When it was last saved: it stops 180 days later unless saved again.
    pub date_modified: String,
}

impl Record for Watchmap {
    const TABLE: &'static str = "watchmaps";
    const KEY: &'static str = "ar_id";
    const COLUMNS: &'static [&'static str] = &[
        "ar_id",
        "user_id",
        "name",
        "description",
        "moc",
        "active",
        "public",
        "date_created",
        "date_modified",
    ];

    fn from_row(row: &[Value]) -> Option<Watchmap> {
        let c = Cells(row);
        Some(Watchmap {
            id: c.int(0)?,
            user_id: c.int(1).unwrap_or(0),
            name: c.text(2),
            description: c.text(3),
            moc: c.text(4),
            active: c.flag(5),
            public: c.flag(6),
            date_created: c.text(7),
            date_modified: c.text(8),
        })
    }

    fn fields(&self) -> Vec<Value> {
        vec![
            self.id.into(),
            self.user_id.into(),
            self.name.as_str().into(),
            self.description.as_str().into(),
            self.moc.as_str().into(),
            i64::from(self.active).into(),
            i64::from(self.public).into(),
            self.date_created.as_str().into(),
            self.date_modified.as_str().into(),
        ]
    }
}

impl Watchmap {
    /// Saves a watchmap, active, from a MOC file's bytes (checked to be a MOC first; `source`
    /// names the file in the error). Returns it with its area.
    pub fn create(
        db: &mut Db,
        entry: &NewEntry,
        moc: &[u8],
        source: &str,
    ) -> Result<(Watchmap, Area), ServiceError> {
        let area = Area::from_bytes(moc, source)
            .map_err(|e| ServiceError::invalid("watchmap", e.to_string()))?;
        let now = crate::now();
        let map = Watchmap {
            id: 0,
            user_id: entry.user_id,
            name: entry.name.clone(),
            description: entry.description.clone(),
            moc: encode_moc(moc),
            active: true,
            public: entry.public,
            date_created: now.clone(),
            date_modified: now,
        };
        let id = db.insert(Self::TABLE, &Self::COLUMNS[1..], &map.fields()[1..])?;
        Ok((Watchmap { id, ..map }, area))
    }

    /// Its area, from the stored MOC.
    pub fn area(&self) -> Result<Area, ServiceError> {
        let what = format!("watchmap {} ({})", self.id, self.name);
        let bytes = decode_moc(&self.moc)
            .map_err(|e| ServiceError::invalid(&what, format!("its MOC is not base64: {e}")))?;
        Area::from_bytes(&bytes, &what).map_err(|e| ServiceError::invalid(what, e.to_string()))
    }

    /// The active watchmaps.
    pub fn active(db: &mut Db) -> Result<Vec<Watchmap>, ServiceError> {
        select(db, Select::from(Self::TABLE).gt("active", 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_list_is_matched_against_the_objects_known() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        // Two objects; cones 3" north of the first (inside the list's 5"), 8" north of the
        // second (outside 5", inside its own 10"), and one on empty sky.
        let rows: Vec<Vec<Value>> = [("ZTF1", 150.0, 2.0), ("ZTF2", 151.0, -3.0)]
            .iter()
            .map(|(id, ra, dec)| vec![(*id).into(), (*ra).into(), (*dec).into()])
            .collect();
        db.upsert("objects", &["objectId", "ramean", "decmean"], &rows)
            .expect("objects");
        let cones = [
            Cone {
                ra: 150.0,
                dec: 2.0 + 3.0 / 3600.0,
                name: "a".into(),
                radius_arcsec: None,
            },
            Cone {
                ra: 151.0,
                dec: -3.0 + 8.0 / 3600.0,
                name: "b".into(),
                radius_arcsec: Some(10.0),
            },
            Cone {
                ra: 10.0,
                dec: 10.0,
                name: "c".into(),
                radius_arcsec: None,
            },
        ];
        let entry = NewEntry {
            user_id: 1,
            name: "mine".into(),
            description: String::new(),
            public: false,
        };
        let list = Watchlist::create(&mut db, &entry, 5.0, &cones).expect("list");
        assert_eq!(
            Watchlist::crossmatch_known(&mut db, list.id).expect("match"),
            2
        );
        let hits = db
            .select(
                &Select::from("watchlist_hits")
                    .columns(&["objectId", "name", "arcsec"])
                    .order_by("objectId"),
            )
            .expect("hits");
        let got: Vec<(String, String, f64)> = hits
            .rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap_or_default().into(),
                    r[1].as_str().unwrap_or_default().into(),
                    r[2].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect();
        assert_eq!((got[0].0.as_str(), got[0].1.as_str()), ("ZTF1", "a"));
        assert!((got[0].2 - 3.0).abs() < 1e-6, "{got:?}");
        assert_eq!((got[1].0.as_str(), got[1].1.as_str()), ("ZTF2", "b"));
        assert!((got[1].2 - 8.0).abs() < 1e-6, "{got:?}");
        // Matching again writes the same hits.
        Watchlist::crossmatch_known(&mut db, list.id).expect("again");
        let n = db
            .select(&Select::from("watchlist_hits").count())
            .expect("count");
        assert_eq!(n.rows[0][0].as_i64(), Some(2));
    }
}

//! One object as `/api/object/` answers it, in its survey's shape: the `objects` row from the
//! main database, the lightcurve from the lightcurve store, and what Lasair adds (positions in
//! other frames, discovery, latest and peak, Sherlock's row, the TNS entry, annotations and
//! links to the cutouts).
//!
//! LSST (Lasair-LSST's `objjson` + `reformat`): `diaObjectId`, `lasairData`, `diaObject`,
//! `diaSourcesList`, `diaForcedSourcesList`. ZTF (Lasair-ZTF's): `objectId`, `objectData`,
//! `candidates`, `forcedphot`. Without `lasair_added`, the lightcurve alone.

use lasair_alert::{CutoutKind, ObjectId, PointKind, Survey};
use lasair_db::{Select, Value};
use lasair_service::annotations::Annotation;
use lasair_store::StoredPoint;
use serde_json::{json, Map, Value as Json};

use crate::api::json_of;
use crate::reply::ApiError;
use crate::state::App;

/// The cutout's name in links, as Lasair spells it (`Science`, `Template`, `Difference`).
pub fn cutout_name(kind: CutoutKind) -> &'static str {
    match kind {
        CutoutKind::Science => "Science",
        CutoutKind::Template => "Template",
        CutoutKind::Difference => "Difference",
    }
}

/// The fields each record keeps when `lite`.
const LSST_SOURCE_LITE: &[&str] = &[
    "diaSourceId",
    "midpointMjdTai",
    "band",
    "psfFlux",
    "psfFluxErr",
    "reliability",
];
const LSST_FORCED_LITE: &[&str] = &["midpointMjdTai", "band", "psfFlux", "psfFluxErr"];
const LSST_OBJECT_LITE: &[&str] = &[
    "nDiaSources",
    "firstDiaSourceMjdTai",
    "lastDiaSourceMjdTai",
    "glat",
    "ebv",
];
const ZTF_CANDIDATE_LITE: &[&str] = &[
    "candid",
    "jd",
    "ra",
    "dec",
    "fid",
    "magpsf",
    "sigmapsf",
    "magnr",
    "sigmagnr",
    "isdiffpos",
    "diffmaglim",
    "rb",
    "drb",
];
const ZTF_FORCED_LITE: &[&str] = &[
    "jd",
    "fid",
    "forcediffimflux",
    "forcediffimfluxunc",
    "procstatus",
];

/// The answer for object `id`.
pub fn answer(app: &App, id: &str, lite: bool, added: bool) -> Result<Json, ApiError> {
    Ok(answer_with_points(app, id, lite, added)?.0)
}

/// The stored lightcurve of object `id` (empty without a lightcurve store).
pub fn points(app: &App, id: &str) -> Result<Vec<StoredPoint>, ApiError> {
    Ok(app
        .with_lightcurves(|store| store.lightcurve(app.survey, &ObjectId(id.to_owned())))?
        .transpose()
        .map_err(|e| ApiError::Internal(format!("reading the lightcurve of {id}: {e}")))?
        .unwrap_or_default())
}

/// The answer for object `id`, and the stored lightcurve it was made from (the object's
/// web page draws it).
pub fn answer_with_points(
    app: &App,
    id: &str,
    lite: bool,
    added: bool,
) -> Result<(Json, Vec<StoredPoint>), ApiError> {
    let mut db = app.db.get()?;
    let catalog = db.catalog();
    let key = lasair_service::objects::key(catalog, id)?;
    let row = one_row(&mut db, "objects", catalog.key, &key)?.ok_or_else(ApiError::not_found)?;
    let points = points(app, id)?;
    let answer = assemble(app, &mut db, id, key, row, &points, lite, added)?;
    Ok((answer, points))
}

/// The answer from the object's row and lightcurve.
#[allow(clippy::too_many_arguments)]
fn assemble(
    app: &App,
    db: &mut lasair_db::Pooled,
    id: &str,
    key: Value,
    row: Map<String, Json>,
    points: &[StoredPoint],
    lite: bool,
    added: bool,
) -> Result<Json, ApiError> {
    let catalog = db.catalog();
    let records = |kinds: &[PointKind], keep: Option<&[&str]>| -> Vec<Json> {
        points
            .iter()
            .filter(|p| kinds.contains(&p.kind))
            .filter_map(|p| record(p, keep))
            .collect()
    };
    let lsst = app.survey == Survey::Lsst;
    let (source_lite, forced_lite) = if lsst {
        (LSST_SOURCE_LITE, LSST_FORCED_LITE)
    } else {
        (ZTF_CANDIDATE_LITE, ZTF_FORCED_LITE)
    };
    let detections_kinds: &[PointKind] = if lsst {
        &[PointKind::Detection]
    } else {
        &[PointKind::Detection, PointKind::Nondetection]
    };
    let sources = records(detections_kinds, lite.then_some(source_lite));
    // Forced points without a flux say nothing (Lasair drops them).
    let forced: Vec<Json> = records(&[PointKind::Forced], lite.then_some(forced_lite))
        .into_iter()
        .filter(|r| !(lsst && r.get("psfFlux").is_some_and(Json::is_null)))
        .collect();
    let key_json = json_of(&key);
    if !added {
        return Ok(if lsst {
            let mut answer = fields([
                ("diaObjectId", key_json),
                ("diaSourcesList", Json::Array(sources)),
                ("diaForcedSourcesList", Json::Array(forced)),
            ]);
            if !lite {
                answer["diaObject"] = Json::Object(row.clone());
            }
            answer
        } else {
            fields([
                ("objectId", key_json),
                ("candidates", Json::Array(sources)),
                ("forcedphot", Json::Array(forced)),
            ])
        });
    }
    let (ra_col, dec_col) = catalog.position;
    let (ra, dec) = (
        row.get(ra_col).and_then(Json::as_f64).unwrap_or(f64::NAN),
        row.get(dec_col).and_then(Json::as_f64).unwrap_or(f64::NAN),
    );
    // LSST's answer repeats the row's diaObject fields as `diaObject`: its position and time
    // span (lite), and whole the fields the row copies from the diaObject.
    let summary: Map<String, Json> = if lsst {
        dia_object_fields(lite)
            .map(|k| (k.to_owned(), row.get(k).cloned().unwrap_or(Json::Null)))
            .collect()
    } else {
        Map::new()
    };
    let mut data = row;
    if lsst {
        data.retain(|k, _| {
            k != ra_col && k != dec_col && (!lite || LSST_OBJECT_LITE.contains(&k.as_str()))
        });
    }
    add_positions(&mut data, ra, dec);
    add_epochs(&mut data, points, lsst);
    let sherlock = one_row(db, "sherlock_classifications", catalog.key, &key)?;
    let tns = one_row(db, "crossmatch_tns", catalog.key, &key)?;
    data.insert(
        "sherlock".into(),
        Json::Object(sherlock.unwrap_or_default()),
    );
    data.insert("TNS".into(), Json::Object(tns.unwrap_or_default()));
    let annotations: Vec<Json> = Annotation::of_object(db, key.clone())?
        .into_iter()
        .map(|a| {
            json!({
                "topic": a.topic, "version": a.version, "timestamp": a.timestamp,
                "classification": a.classification, "explanation": a.explanation,
                "classdict": serde_json::from_str::<Json>(&a.classdict).unwrap_or(Json::String(a.classdict.clone())),
                "url": a.url,
            })
        })
        .collect();
    data.insert("annotations".into(), Json::Array(annotations));
    let links = image_urls(app, id, points, lsst);
    if lsst {
        data.insert("imageUrls".into(), Json::Array(links));
        Ok(fields([
            ("diaObjectId", key_json),
            ("lasairData", Json::Object(data)),
            ("diaObject", Json::Object(summary)),
            ("diaSourcesList", Json::Array(sources)),
            ("diaForcedSourcesList", Json::Array(forced)),
        ]))
    } else {
        data.insert("image_urls".into(), Json::Array(links));
        Ok(fields([
            ("objectId", key_json),
            ("objectData", Json::Object(data)),
            ("candidates", Json::Array(sources)),
            ("forcedphot", Json::Array(forced)),
        ]))
    }
}

/// A JSON object of these fields, moved in: `json!` would copy each value (through serde)
/// and the lightcurve's records are most of an answer.
fn fields<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The LSST `objects` columns an answer's `diaObject` repeats: the position and time span;
/// unless `lite`, also the diaObject's count, band means and own fields (htm16 is Lasair's).
fn dia_object_fields(lite: bool) -> impl Iterator<Item = &'static str> {
    use lasair_sql::catalog::{LSST_OBJECTS, LSST_OBJECT_FIELDS};
    let always = ["ra", "decl", "firstDiaSourceMjdTai", "lastDiaSourceMjdTai"];
    let means = LSST_OBJECTS
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|n| n.ends_with("_psfFluxMean") || n.ends_with("_psfFluxMeanErr"));
    let own = LSST_OBJECT_FIELDS
        .iter()
        .map(|c| c.name)
        .filter(|n| *n != "htm16");
    let full = std::iter::once("nDiaSources").chain(means).chain(own);
    always.into_iter().chain(full.filter(move |_| !lite))
}

/// The row of `table` whose `column` is `key`, by column name.
fn one_row(
    db: &mut lasair_db::Pooled,
    table: &str,
    column: &str,
    key: &Value,
) -> Result<Option<Map<String, Json>>, ApiError> {
    let rows = db.select(&Select::from(table).eq(column, key.clone()))?;
    Ok(rows.rows.first().map(|r| {
        rows.columns
            .iter()
            .zip(r)
            .map(|(c, v)| (c.clone(), json_of(v)))
            .collect()
    }))
}

/// A stored point's record, whole or with only `keep`'s fields.
fn record(p: &StoredPoint, keep: Option<&[&str]>) -> Option<Json> {
    let map = match keep {
        Some(keep) => {
            let mut reader = serde_json::Deserializer::from_str(&p.fields);
            serde::de::DeserializeSeed::deserialize(Kept(keep), &mut reader).ok()?
        }
        None => match serde_json::from_str::<Json>(&p.fields).ok()? {
            Json::Object(map) => map,
            _ => return None,
        },
    };
    Some(Json::Object(map))
}

/// Reads a JSON object keeping only the fields it names, the others parsed past without
/// being built: a ZTF candidate has about a hundred fields and lite keeps thirteen, and
/// building each record whole then trimming it was most of a lite answer's time (perf).
struct Kept<'k>(&'k [&'k str]);

impl<'de> serde::de::DeserializeSeed<'de> for Kept<'_> {
    type Value = Map<String, Json>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Kept<'_> {
    type Value = Map<String, Json>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut fields: A,
    ) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(kept) = fields.next_key_seed(KeptName(self.0))? {
            match kept {
                Some(name) => {
                    map.insert(name.to_owned(), fields.next_value()?);
                }
                None => {
                    fields.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(map)
    }
}

/// A field name: the kept name it is, if any.
struct KeptName<'k>(&'k [&'k str]);

impl<'de, 'k> serde::de::DeserializeSeed<'de> for KeptName<'k> {
    type Value = Option<&'k str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'k> serde::de::Visitor<'de> for KeptName<'k> {
    type Value = Option<&'k str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|k| *k == name))
    }
}

/// Sexagesimal, ecliptic and galactic positions.
fn add_positions(data: &mut Map<String, Json>, ra: f64, dec: f64) {
    if !(ra.is_finite() && dec.is_finite()) {
        return;
    }
    let (el, eb) = lasair_sky::ecliptic(ra, dec);
    let (gl, gb) = lasair_sky::galactic(ra, dec);
    data.insert("rasex".into(), lasair_sky::ra_sexagesimal(ra).into());
    data.insert("decsex".into(), lasair_sky::dec_sexagesimal(dec).into());
    data.insert("ec_lon".into(), el.into());
    data.insert("ec_lat".into(), eb.into());
    data.insert("g_lon".into(), gl.into());
    data.insert("g_lat".into(), gb.into());
}

/// Now, how long ago the first and latest detections were, and the discovery, latest and
/// peak detections: MJD, UTC, brightness (LSST: `"flux±err"` in nJy; ZTF: magnitude) and band.
fn add_epochs(data: &mut Map<String, Json>, points: &[StoredPoint], lsst: bool) {
    let now = lasair_alert::time::mjd_now();
    data.insert("now_mjd".into(), now.into());
    let detections: Vec<&StoredPoint> = points
        .iter()
        .filter(|p| p.kind == PointKind::Detection)
        .collect();
    let (Some(first), Some(last)) = (detections.first(), detections.last()) else {
        return;
    };
    data.insert("mjdmin_ago".into(), (now - first.mjd).into());
    data.insert("mjdmax_ago".into(), (now - last.mjd).into());
    // Brightest: the largest flux (LSST) or the smallest magnitude (ZTF).
    let brightness = |p: &StoredPoint| if lsst { p.flux } else { p.mag.map(|m| -m) };
    let peak = detections
        .iter()
        .filter(|p| brightness(p).is_some_and(f64::is_finite))
        .max_by(|a, b| {
            brightness(a)
                .unwrap_or(f64::MIN)
                .total_cmp(&brightness(b).unwrap_or(f64::MIN))
        });
    let shown = |p: &StoredPoint| -> Json {
        if lsst {
            match (p.flux, p.flux_err) {
                (Some(f), Some(e)) => format!("{f:.2}±{e:.2}").into(),
                (Some(f), None) => format!("{f:.2}").into(),
                _ => Json::Null,
            }
        } else {
            p.mag.map_or(Json::Null, Json::from)
        }
    };
    for (prefix, p) in [
        ("disc", Some(first)),
        ("latest", Some(last)),
        ("peak", peak),
    ] {
        let Some(p) = p else { continue };
        data.insert(format!("{prefix}Mjd"), p.mjd.into());
        data.insert(
            format!("{prefix}Utc"),
            lasair_alert::time::utc_string(p.mjd).into(),
        );
        data.insert(format!("{prefix}Mag"), shown(p));
        data.insert(format!("{prefix}Filter"), p.band.clone().into());
    }
}

/// Links to the cutouts stored for each detection (those with every kind), newest first.
fn image_urls(app: &App, id: &str, points: &[StoredPoint], lsst: bool) -> Vec<Json> {
    let Some(store) = &app.cutouts else {
        return Vec::new();
    };
    let id_name = if lsst { "diaSourceId" } else { "candid" };
    let detections: Vec<i64> = points
        .iter()
        .rev()
        .filter(|p| p.kind == PointKind::Detection)
        .map(|p| p.id)
        .collect();
    // A store that cannot answer shows no links rather than failing the object.
    let stored = store
        .stored(app.survey, id, &detections)
        .inspect_err(|e| eprintln!("lasair-serve: {e}"))
        .unwrap_or_default();
    detections
        .iter()
        .filter_map(|&source| {
            let mut links = Map::new();
            for kind in CutoutKind::ALL {
                stored.contains(&(source, kind)).then_some(())?;
                let name = cutout_name(kind);
                let url = format!("{}/fits/{id}/{source}_cutout{name}", app.public_url);
                links.insert(name.to_owned(), url.into());
            }
            links.insert(id_name.into(), source.into());
            Some(Json::Object(links))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lite_record_is_the_whole_record_trimmed() {
        let fields = r#"{"jd": 2458224.7, "magpsf": null, "ssnamenr": "a \"b\"", "candid": 1,
            "nested": {"candid": 2, "x": [1, {"y": "z"}]}, "fid": 2, "fi\u0064": 3, "rb": 0.5}"#;
        let point = StoredPoint {
            kind: PointKind::Detection,
            id: 1,
            mjd: 58224.2,
            band: "r".into(),
            mag: None,
            mag_err: None,
            flux: None,
            flux_err: None,
            rank: 2,
            fields: fields.into(),
        };
        let keep = ["candid", "fid", "magpsf", "rb", "absent"];
        let lite = record(&point, Some(&keep)).expect("a record");
        let Some(Json::Object(mut whole)) = record(&point, None) else {
            panic!("a whole record");
        };
        whole.retain(|k, _| keep.contains(&k.as_str()));
        assert_eq!(lite, Json::Object(whole));
        assert_eq!(
            lite,
            json!({"candid": 1, "fid": 3, "magpsf": null, "rb": 0.5})
        );
        let bad = StoredPoint {
            fields: "[1, 2]".into(),
            ..point
        };
        assert_eq!(record(&bad, Some(&keep)), None);
        assert_eq!(record(&bad, None), None);
    }
}

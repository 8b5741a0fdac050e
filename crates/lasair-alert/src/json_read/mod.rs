//! Reading back the JSON alert line that `lasair-ingest` writes (see [`crate::AlertJson`]),
//! so every later stage (Sherlock, the filter's features) works on the same [`Alert`] the
//! decoder made, and keeps the keys earlier stages added (`sherlock`, `cutouts`).
//!
//! The line is read by serde visitors straight into [`Datum`]s, not through a
//! `serde_json::Value`: the records of one alert share a few field lists, so a record whose
//! keys follow a list already seen costs no allocation for its keys (the filter reads ten
//! thousand lines a batch).

#[cfg(test)]
mod differential;
mod fast;
mod scan;

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::avro::{Datum, Record, RecordNode};
use crate::model::{Alert, ObjectId, Point, PointKind, Survey, UnknownSurvey};

/// An alert line read back: the alert (no cutout bytes) and every other top-level key of
/// the line, such as `cutouts` (where ingest put them) and `sherlock` (its context).
#[derive(Debug, Clone)]
pub struct AlertLine {
    pub alert: Alert,
    pub extra: Map<String, Value>,
}

/// Why a line is not an alert; the message names the key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonAlertError {
    #[error("not JSON: {0}")]
    Syntax(String),
    #[error("not an alert: {0}")]
    Shape(String),
}

/// Reads one JSON alert line (without its newline).
pub fn read_alert_line(line: &[u8]) -> Result<AlertLine, JsonAlertError> {
    LineReader::default().read(line)
}

/// Reads many alert lines, keeping the record types met so far (an alert stream has a few),
/// so later lines reuse them. One per thread.
#[derive(Debug, Default)]
pub struct LineReader {
    schemas: Schemas,
}

impl LineReader {
    /// A reader that keeps, of each lightcurve point's `fields`, only the fields named; the
    /// others are skipped unread (no number parsed, no string copied, nothing kept). A stage
    /// that reads a few fields of every point of ten thousand lines a batch (lasair-filter's
    /// features) reads a line several times faster this way; everything else of the line is
    /// read as [`LineReader::default`] reads it, and a line is refused for the same reasons.
    pub fn keeping_point_fields(names: &'static [&'static str]) -> LineReader {
        LineReader {
            schemas: Schemas {
                keep: Some(Arc::new(Keep::new(names))),
                ..Schemas::default()
            },
        }
    }

    /// Reads one JSON alert line (without its newline).
    pub fn read(&mut self, line: &[u8]) -> Result<AlertLine, JsonAlertError> {
        match self.schemas.keep.clone() {
            Some(keep) => self.read_keeping(line, &keep),
            None => read_with(line, &mut self.schemas),
        }
    }

    /// The keeping reader's read: the fast path (`fast.rs`) for a line it takes, else the
    /// serde path, and then the whole line checked as JSON by the scanner, so that a line
    /// is refused when any part of it is not JSON, even a part the serde path skips.
    fn read_keeping(&mut self, line: &[u8], keep: &Keep) -> Result<AlertLine, JsonAlertError> {
        let text = utf8(line)?;
        if self.schemas.known.len() > MAX_SCHEMAS {
            self.schemas.known.clear();
        }
        if let Ok(top) = fast::read_line(text, &mut self.schemas, keep) {
            return top.into_line();
        }
        let read = read_with(line, &mut self.schemas)?;
        scan::validate(text).map_err(|bad| JsonAlertError::Syntax(bad.to_string()))?;
        Ok(read)
    }

    /// Reads one JSON object into a [`Record`]: a lightcurve point's `fields` as the
    /// lightcurve store keeps them.
    pub fn read_record(&mut self, json: &[u8]) -> Result<Record, JsonAlertError> {
        if self.schemas.known.len() > MAX_SCHEMAS {
            self.schemas.known.clear();
        }
        let mut de = serde_json::Deserializer::from_str(utf8(json)?);
        let datum = DatumSeed(&mut self.schemas)
            .deserialize(&mut de)
            .and_then(|d| de.end().map(|()| d))
            .map_err(|e| JsonAlertError::Syntax(e.to_string()))?;
        match datum {
            Datum::Record(r) => Ok(r),
            _ => Err(JsonAlertError::Shape("not a JSON object".into())),
        }
    }
}

/// More record types than this and the reader starts afresh (a stream of odd lines).
const MAX_SCHEMAS: usize = 64;

fn read_with(line: &[u8], schemas: &mut Schemas) -> Result<AlertLine, JsonAlertError> {
    if schemas.known.len() > MAX_SCHEMAS {
        schemas.known.clear();
    }
    let mut de = serde_json::Deserializer::from_str(utf8(line)?);
    let top = LineSeed(schemas)
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| {
            if e.is_data() {
                JsonAlertError::Shape(e.to_string())
            } else {
                JsonAlertError::Syntax(e.to_string())
            }
        })?;
    top.into_line()
}

/// The line as text: checked once as a whole, so serde_json checks no string of it again
/// (the keys, read as bytes, would otherwise go unchecked).
fn utf8(line: &[u8]) -> Result<&str, JsonAlertError> {
    std::str::from_utf8(line).map_err(|e| JsonAlertError::Syntax(format!("not UTF-8: {e}")))
}

/// The top-level keys as read, before they are checked.
#[derive(Default)]
struct Top {
    survey: Option<String>,
    object_id: Option<String>,
    source_id: Option<i64>,
    ra: Option<f64>,
    dec: Option<f64>,
    mjd: Option<f64>,
    band: Option<String>,
    solar_system: Option<bool>,
    ss_name: Option<String>,
    envelope: Option<Record>,
    lightcurve: Vec<Point>,
    extra: Map<String, Value>,
}

impl Top {
    fn into_line(self) -> Result<AlertLine, JsonAlertError> {
        let shape = |what: &str| JsonAlertError::Shape(what.to_owned());
        let survey: Survey = self
            .survey
            .ok_or_else(|| shape("no string `survey`"))?
            .parse()
            .map_err(|e: UnknownSurvey| JsonAlertError::Shape(e.to_string()))?;
        let finite = |v: Option<f64>, key: &str| {
            v.filter(|v| v.is_finite())
                .ok_or_else(|| shape(&format!("no number `{key}`")))
        };
        let alert = Alert {
            survey,
            object_id: ObjectId(
                self.object_id
                    .ok_or_else(|| shape("no string `objectId`"))?,
            ),
            source_id: self
                .source_id
                .ok_or_else(|| shape("no integer `sourceId`"))?,
            ra: finite(self.ra, "ra")?,
            dec: finite(self.dec, "dec")?,
            mjd: finite(self.mjd, "mjd")?,
            band: self.band.unwrap_or_default(),
            solar_system: self.solar_system.unwrap_or(false),
            ss_name: self.ss_name,
            envelope: self.envelope.unwrap_or_else(|| Record {
                schema: RecordNode::dynamic("alert", Vec::new()),
                values: Vec::new(),
            }),
            lightcurve: self.lightcurve,
            cutouts: Vec::new(),
        };
        crate::check_line(
            Some(survey),
            Some(&alert.object_id.0),
            alert.ra,
            alert.dec,
            Some(alert.mjd),
        )
        .map_err(|e| JsonAlertError::Shape(e.to_string()))?;
        if let Some(p) = alert
            .lightcurve
            .iter()
            .find(|p| !crate::survey::check::MJD_RANGE.contains(&p.mjd))
        {
            return Err(shape(&format!(
                "a lightcurve point at MJD {}, not an exposure's time",
                p.mjd
            )));
        }
        // Sherlock's context, when there, is an object (a later stage reads it as one).
        if let Some(s) = self
            .extra
            .get("sherlock")
            .filter(|s| !s.is_object() && !s.is_null())
        {
            return Err(shape(&format!("`sherlock` is {s}, not an object")));
        }
        Ok(AlertLine {
            alert,
            extra: self.extra,
        })
    }
}

/// The record types met (their field lists), and which fields of a point's record to keep
/// (all when `None`).
#[derive(Debug, Default)]
struct Schemas {
    known: Vec<Arc<RecordNode>>,
    keep: Option<Arc<Keep>>,
}

/// The fields of a point's record to keep, by length: a key is compared only with the names
/// of its own length (one or two of a dozen), as every key of every point is looked up.
#[derive(Debug)]
struct Keep {
    /// The names, shortest first.
    names: Box<[&'static str]>,
    /// `names[starts[n]..starts[n + 1]]` are those of length `n`; the last range holds every
    /// name of `LONG` bytes or more.
    starts: [usize; LONG + 2],
    /// For each length (as `starts` counts them), the first bytes of the names of that
    /// length, a bit each: most keys are refused by this one test.
    firsts: Box<[[u64; 4]; LONG + 1]>,
}

/// Names this long or longer share one range of [`Keep`].
const LONG: usize = 64;

impl Keep {
    fn new(names: &'static [&'static str]) -> Keep {
        let class = |n: &str| n.len().min(LONG);
        let mut sorted = names.to_vec();
        sorted.sort_by_key(|n| class(n));
        let mut starts = [0; LONG + 2];
        for (i, start) in starts.iter_mut().enumerate() {
            *start = sorted.iter().take_while(|n| class(n) < i).count();
        }
        let mut firsts = Box::new([[0u64; 4]; LONG + 1]);
        for name in names {
            if let Some(&b) = name.as_bytes().first() {
                firsts[class(name)][usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        Keep {
            names: sorted.into_boxed_slice(),
            starts,
            firsts,
        }
    }

    /// Whether the key is one of the names.
    #[inline]
    fn keeps(&self, key: &[u8]) -> bool {
        let n = key.len().min(LONG);
        if let Some(&b) = key.first() {
            if self.firsts[n][usize::from(b >> 6)] & (1 << (b & 63)) == 0 {
                return false;
            }
        }
        // Byte by byte: the names are short, and a call to memcmp costs more than this.
        self.names[self.starts[n]..self.starts[n + 1]]
            .iter()
            .any(|name| name.len() == key.len() && name.bytes().zip(key).all(|(a, b)| a == *b))
    }
}

impl Schemas {
    /// The type with exactly these field names, made when new.
    fn for_names(&mut self, names: &[Arc<str>]) -> Arc<RecordNode> {
        if let Some(s) = self.known.iter().find(|s| *s.field_names == *names) {
            return s.clone();
        }
        let node = RecordNode::dynamic("record", names.to_vec());
        self.known.push(node.clone());
        node
    }
}

struct LineSeed<'s>(&'s mut Schemas);

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = Top;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object (an alert line)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut top = Top::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
                b"survey" => top.survey = Some(map.next_value()?),
                b"objectId" => top.object_id = Some(map.next_value()?),
                b"sourceId" => top.source_id = map.next_value()?,
                b"ra" => top.ra = map.next_value()?,
                b"dec" => top.dec = map.next_value()?,
                b"mjd" => top.mjd = map.next_value()?,
                b"band" => top.band = map.next_value()?,
                b"solarSystem" => top.solar_system = map.next_value()?,
                b"ssName" => top.ss_name = map.next_value()?,
                // The trigger's record is also in the lightcurve.
                b"detection" => {
                    map.next_value::<IgnoredAny>()?;
                }
                b"alert" => match map.next_value_seed(DatumSeed(self.0))? {
                    Datum::Record(r) => top.envelope = Some(r),
                    _ => return Err(serde::de::Error::custom("`alert` is not an object")),
                },
                b"lightcurve" => top.lightcurve = map.next_value_seed(PointsSeed(self.0))?,
                _ => {
                    let value: Value = map.next_value()?;
                    top.extra.insert(key.text()?.to_owned(), value);
                }
            }
        }
        Ok(top)
    }
}

/// A key or short string as its bytes (UTF-8 is checked only where it is kept as text),
/// borrowed from the line when it has no escapes (most do not).
struct Key<'de>(std::borrow::Cow<'de, [u8]>);

impl Key<'_> {
    /// The key as text, or the error of a key that is not UTF-8.
    fn text<E: serde::de::Error>(&self) -> Result<&str, E> {
        std::str::from_utf8(&self.0).map_err(|_| E::custom("a key that is not UTF-8"))
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.as_bytes().to_owned())))
            }
        }
        // As bytes: serde_json then reads a string without checking it is UTF-8.
        d.deserialize_bytes(KeyVisitor)
    }
}

struct PointsSeed<'s>(&'s mut Schemas);

impl<'de> DeserializeSeed<'de> for PointsSeed<'_> {
    type Value = Vec<Point>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Point>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PointsSeed<'_> {
    type Value = Vec<Point>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of lightcurve points")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Point>, A::Error> {
        let mut points = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(p) = seq.next_element_seed(PointSeed(&mut *self.0))? {
            points.push(p);
        }
        Ok(points)
    }
}

struct PointSeed<'s>(&'s mut Schemas);

impl<'de> DeserializeSeed<'de> for PointSeed<'_> {
    type Value = Point;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Point, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PointSeed<'_> {
    type Value = Point;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lightcurve point object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Point, A::Error> {
        use serde::de::Error;
        let mut p = PointParts::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
                b"kind" => {
                    let k: Key<'de> = map.next_value()?;
                    p.kind = Some(
                        PointKind::ALL
                            .into_iter()
                            .find(|c| c.as_str().as_bytes() == &*k.0)
                            .ok_or_else(|| {
                                A::Error::custom(format!(
                                    "unknown point kind {:?}",
                                    String::from_utf8_lossy(&k.0)
                                ))
                            })?,
                    );
                }
                b"id" => p.id = Some(map.next_value::<i64>()?),
                b"mjd" => p.mjd = Some(map.next_value::<f64>()?),
                b"band" => p.band = map.next_value()?,
                b"mag" => p.mag = map.next_value()?,
                b"magErr" => p.mag_err = map.next_value()?,
                b"flux" => p.flux = map.next_value()?,
                b"fluxErr" => p.flux_err = map.next_value()?,
                b"fields" => {
                    let keep = self.0.keep.clone();
                    match map.next_value_seed(RecordSeed(&mut *self.0, keep))? {
                        Datum::Record(r) => p.fields = Some(r),
                        _ => return Err(A::Error::custom("a point's `fields` is not an object")),
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        p.finish(self.0).map_err(A::Error::custom)
    }
}

/// A lightcurve point's keys as read (by either reader), before they are checked.
#[derive(Default)]
struct PointParts {
    kind: Option<PointKind>,
    id: Option<i64>,
    mjd: Option<f64>,
    band: String,
    mag: Option<f64>,
    mag_err: Option<f64>,
    flux: Option<f64>,
    flux_err: Option<f64>,
    fields: Option<Record>,
}

impl PointParts {
    /// The point, or which key it lacks.
    fn finish(self, schemas: &mut Schemas) -> Result<Point, &'static str> {
        Ok(Point {
            kind: self.kind.ok_or("a point without `kind`")?,
            id: self.id.ok_or("a point without an integer `id`")?,
            mjd: self.mjd.ok_or("a point without `mjd`")?,
            band: self.band,
            mag: self.mag,
            mag_err: self.mag_err,
            flux: self.flux,
            flux_err: self.flux_err,
            rank: 0,
            fields: self.fields.unwrap_or_else(|| Record {
                schema: schemas.for_names(&[]),
                values: Vec::new(),
            }),
        })
    }
}

/// Any JSON value as a [`Datum`]; objects become records of an interned type.
struct DatumSeed<'s>(&'s mut Schemas);

impl<'de> DeserializeSeed<'de> for DatumSeed<'_> {
    type Value = Datum;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DatumSeed<'_> {
    type Value = Datum;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }
    fn visit_none<E>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Datum, E> {
        Ok(Datum::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Datum, E> {
        Ok(Datum::Long(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Datum, E> {
        Ok(i64::try_from(v).map_or(Datum::Double(v as f64), Datum::Long))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Datum, E> {
        Ok(Datum::Double(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Datum, E> {
        Ok(Datum::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Datum, E> {
        Ok(Datum::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Datum, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(d) = seq.next_element_seed(DatumSeed(&mut *self.0))? {
            items.push(d);
        }
        Ok(Datum::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Datum, A::Error> {
        read_record(self.0, map, None)
    }
}

/// A JSON object as a [`Datum::Record`] of only the keys named (every key when `None`); any
/// other JSON value as [`DatumSeed`] reads it.
struct RecordSeed<'s>(&'s mut Schemas, Option<Arc<Keep>>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Datum;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        match self.1 {
            None => d.deserialize_any(DatumSeed(self.0)),
            Some(_) => d.deserialize_map(self),
        }
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Datum;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Datum, A::Error> {
        read_record(self.0, map, self.1.as_deref())
    }
}

/// A JSON object read as a record of an interned type: of the keys `keep` names (all when
/// `None`), the others' values skipped unread.
fn read_record<'de, A: MapAccess<'de>>(
    schemas: &mut Schemas,
    mut map: A,
    keep: Option<&Keep>,
) -> Result<Datum, A::Error> {
    let mut record = RecordBuilder::new(schemas);
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if keep.is_some_and(|keep| !keep.keeps(&key.0)) {
            map.next_value::<IgnoredAny>()?;
            continue;
        }
        record.key(&schemas.known, &key.0)?;
        record
            .values
            .push(map.next_value_seed(DatumSeed(&mut *schemas))?);
    }
    Ok(Datum::Record(record.finish(schemas)))
}

/// A record's values as its keys come, and its type: the first known type whose names the
/// keys match so far is followed, and only a record of a new shape collects its names.
struct RecordBuilder {
    candidate: Option<Arc<RecordNode>>,
    names: Vec<Arc<str>>,
    values: Vec<Datum>,
}

impl RecordBuilder {
    fn new(schemas: &Schemas) -> RecordBuilder {
        RecordBuilder {
            candidate: schemas.known.first().cloned(),
            names: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Takes the key of the value pushed next; refuses a new name that is not UTF-8.
    fn key<E: serde::de::Error>(&mut self, known: &[Arc<RecordNode>], key: &[u8]) -> Result<(), E> {
        let i = self.values.len();
        let matches =
            |s: &Arc<RecordNode>| s.field_names.get(i).is_some_and(|n| n.as_bytes() == key);
        if self.candidate.as_ref().is_some_and(|s| !matches(s)) {
            // Another known type with the same first i names and this one?
            let candidate = &self.candidate;
            let prefix = |s: &&Arc<RecordNode>| {
                s.field_names.len() > i
                    && candidate
                        .as_ref()
                        .is_some_and(|c| c.field_names[..i] == s.field_names[..i])
                    && s.field_names[i].as_bytes() == key
            };
            let next = known.iter().find(prefix).cloned();
            if next.is_none() {
                self.names = candidate
                    .as_ref()
                    .map(|c| c.field_names[..i].to_vec())
                    .unwrap_or_default();
            }
            self.candidate = next;
        }
        if self.candidate.is_none() {
            let text =
                std::str::from_utf8(key).map_err(|_| E::custom("a key that is not UTF-8"))?;
            self.names.push(Arc::from(text));
        }
        Ok(())
    }

    fn finish(self, schemas: &mut Schemas) -> Record {
        let schema = match self.candidate {
            Some(s) if s.field_names.len() == self.values.len() => s,
            Some(s) => schemas.for_names(&s.field_names[..self.values.len()]),
            None => schemas.for_names(&self.names),
        };
        Record {
            schema,
            values: self.values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_an_alert() {
        assert!(matches!(
            read_alert_line(b"{not json"),
            Err(JsonAlertError::Syntax(_))
        ));
        let err = read_alert_line(br#"{"survey":"ztf","objectId":"ZTF1"}"#).unwrap_err();
        assert!(err.to_string().contains("sourceId"), "{err}");
        let err = read_alert_line(br#"{"survey":"hsc"}"#).unwrap_err();
        assert!(err.to_string().contains("hsc"), "{err}");
        let err = read_alert_line(b"[1,2]").unwrap_err();
        assert!(err.to_string().contains("object"), "{err}");
        let err = read_alert_line(br#"{"survey":"ztf"} trailing"#).unwrap_err();
        assert!(matches!(err, JsonAlertError::Syntax(_)), "{err}");
    }

    #[test]
    fn a_line_that_is_not_utf8_is_refused_wherever_the_bytes_are() {
        let good = br#"{"survey":"ztf","objectId":"ZTF1","sourceId":5,"ra":1.0,"dec":2.0,"mjd":59000.0,"x":1}"#;
        assert!(read_alert_line(good).is_ok());
        // In a key the reader never keeps, and in a value.
        for at in [good.len() - 5, good.len() - 4] {
            let mut bad = good.to_vec();
            bad[at] = 0xff;
            let err = read_alert_line(&bad).unwrap_err();
            assert!(
                matches!(&err, JsonAlertError::Syntax(m) if m.contains("UTF-8")),
                "{err}"
            );
        }
    }

    #[test]
    fn a_reader_keeping_some_point_fields_drops_only_the_others() {
        let line = br#"{"survey":"ztf","objectId":"ZTF1","sourceId":5,"ra":1.0,"dec":2.0,"mjd":59000.0,
            "alert":{"candid":5,"schemavsn":"4.02"},
            "lightcurve":[
              {"kind":"detection","id":5,"mjd":59000.0,"band":"g","mag":18.5,
               "fields":{"jd":2459000.5,"rbversion":"t17","\u006ab":1,"rb":0.9,"nested":{"a":[1,2]}}},
              {"kind":"nondetection","id":4,"mjd":58999.0,"band":"r","fields":{"diffmaglim":20.1}}],
            "sherlock":{"classification":"SN"}}"#;
        let whole = read_alert_line(line).unwrap();
        let some = LineReader::keeping_point_fields(&["jd", "rb", "jb"])
            .read(line)
            .unwrap();
        let fields = |l: &AlertLine| -> Vec<String> {
            l.alert
                .lightcurve
                .iter()
                .map(|p| p.fields.to_json())
                .collect()
        };
        assert_eq!(
            fields(&some),
            [r#"{"jd":2459000.5,"jb":1,"rb":0.9}"#, "{}"],
            "an escaped key is matched as the name it spells"
        );
        assert_eq!(whole.alert.lightcurve[0].fields.values.len(), 5);
        // Everything but the points' fields is read as the whole reader reads it.
        assert_eq!(
            some.alert.envelope.to_json(),
            whole.alert.envelope.to_json()
        );
        assert_eq!(some.extra, whole.extra);
        assert_eq!(some.alert.lightcurve.len(), 2);
        assert_eq!(some.alert.lightcurve[0].mag, Some(18.5));
        // A bad point is refused just the same.
        let bad =
            String::from_utf8_lossy(line).replace("\"kind\":\"nondetection\"", "\"kind\":\"x\"");
        assert!(LineReader::keeping_point_fields(&["jd"])
            .read(bad.as_bytes())
            .is_err());
    }

    #[test]
    fn keep_finds_each_name_of_any_length_and_nothing_else() {
        let long: &'static str = Box::leak("x".repeat(70).into_boxed_str());
        let names: &'static [&'static str] =
            Box::leak(vec!["jd", "ra", "fid", "magpsf", long, "sgscore1", "é~"].into_boxed_slice());
        let keep = Keep::new(names);
        for n in names {
            assert!(keep.keeps(n.as_bytes()), "{n}");
        }
        for other in [
            "",
            "j",
            "jdx",
            "dec",
            "magpsg",
            // A name's first byte and length, another name.
            "je",
            "rd",
            "fix",
            "é!",
            "~é",
            &"x".repeat(64),
            &"x".repeat(71),
        ] {
            assert!(!keep.keeps(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn a_record_is_read_from_a_json_object_and_nothing_else() {
        let mut reader = LineReader::default();
        let r = reader
            .read_record(br#"{"jd":2459000.5,"fid":1,"isdiffpos":"t","x":null}"#)
            .unwrap();
        assert_eq!(r.f64("jd"), Some(2459000.5));
        assert_eq!(r.i64("fid"), Some(1));
        assert_eq!(r.str("isdiffpos"), Some("t"));
        assert!(r.get("x").is_some_and(Datum::is_null));
        for bad in [&b"[1]"[..], b"3", b"{\"a\":1} x", b"{"] {
            assert!(reader.read_record(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn records_of_several_shapes_keep_their_own_names() {
        let line = br#"{"survey":"ztf","objectId":"ZTF1","sourceId":5,"ra":1.0,"dec":2.0,"mjd":3.0,
            "lightcurve":[
              {"kind":"detection","id":5,"mjd":3.0,"band":"g","fields":{"a":1,"b":"x","c":2.5}},
              {"kind":"nondetection","id":4,"mjd":2.0,"band":"r","fields":{"a":2,"d":null}},
              {"kind":"detection","id":3,"mjd":1.0,"band":"g","fields":{"a":3,"b":"y"}},
              {"kind":"detection","id":2,"mjd":0.5,"band":"g","fields":{"a":4,"b":"z","c":1.5}}],
            "sherlock":{"classification":"SN"}}"#;
        let line = read_alert_line(line).unwrap();
        let fields: Vec<String> = line
            .alert
            .lightcurve
            .iter()
            .map(|p| p.fields.to_json())
            .collect();
        assert_eq!(
            fields,
            [
                r#"{"a":1,"b":"x","c":2.5}"#,
                r#"{"a":2,"d":null}"#,
                r#"{"a":3,"b":"y"}"#,
                r#"{"a":4,"b":"z","c":1.5}"#
            ]
        );
        assert_eq!(line.alert.lightcurve[1].fields.i64("a"), Some(2));
        assert_eq!(line.alert.lightcurve[2].fields.get("c"), None);
        assert_eq!(line.extra["sherlock"]["classification"], "SN");
        assert!(line.alert.trigger().is_some());
    }
}

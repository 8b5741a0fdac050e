//! The keeping reader's fast path: a line walked with the validating scanner, its points'
//! unkept fields and the `detection` record skipped by scanning (still checked as JSON)
//! rather than through serde_json's visitors. Each value kept is handed to serde_json as
//! its own small text, so it is read exactly as the serde path reads it. Anything unusual
//! (an escaped key, a point whose `fields` is not an object, a value of the wrong type) makes
//! it give up, and the line is read by the serde path instead, which gives the error.

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde_json::Value;

use super::scan::{Bad, Scan};
use super::{DatumSeed, Keep, PointParts, RecordBuilder, Schemas, Top};
use crate::avro::{Datum, Record};
use crate::model::{Point, PointKind};

/// Reads a line (already checked as UTF-8) keeping the point fields `keep` names; `Err`
/// when the line is not JSON or is beyond the fast path.
pub(super) fn read_line(text: &str, schemas: &mut Schemas, keep: &Keep) -> Result<Top, Bad> {
    let mut s = Scan::new(text);
    let mut top = Top::default();
    s.eat(b'{')?;
    if !s.eat_if(b'}') {
        loop {
            let key = s.key()?;
            match key {
                b"survey" => top.survey = Some(parse(&mut s, 1)?),
                b"objectId" => top.object_id = Some(parse(&mut s, 1)?),
                b"sourceId" => top.source_id = parse(&mut s, 1)?,
                b"ra" => top.ra = parse(&mut s, 1)?,
                b"dec" => top.dec = parse(&mut s, 1)?,
                b"mjd" => top.mjd = parse(&mut s, 1)?,
                b"band" => top.band = parse(&mut s, 1)?,
                b"solarSystem" => top.solar_system = parse(&mut s, 1)?,
                b"ssName" => top.ss_name = parse(&mut s, 1)?,
                // The trigger's record is also in the lightcurve.
                b"detection" => s.skip(1)?,
                b"alert" => match datum(&mut s, 1, schemas)? {
                    Datum::Record(r) => top.envelope = Some(r),
                    _ => return Err(give_up(&s, "`alert` is not an object")),
                },
                b"lightcurve" => top.lightcurve = points(&mut s, schemas, keep)?,
                _ => {
                    let value: Value = parse(&mut s, 1)?;
                    let key = std::str::from_utf8(key).map_err(|_| give_up(&s, "a key"))?;
                    top.extra.insert(key.to_owned(), value);
                }
            }
            if !s.more(b'}')? {
                break;
            }
        }
    }
    s.end()?;
    Ok(top)
}

fn give_up(s: &Scan, what: &'static str) -> Bad {
    Bad { at: s.at, what }
}

/// The next value (`depth` containers deep), read as serde_json reads it as a `T`.
#[inline]
fn parse<T: DeserializeOwned + Simple>(s: &mut Scan, depth: usize) -> Result<T, Bad> {
    let (span, simple) = scalar(s, depth)?;
    let bad = || Bad {
        at: span.0,
        what: "a value of another type",
    };
    match simple {
        Some(d) => T::from_datum(d).ok_or_else(bad),
        None => serde_json::from_str(s.slice(span)).map_err(|_| bad()),
    }
}

/// A type read from a [`Datum`] as serde_json reads it from the JSON the datum came from;
/// `None` when serde_json would refuse it.
trait Simple: Sized {
    fn from_datum(d: Datum) -> Option<Self>;
}

impl Simple for f64 {
    fn from_datum(d: Datum) -> Option<f64> {
        match d {
            Datum::Double(v) => Some(v),
            Datum::Long(v) => Some(v as f64),
            _ => None,
        }
    }
}

impl Simple for i64 {
    fn from_datum(d: Datum) -> Option<i64> {
        match d {
            Datum::Long(v) => Some(v),
            _ => None,
        }
    }
}

impl Simple for bool {
    fn from_datum(d: Datum) -> Option<bool> {
        match d {
            Datum::Bool(v) => Some(v),
            _ => None,
        }
    }
}

impl Simple for String {
    fn from_datum(d: Datum) -> Option<String> {
        match d {
            Datum::String(v) => Some(v),
            _ => None,
        }
    }
}

impl Simple for Value {
    fn from_datum(d: Datum) -> Option<Value> {
        match d {
            Datum::Null => Some(Value::Null),
            Datum::Bool(v) => Some(Value::Bool(v)),
            Datum::Long(v) => Some(Value::from(v)),
            Datum::Double(v) => serde_json::Number::from_f64(v).map(Value::Number),
            Datum::String(v) => Some(Value::String(v)),
            _ => None,
        }
    }
}

impl<T: Simple> Simple for Option<T> {
    fn from_datum(d: Datum) -> Option<Option<T>> {
        match d {
            Datum::Null => Some(None),
            d => T::from_datum(d).map(Some),
        }
    }
}

/// The next value (`depth` containers deep) as a [`Datum`], as the serde path reads it.
#[inline]
fn datum(s: &mut Scan, depth: usize, schemas: &mut Schemas) -> Result<Datum, Bad> {
    let (span, simple) = scalar(s, depth)?;
    if let Some(d) = simple {
        return Ok(d);
    }
    let mut de = serde_json::Deserializer::from_str(s.slice(span));
    DatumSeed(schemas)
        .deserialize(&mut de)
        .and_then(|d| de.end().map(|()| d))
        .map_err(|_| Bad {
            at: span.0,
            what: "a value serde_json refuses",
        })
}

/// The next value (`depth` containers deep), scanned: where it is, and the scalar as
/// serde_json reads it into a [`Datum`] (see `DatumSeed`) when it is one of the common
/// forms: a string without escapes, `null`, a boolean, or a number (std's parsing of an
/// `f64` is correctly rounded, as serde_json's is with `float_roundtrip`). `None` leaves
/// the value to serde_json.
#[inline]
fn scalar(s: &mut Scan, depth: usize) -> Result<((usize, usize), Option<Datum>), Bad> {
    let first = s.peek();
    let from = s.at;
    let simple = match first {
        Some(b'"') => {
            s.at += 1;
            let escaped = s.string_body()?;
            let inner = s.slice((from + 1, s.at - 1));
            (!escaped).then(|| Datum::String(inner.to_owned()))
        }
        Some(b'-' | b'0'..=b'9') => {
            let float = s.number()?;
            number(s.slice((from, s.at)), float)
        }
        Some(b'n') => {
            s.literal(b"null")?;
            Some(Datum::Null)
        }
        _ => {
            let span = s.value(depth)?;
            let simple = match s.slice(span).as_bytes().first() {
                Some(b'n') => Some(Datum::Null),
                Some(b't') => Some(Datum::Bool(true)),
                Some(b'f') => Some(Datum::Bool(false)),
                _ => None,
            };
            return Ok((span, simple));
        }
    };
    Ok(((from, s.at), simple))
}

/// A number the scanner took (`float` when it has a fraction or an exponent) as serde_json
/// reads it into a [`Datum`]; `None` for one left to serde_json.
#[inline]
fn number(text: &str, float: bool) -> Option<Datum> {
    if float {
        text.parse().ok().map(Datum::Double)
    } else if text.starts_with('-') {
        // serde_json reads `-0` as a float; leave it to serde_json.
        text.parse::<i64>()
            .ok()
            .filter(|&v| v != 0)
            .map(Datum::Long)
    } else {
        text.parse::<i64>().ok().map(Datum::Long)
    }
}

fn points(s: &mut Scan, schemas: &mut Schemas, keep: &Keep) -> Result<Vec<Point>, Bad> {
    let mut points = Vec::new();
    s.eat(b'[')?;
    if s.eat_if(b']') {
        return Ok(points);
    }
    loop {
        points.push(point(s, schemas, keep)?);
        if !s.more(b']')? {
            return Ok(points);
        }
    }
}

/// A lightcurve point (in the line's `lightcurve`, three containers deep).
fn point(s: &mut Scan, schemas: &mut Schemas, keep: &Keep) -> Result<Point, Bad> {
    const DEPTH: usize = 3;
    let mut p = PointParts::default();
    s.eat(b'{')?;
    if !s.eat_if(b'}') {
        loop {
            match s.key()? {
                b"kind" => p.kind = Some(point_kind(s)?),
                b"id" => p.id = Some(parse(s, DEPTH)?),
                b"mjd" => p.mjd = Some(parse(s, DEPTH)?),
                b"band" => p.band = parse(s, DEPTH)?,
                b"mag" => p.mag = parse(s, DEPTH)?,
                b"magErr" => p.mag_err = parse(s, DEPTH)?,
                b"flux" => p.flux = parse(s, DEPTH)?,
                b"fluxErr" => p.flux_err = parse(s, DEPTH)?,
                b"fields" => p.fields = Some(record(s, DEPTH, schemas, keep)?),
                _ => s.skip(DEPTH)?,
            }
            if !s.more(b'}')? {
                break;
            }
        }
    }
    p.finish(schemas).map_err(|what| give_up(s, what))
}

/// A point's `kind`, a string without escapes naming one of [`PointKind::ALL`].
fn point_kind(s: &mut Scan) -> Result<PointKind, Bad> {
    let unknown = |s: &Scan| give_up(s, "a point's `kind`");
    if s.peek() != Some(b'"') {
        return Err(unknown(s));
    }
    let (from, to) = s.value(0)?;
    let name = s.slice((from + 1, to - 1));
    PointKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| unknown(s))
}

/// A point's `fields` object: of its keys, those `keep` names, the others skipped.
fn record(s: &mut Scan, depth: usize, schemas: &mut Schemas, keep: &Keep) -> Result<Record, Bad> {
    let depth = depth + 1;
    if s.peek() != Some(b'{') {
        return Err(give_up(s, "a point's `fields` that is not an object"));
    }
    s.eat(b'{')?;
    let mut record = RecordBuilder::new(schemas);
    if !s.eat_if(b'}') {
        loop {
            let key = s.key()?;
            if keep.keeps(key) {
                record
                    .key::<serde_json::Error>(&schemas.known, key)
                    .map_err(|_| give_up(s, "a key"))?;
                let value = datum(s, depth, schemas)?;
                record.values.push(value);
            } else {
                s.skip(depth)?;
            }
            if !s.more(b'}')? {
                break;
            }
        }
    }
    Ok(record.finish(schemas))
}

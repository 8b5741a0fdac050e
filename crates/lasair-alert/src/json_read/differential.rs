//! The keeping reader against serde_json and the whole reader on many broken lines: real
//! alert lines (and one made here, so the test runs without ../shared/data) with a byte
//! deleted, replaced or inserted at many places, cut short, or with a value made a bad
//! number, a bad escape or a control character. The keeping reader must accept a line
//! exactly when serde_json reads it as a `Value` and the whole reader accepts it, and then
//! give the whole reader's alert with only the kept point fields.

use super::*;
use crate::{AlertJson, Decoder, Survey};

const KEEP: &[&str] = &["jd", "fid", "magpsf", "isdiffpos", "ssnamenr", "rb", "x"];

/// A line with every kind of JSON value, escapes, whitespace, and a `detection` to skip.
const MADE: &str = r#"{"survey":"ztf","objectId":"ZTF21abcdefg","sourceId":17,"ra":10.5,"dec":-20.25,"mjd":59000.5,"band":"g","solarSystem":false,"ssName":null,
 "detection":{"jd":2459001.0,"s":"a\"b\\c\/\u00e9\ud83d\ude00\n","n":[1,-2,3.5e-3,0,-0.0,{"a":[]}],"t":true,"f":null},
 "alert":{"candid":17,"schemavsn":"4.02","list":[1,"x",null]},
 "lightcurve":[{"kind":"detection","id":17,"mjd":59000.5,"band":"g","mag":18.5,"magErr":0.1,"other":{"q":[1,2]},
   "fields":{"jd":2459001.0,"fid":1,"pid":123,"magpsf":18.5,"sigmapsf":1E-2,"isdiffpos":"t","nested":{"a":[true,false,null]},"rb":0.75,"ssnamenr":null,"x":[1,{"y":"z"}],"e":"\t"}},
  {"kind":"nondetection","id":16,"mjd":58999.5,"band":"r","fields":{"jd":2459000.0,"diffmaglim":20.5,"fid":2}},
  {"kind":"forced","id":15,"mjd":58998.5,"band":"g","flux":-12.5,"fluxErr":3,"fields":{}}],
 "cutouts":{},"sherlock":{"classification":"SN","z":0.01}}"#;

/// The lines to break: the one made here and a few real alerts of each survey.
fn lines() -> Vec<Vec<u8>> {
    let mut lines = vec![MADE.replace('\n', "").into_bytes()];
    for (survey, rel) in [(Survey::Ztf, "ztf/alerts"), (Survey::Lsst, "lsst/alerts")] {
        let Some(dir) = lasair_testdata::shared_data(rel) else {
            continue;
        };
        let decoder = Decoder::new(survey, None);
        let files = lasair_testdata::avro_files(&dir);
        let alerts = files
            .iter()
            .filter_map(|f| std::fs::read(f).ok())
            .flat_map(|bytes| decoder.decode(&bytes))
            .filter_map(Result::ok)
            .take(2);
        lines.extend(alerts.map(|a| AlertJson::new(&a, Default::default()).to_line()));
    }
    lines
}

/// The whole reader's alert with each point's fields cut to the kept names, as text.
fn kept_of(whole: &AlertLine) -> String {
    let mut alert = whole.alert.clone();
    for p in &mut alert.lightcurve {
        let (names, values): (Vec<Arc<str>>, Vec<Datum>) = p
            .fields
            .schema
            .field_names
            .iter()
            .zip(&p.fields.values)
            .filter(|(n, _)| KEEP.contains(&&***n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .unzip();
        p.fields = Record {
            schema: RecordNode::dynamic("record", names),
            values,
        };
    }
    format!("{alert:?} {:?}", whole.extra)
}

/// Checks one line; returns whether the keeping reader accepted it.
fn check(line: &[u8], keeping: &mut LineReader) -> bool {
    let json = serde_json::from_slice::<Value>(line).is_ok();
    let kept = keeping.read(line);
    let shown = || String::from_utf8_lossy(line).into_owned();
    // A line that is not JSON must be refused, whatever the whole reader says (it is read
    // only to show it, should the keeping reader accept the line).
    if !json && kept.is_err() {
        return false;
    }
    let whole = LineReader::default().read(line);
    assert_eq!(
        kept.is_ok(),
        json && whole.is_ok(),
        "JSON {json}, whole {:?}, keeping {:?}: {}",
        whole.as_ref().err(),
        kept.as_ref().err(),
        shown()
    );
    if let (Ok(kept), Ok(whole)) = (&kept, &whole) {
        assert_eq!(
            format!("{:?} {:?}", kept.alert, kept.extra),
            kept_of(whole),
            "{}",
            shown()
        );
    }
    kept.is_ok()
}

/// The line with `bytes` put in place of `len` bytes at `at`.
fn splice(line: &[u8], at: usize, len: usize, bytes: &[u8]) -> Vec<u8> {
    let mut out = line[..at].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&line[(at + len).min(line.len())..]);
    out
}

#[test]
fn the_keeping_reader_accepts_what_serde_json_and_the_whole_reader_accept() {
    let mut keeping = LineReader::keeping_point_fields(KEEP);
    let (mut accepted, mut refused) = (0, 0);
    let mut tally = |ok: bool| {
        if ok {
            accepted += 1
        } else {
            refused += 1
        }
    };
    for line in lines() {
        let text = std::str::from_utf8(&line).expect("a line is UTF-8");
        // The line itself takes the fast path, or this test would test only the serde one.
        let mut schemas = Schemas::default();
        let keep = Keep::new(KEEP);
        assert!(fast::read_line(text, &mut schemas, &keep).is_ok(), "{text}");
        assert!(check(&line, &mut keeping));
        // Every place in the made line; 150 places spread over a real one.
        let step = (line.len() / 150).max(1);
        for at in (0..line.len()).step_by(step) {
            tally(check(&line[..at], &mut keeping));
            tally(check(&splice(&line, at, 1, b""), &mut keeping));
            for b in [
                b'"', b'\\', b'{', b']', b',', b':', b'0', b'.', b'-', b'e', b'x', 1, b' ',
            ] {
                tally(check(&splice(&line, at, 1, &[b]), &mut keeping));
                tally(check(&splice(&line, at, 0, &[b]), &mut keeping));
            }
        }
        // Each number made a bad (or an odd but good) one, each string given a bad escape or
        // a control character, one place in fifteen.
        let numbers = (1..line.len())
            .filter(|&i| line[i].is_ascii_digit() && matches!(line[i - 1], b':' | b'[' | b','));
        for at in numbers.step_by(15) {
            let len = line[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || b".eE+-".contains(b))
                .count();
            let long = "9".repeat(400);
            for bad in [
                "1.",
                "01",
                "-",
                "1e",
                "+1",
                "NaN",
                "1e400",
                "-0",
                "1E+2",
                "-1.5e-3",
                ".5",
                "1.e3",
                "Infinity",
                &long,
                "99999999999999999999",
            ] {
                tally(check(&splice(&line, at, len, bad.as_bytes()), &mut keeping));
            }
        }
        let strings = (1..line.len()).filter(|&i| line[i - 1] == b'"' && line[i] != b',');
        for at in strings.step_by(15) {
            for bad in [
                &b"\\x"[..],
                b"\\u12",
                b"\\ud800",
                b"\\udc00x",
                b"\\ud83d\\ude00",
                b"\x1f",
                b"\\u0041",
                b"\x7f",
            ] {
                tally(check(&splice(&line, at, 0, bad), &mut keeping));
            }
        }
    }
    eprintln!("{accepted} broken lines accepted, {refused} refused");
    assert!(accepted > 100 && refused > 1000, "{accepted} {refused}");
}

//! Reading watchlist files: one cone a line, `ra|dec|name[|radius]` or comma, semicolon or
//! tab separated, RA/Dec in degrees or sexagesimal, radius in arcsec; `#` comments, blank
//! lines and a header line are skipped. A bad line is reported with its file and line number
//! and skipped; the rest of the file is kept.

use std::fmt;
use std::path::Path;

use super::{check_radius, Cone, ConeError, MAX_NAME_BYTES};
use crate::geometry::{parse_dec, parse_ra};

/// A refused line: where it was, what it said, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
    pub why: ConeError,
}

/// What reading a watchlist found: how many cones, and the lines that were refused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParseReport {
    /// The file name (or upload name) the lines came from.
    pub source: String,
    pub cones: usize,
    pub bad: Vec<BadLine>,
    /// Whether the first line was taken as a header.
    pub header: bool,
}

impl ParseReport {
    pub fn is_clean(&self) -> bool {
        self.bad.is_empty()
    }
}

impl fmt::Display for ParseReport {
    /// One line for each refused line, `FILE:LINE: WHY: TEXT`, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.bad {
            writeln!(f, "{}:{}: {}: {:?}", self.source, b.line, b.why, b.text)?;
        }
        write!(
            f,
            "{}: {} cone(s), {} bad line(s)",
            self.source,
            self.cones,
            self.bad.len()
        )
    }
}

/// Reads a watchlist file; only failing to read it is an error, bad lines are in the report.
pub fn read_cones(path: impl AsRef<Path>) -> std::io::Result<(Vec<Cone>, ParseReport)> {
    let path = path.as_ref();
    let text = std::fs::read(path)?;
    Ok(parse_cones(
        &String::from_utf8_lossy(&text),
        &path.display().to_string(),
    ))
}

/// Parses watchlist text; `source` names it in the report.
pub fn parse_cones(text: &str, source: &str) -> (Vec<Cone>, ParseReport) {
    let mut report = ParseReport {
        source: source.to_owned(),
        ..ParseReport::default()
    };
    let mut cones = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let was_first = std::mem::replace(&mut first, false);
        match parse_line(line) {
            Ok(cone) => cones.push(cone),
            Err(_) if was_first && is_header(line) => report.header = true,
            Err(why) => report.bad.push(BadLine {
                line: i + 1,
                text: raw.to_owned(),
                why,
            }),
        }
    }
    report.cones = cones.len();
    (cones, report)
}

/// Splits on the first of `|`, `,`, tab or `;` met outside double quotes (that one separates
/// every field of the line), then drops the quotes.
fn split(line: &str) -> Vec<&str> {
    let mut quoted = false;
    let sep = line.chars().find(|&c| {
        quoted ^= c == '"';
        !quoted && "|,\t;".contains(c)
    });
    let mut fields = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        quoted ^= c == '"';
        if !quoted && Some(c) == sep {
            fields.push(unquote(&line[start..i]));
            start = i + c.len_utf8();
        }
    }
    fields.push(unquote(&line[start..]));
    // A trailing separator leaves an empty last field.
    while fields.len() > 3 && fields.last() == Some(&"") {
        fields.pop();
    }
    fields
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
        .trim()
}

fn parse_line(line: &str) -> Result<Cone, ConeError> {
    let fields = split(line);
    if !(3..=4).contains(&fields.len()) {
        return Err(ConeError::Fields(fields.len()));
    }
    let ra = parse_ra(fields[0]).map_err(ConeError::Ra)?;
    let dec = parse_dec(fields[1]).map_err(ConeError::Dec)?;
    let name = fields[2];
    if name.is_empty() {
        return Err(ConeError::NoName);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(ConeError::NameTooLong);
    }
    let radius_arcsec = match fields.get(3) {
        None | Some(&"") => None,
        Some(r) => {
            let value: f64 = r.parse().map_err(|_| ConeError::Radius(r.to_string()))?;
            Some(check_radius(value)?)
        }
    };
    Ok(Cone {
        ra,
        dec,
        name: name.to_owned(),
        radius_arcsec,
    })
}

/// A header names its columns: its first field is a word, not a coordinate.
fn is_header(line: &str) -> bool {
    let fields = split(line);
    let first = fields
        .first()
        .map(|f| f.to_ascii_lowercase())
        .unwrap_or_default();
    parse_ra(&first).is_err() && first.starts_with(|c: char| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_layout() {
        let text = "\u{feff}RA, Dec, Name, radius\n# a comment\n\n\
                    10.5, -20.25, first, 3\n\
                    10:00:00 | -20:30:00 | second\n\
                    \"1.0\";\"2.0\";\"third, with comma\";\n\
                    359.0\t89.0\tfourth\t1800\n";
        let (cones, report) = parse_cones(text, "mixed.txt");
        assert!(report.is_clean(), "{report}");
        assert!(report.header);
        let names: Vec<&str> = cones.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["first", "second", "third, with comma", "fourth"]);
        assert_eq!(cones[0].radius_arcsec, Some(3.0));
        assert_eq!(cones[1].ra, 150.0);
        assert_eq!(cones[1].dec, -20.5);
        assert_eq!(cones[2].radius_arcsec, None);
        assert_eq!(cones[3].radius_arcsec, Some(1800.0));
    }

    #[test]
    fn reports_bad_lines_with_their_number_and_goes_on() {
        let text = "1,2,ok\n1,2,big,1800.5\n400,2,ra\n1,2\n1,2,,4\n1,2,r,-3\n3,4,also ok,10\n";
        let (cones, report) = parse_cones(text, "w.csv");
        assert_eq!(cones.len(), 2);
        let lines: Vec<usize> = report.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6]);
        assert_eq!(report.bad[0].why, ConeError::RadiusTooLarge(1800.5));
        assert!(matches!(report.bad[1].why, ConeError::Ra(_)));
        assert_eq!(report.bad[2].why, ConeError::Fields(2));
        assert_eq!(report.bad[3].why, ConeError::NoName);
        let shown = report.to_string();
        assert!(
            shown.contains("w.csv:2: radius 1800.5\" is above"),
            "{shown}"
        );
        assert!(
            shown.ends_with("w.csv: 2 cone(s), 5 bad line(s)"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_first_line_that_is_not_a_header_is_reported() {
        let (_, report) = parse_cones("12.x, 3, n\n1, 2, ok\n", "f");
        assert!(!report.header);
        assert_eq!(report.bad.len(), 1);
    }
}

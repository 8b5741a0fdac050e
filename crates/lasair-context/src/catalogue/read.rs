//! Reading a catalogue file row by row, whatever its layout (CSV, pipe-separated, fixed
//! width; plain or gzipped), with each row's line number for the report of bad rows.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::spec::{Format, LoadSpec};
use super::CatalogueError;

/// Where a mapped column is in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    /// The n-th field (0-based) of a delimited row.
    Index(usize),
    /// Bytes `start..end` (0-based, end exclusive) of a fixed-width line.
    Bytes(usize, usize),
}

/// The rows of one file, read one at a time into a reused buffer.
pub(crate) struct Rows {
    inner: Inner,
    /// The header's field names (delimited files with a header).
    pub header: Option<Vec<String>>,
    /// The file's size when it is read uncompressed (for the progress bar).
    pub total_bytes: Option<u64>,
}

enum Inner {
    Delimited {
        reader: csv::Reader<Box<dyn Read>>,
        record: csv::StringRecord,
    },
    Fixed {
        reader: Box<dyn BufRead>,
        raw: Vec<u8>,
        buf: String,
        line: u64,
        bytes: u64,
        comment: Option<char>,
    },
}

/// Why a row could not be read.
#[derive(Debug)]
pub(crate) enum RowError {
    /// This row is bad (bad quoting, not UTF-8): report it and go on.
    Bad(String),
    /// The file cannot be read further (I/O error, corrupt gzip).
    Fatal(String),
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Bad(why) | RowError::Fatal(why) => f.write_str(why),
        }
    }
}

impl Rows {
    /// Opens `path` and reads past its preamble and header as `spec` says.
    pub fn open(path: &Path, spec: &LoadSpec) -> Result<Rows, CatalogueError> {
        let cannot = |e: &dyn std::fmt::Display| CatalogueError::File {
            path: path.to_owned(),
            cause: e.to_string(),
        };
        let file = File::open(path).map_err(|e| cannot(&e))?;
        let gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let total_bytes = if gz {
            None
        } else {
            file.metadata().ok().map(|m| m.len())
        };
        let raw: Box<dyn Read> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
        } else {
            Box::new(file)
        };
        let inner = match spec.format {
            Format::Csv | Format::Pipe => {
                let delimiter = if spec.format == Format::Pipe {
                    b'|'
                } else {
                    b','
                };
                let comment = spec.comment.and_then(|c| u8::try_from(c).ok());
                let reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(delimiter)
                    .comment(comment)
                    .trim(csv::Trim::All)
                    .buffer_capacity(1 << 16)
                    .from_reader(raw);
                Inner::Delimited {
                    reader,
                    record: csv::StringRecord::new(),
                }
            }
            Format::Fixed => Inner::Fixed {
                reader: Box::new(BufReader::with_capacity(1 << 16, raw)),
                raw: Vec::new(),
                buf: String::new(),
                line: 0,
                bytes: 0,
                comment: spec.comment,
            },
        };
        let mut rows = Rows {
            inner,
            header: None,
            total_bytes,
        };
        rows.skip(spec.skip_lines).map_err(|e| cannot(&e))?;
        if spec.has_header() {
            if !rows.next_row().map_err(|e| cannot(&e))? {
                return Err(cannot(&"no header line"));
            }
            if let Inner::Delimited { record, .. } = &rows.inner {
                let names: Vec<String> = record.iter().map(str::to_owned).collect();
                if let Some((i, name)) = names
                    .iter()
                    .enumerate()
                    .find(|(i, n)| names[..*i].iter().any(|m| m.eq_ignore_ascii_case(n)))
                {
                    let why = format!("the header names column {name:?} twice (field {})", i + 1);
                    return Err(cannot(&why));
                }
                rows.header = Some(names);
            }
        }
        rows.skip(spec.skip_after_header).map_err(|e| cannot(&e))?;
        Ok(rows)
    }

    fn skip(&mut self, n: usize) -> Result<(), RowError> {
        for _ in 0..n {
            match self.next_row() {
                Ok(true) | Err(RowError::Bad(_)) => {}
                Ok(false) => break,
                Err(fatal) => return Err(fatal),
            }
        }
        Ok(())
    }

    /// Reads the next data row; false at the end of the file. An error is a row that cannot
    /// be read (bad quoting, not UTF-8); the caller reports it and goes on.
    pub fn next_row(&mut self) -> Result<bool, RowError> {
        match &mut self.inner {
            Inner::Delimited { reader, record } => {
                let more = reader.read_record(record).map_err(|e| match e.kind() {
                    csv::ErrorKind::Io(_) => RowError::Fatal(e.to_string()),
                    _ => RowError::Bad(e.to_string()),
                })?;
                // A quote left open swallows the lines after it into one field: said, not
                // loaded as one odd row.
                if record.iter().any(|f| f.contains('\n')) {
                    let lines = record
                        .iter()
                        .map(|f| f.matches('\n').count())
                        .sum::<usize>();
                    return Err(RowError::Bad(format!(
                        "a quoted field runs over {lines} line end(s): an unbalanced quote? (the lines it took are not loaded)"
                    )));
                }
                Ok(more)
            }
            Inner::Fixed {
                reader,
                raw,
                buf,
                line,
                bytes,
                comment,
            } => loop {
                raw.clear();
                let n = reader
                    .read_until(b'\n', raw)
                    .map_err(|e| RowError::Fatal(e.to_string()))?;
                if n == 0 {
                    return Ok(false);
                }
                *line += 1;
                *bytes += n as u64;
                let text = std::str::from_utf8(raw)
                    .map_err(|e| RowError::Bad(format!("not UTF-8 text: {e}")))?;
                let text = text.trim_end_matches(['\n', '\r']);
                let is_comment = comment.is_some_and(|c| text.starts_with(c));
                if is_comment || text.trim().is_empty() {
                    continue;
                }
                buf.clear();
                buf.push_str(text);
                return Ok(true);
            },
        }
    }

    /// The current row's line number (1-based).
    pub fn line(&self) -> u64 {
        match &self.inner {
            Inner::Delimited { record, reader } => record
                .position()
                .map_or_else(|| reader.position().line(), |p| p.line()),
            Inner::Fixed { line, .. } => *line,
        }
    }

    /// Bytes read so far (uncompressed).
    pub fn bytes(&self) -> u64 {
        match &self.inner {
            Inner::Delimited { reader, .. } => reader.position().byte(),
            Inner::Fixed { bytes, .. } => *bytes,
        }
    }

    /// The number of fields of the current delimited row.
    pub fn field_count(&self) -> Option<usize> {
        match &self.inner {
            Inner::Delimited { record, .. } => Some(record.len()),
            Inner::Fixed { .. } => None,
        }
    }

    /// The text of column `col` in the current row, trimmed; empty when the row is too
    /// short; `None` when the bytes of a fixed-width column are not whole characters.
    pub fn field(&self, col: Col) -> Option<&str> {
        match (&self.inner, col) {
            (Inner::Delimited { record, .. }, Col::Index(i)) => Some(record.get(i).unwrap_or("")),
            (Inner::Fixed { buf, .. }, Col::Bytes(start, end)) => {
                let end = end.min(buf.len());
                if start >= end {
                    return Some("");
                }
                buf.get(start..end).map(str::trim)
            }
            _ => Some(""),
        }
    }

    /// Where column reference `text` is, for this file's layout.
    pub fn resolve(&self, text: &str, format: Format) -> Result<Col, String> {
        if format == Format::Fixed {
            return byte_range(text);
        }
        match &self.header {
            Some(names) => names
                .iter()
                .position(|n| n == text.trim())
                .map(Col::Index)
                .ok_or_else(|| {
                    format!(
                        "no column {text:?} in the header (it has: {})",
                        names.join(", ")
                    )
                }),
            None => match text.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Col::Index(n - 1)),
                _ => Err(format!(
                    "column {text:?}: a file without a header names columns by number from 1"
                )),
            },
        }
    }
}

/// `"12-23"` (1-based, inclusive, as in a CDS ReadMe) or `"7"` as bytes 11..23 or 6..7.
fn byte_range(text: &str) -> Result<Col, String> {
    let bad = || format!("column {text:?}: fixed-width columns are byte ranges like \"12-23\"");
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (text.trim(), text.trim()),
    };
    let a: usize = a.parse().map_err(|_| bad())?;
    let b: usize = b.parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok(Col::Bytes(a - 1, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_are_one_based_and_inclusive() {
        assert_eq!(byte_range("1-11"), Ok(Col::Bytes(0, 11)));
        assert_eq!(byte_range(" 12 - 23 "), Ok(Col::Bytes(11, 23)));
        assert_eq!(byte_range("7"), Ok(Col::Bytes(6, 7)));
        assert!(byte_range("0-3").is_err());
        assert!(byte_range("5-3").is_err());
        assert!(byte_range("ra").is_err());
    }
}

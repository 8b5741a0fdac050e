//! FITS as sky files and cutouts use it: headers of 80-byte cards in 2880-byte blocks, binary
//! tables of fixed-size rows (MOCs, HEALPix sky maps), and a primary 2-D image (cutouts, in
//! [`image`]). Only what those files need: no variable-length arrays, no scaled columns, no
//! image extensions. Every size read from a header is checked against what the file holds
//! before it is used.

use std::io::Read;

pub mod image;

/// A FITS block: headers and data are padded to whole blocks.
pub(crate) const BLOCK: usize = 2880;
/// A header card.
pub(crate) const CARD: usize = 80;
/// The most blocks a header may take (a sky map's has 2 or 3; garbage has no END).
const MAX_HEADER_BLOCKS: usize = 100;

/// The byte offset just past the header (whole 2880-byte blocks) that starts at `start`.
pub(crate) fn header_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut block = start;
    while block + BLOCK <= bytes.len() {
        if has_end(&bytes[block..block + BLOCK]) {
            return Some(block + BLOCK);
        }
        block += BLOCK;
    }
    None
}

fn has_end(block: &[u8]) -> bool {
    block.chunks_exact(CARD).any(|c| c.starts_with(b"END "))
}

/// A card's keyword (the first 8 bytes, trailing blanks removed).
pub(crate) fn card_key(card: &[u8]) -> &str {
    std::str::from_utf8(card.get(..8).unwrap_or(b"")).map_or("", str::trim_end)
}

/// A card's value as text: quotes and the comment after `/` removed.
pub(crate) fn card_text(card: &[u8]) -> Option<String> {
    if card.get(8..10) != Some(b"= ") {
        return None;
    }
    let text = std::str::from_utf8(card.get(10..)?).ok()?.trim();
    let value = match text.strip_prefix('\'') {
        // A string ends at the next lone quote; '' inside is a quote.
        Some(rest) => {
            let mut out = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(c);
            }
            out.trim_end().to_owned()
        }
        None => text.split('/').next()?.trim().to_owned(),
    };
    Some(value)
}

/// A card's value as an unsigned integer.
pub(crate) fn card_uint(card: &[u8]) -> Option<u64> {
    card_text(card)?.parse().ok()
}

/// One header: its cards' keywords and values, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    cards: Vec<(String, String)>,
}

impl Header {
    /// Reads one header from `reader`, block by block, up to its END card.
    pub fn read(reader: &mut impl Read) -> Result<Header, String> {
        let mut header = Header::default();
        let mut block = vec![0u8; BLOCK];
        for _ in 0..MAX_HEADER_BLOCKS {
            read_full(reader, &mut block).map_err(|e| format!("reading a FITS header: {e}"))?;
            for card in block.chunks_exact(CARD) {
                if card.starts_with(b"END ") {
                    return Ok(header);
                }
                let key = card_key(card);
                if let Some(value) = card_text(card) {
                    header.cards.push((key.to_owned(), value));
                }
            }
        }
        Err(format!(
            "a FITS header of more than {MAX_HEADER_BLOCKS} blocks with no END card"
        ))
    }

    /// The value of `key` (the first card that has it).
    pub fn text(&self, key: &str) -> Option<&str> {
        self.cards
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key` as an unsigned integer.
    pub fn uint(&self, key: &str) -> Option<u64> {
        self.text(key)?.parse().ok()
    }

    /// The value of `key` as a number (FITS may write exponents with `D`).
    pub fn real(&self, key: &str) -> Option<f64> {
        let text = self.text(key)?.replace(['D', 'd'], "E");
        text.parse().ok().filter(|x: &f64| x.is_finite())
    }

    /// Whether logical `key` is `T`.
    pub fn flag(&self, key: &str) -> bool {
        self.text(key) == Some("T")
    }
}

/// Fills `buf` from `reader`; an early end is an error saying how much was missing.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<(), String> {
    let mut done = 0;
    while done < buf.len() {
        match reader.read(&mut buf[done..]) {
            Ok(0) => {
                return Err(format!(
                    "the file ends {} bytes early (truncated?)",
                    buf.len() - done
                ))
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

/// The numeric types a binary-table field may have (TFORM letters I, J, K, E, D, B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    U8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

/// One field of a binary table.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// TTYPE, as written.
    pub name: String,
    /// `None` for a field of a type sky maps never use (text, bits, complex, arrays).
    pub kind: Option<Kind>,
    /// Values per row (the TFORM repeat count: `1024E` is 1024 floats a row).
    pub repeat: usize,
    /// Where the field starts in a row.
    offset: usize,
}

impl Column {
    /// Value `k` of this field in `row` as a float (an integer is converted).
    pub fn real(&self, row: &[u8], k: usize) -> f64 {
        match self.kind {
            Some(Kind::F64) => f64::from_be_bytes(self.bytes(row, k)),
            Some(Kind::F32) => f64::from(f32::from_be_bytes(self.bytes(row, k))),
            Some(Kind::I64) => i64::from_be_bytes(self.bytes(row, k)) as f64,
            Some(Kind::I32) => f64::from(i32::from_be_bytes(self.bytes(row, k))),
            Some(Kind::I16) => f64::from(i16::from_be_bytes(self.bytes(row, k))),
            Some(Kind::U8) => f64::from(self.bytes::<1>(row, k)[0]),
            None => f64::NAN,
        }
    }

    /// Value `k` of this integer field in `row`; `None` for a float field.
    pub fn int(&self, row: &[u8], k: usize) -> Option<i64> {
        match self.kind? {
            Kind::I64 => Some(i64::from_be_bytes(self.bytes(row, k))),
            Kind::I32 => Some(i64::from(i32::from_be_bytes(self.bytes(row, k)))),
            Kind::I16 => Some(i64::from(i16::from_be_bytes(self.bytes(row, k)))),
            Kind::U8 => Some(i64::from(self.bytes::<1>(row, k)[0])),
            Kind::F32 | Kind::F64 => None,
        }
    }

    /// The `N` bytes of value `k`; the table checked at its making that every field lies
    /// inside a row, and callers pass whole rows, so this never reads out of bounds (a
    /// shorter slice gives zeros rather than a panic).
    fn bytes<const N: usize>(&self, row: &[u8], k: usize) -> [u8; N] {
        let start = self.offset + k * N;
        let mut out = [0u8; N];
        if let Some(src) = row.get(start..start + N) {
            out.copy_from_slice(src);
        }
        out
    }
}

/// A binary table's layout, from its header.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub columns: Vec<Column>,
    /// Bytes per row (NAXIS1).
    pub row_bytes: usize,
    /// Rows (NAXIS2).
    pub rows: u64,
}

impl Table {
    /// The layout a BINTABLE extension's header declares, checked: every field's width
    /// known and their sum the row's width.
    pub fn from_header(h: &Header) -> Result<Table, String> {
        if h.text("XTENSION") != Some("BINTABLE") {
            return Err("its first extension is not a binary table".into());
        }
        let (Some(row_bytes), Some(rows), Some(fields)) =
            (h.uint("NAXIS1"), h.uint("NAXIS2"), h.uint("TFIELDS"))
        else {
            return Err("its table header lacks NAXIS1, NAXIS2 or TFIELDS".into());
        };
        if h.uint("PCOUNT").unwrap_or(0) != 0 {
            return Err("its table has variable-length arrays (PCOUNT > 0)".into());
        }
        if fields > 999 || row_bytes > 1 << 30 {
            return Err(format!(
                "its table declares {fields} fields of {row_bytes} bytes a row"
            ));
        }
        let mut columns = Vec::with_capacity(fields as usize);
        let mut offset = 0usize;
        for i in 1..=fields {
            let form = h
                .text(&format!("TFORM{i}"))
                .ok_or_else(|| format!("field {i} has no TFORM{i}"))?;
            let (repeat, kind, width) = tform(form).map_err(|why| format!("TFORM{i}: {why}"))?;
            let name = h.text(&format!("TTYPE{i}")).unwrap_or("").to_owned();
            columns.push(Column {
                name,
                kind,
                repeat,
                offset,
            });
            offset = offset.saturating_add(width);
        }
        if offset as u64 != row_bytes {
            return Err(format!(
                "its fields take {offset} bytes a row but NAXIS1 says {row_bytes}"
            ));
        }
        Ok(Table {
            columns,
            row_bytes: row_bytes as usize,
            rows,
        })
    }

    /// The field named `name` (case-insensitive, as FITS readers match).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The field's names, for messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }
}

/// A TFORM (`D`, `1K`, `1024E`): the repeat count, the numeric kind if it is one, and the
/// bytes it takes in a row.
fn tform(form: &str) -> Result<(usize, Option<Kind>, usize), String> {
    let form = form.trim();
    let digits = form.bytes().take_while(u8::is_ascii_digit).count();
    let repeat: usize = if digits == 0 {
        1
    } else {
        form[..digits]
            .parse()
            .map_err(|_| format!("{form:?} has a repeat count out of range"))?
    };
    let letter = form[digits..]
        .chars()
        .next()
        .ok_or_else(|| format!("{form:?} has no type letter"))?;
    let (kind, size) = match letter {
        'B' => (Some(Kind::U8), 1),
        'I' => (Some(Kind::I16), 2),
        'J' => (Some(Kind::I32), 4),
        'K' => (Some(Kind::I64), 8),
        'E' => (Some(Kind::F32), 4),
        'D' => (Some(Kind::F64), 8),
        'A' | 'L' => (None, 1),
        'C' => (None, 8),
        'M' => (None, 16),
        'X' => return Ok((repeat, None, repeat.div_ceil(8))),
        other => return Err(format!("{form:?}: type {other:?} is not supported")),
    };
    let width = repeat
        .checked_mul(size)
        .ok_or_else(|| format!("{form:?} is too wide"))?;
    Ok((repeat, kind, width))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A FITS file of a primary header, a table header and `data`, each padded to 2880 bytes.
    pub(crate) fn fits_file(primary: &[&str], table: &[&str], data: &[u8]) -> Vec<u8> {
        let mut file = Vec::new();
        for cards in [primary, table] {
            let mut block = vec![b' '; BLOCK * (cards.len() / 36 + 1)];
            for (i, c) in cards.iter().chain(&["END"]).enumerate() {
                block[i * CARD..i * CARD + c.len()].copy_from_slice(c.as_bytes());
            }
            file.extend(block);
        }
        file.extend(data);
        file.resize(file.len().div_ceil(BLOCK) * BLOCK, 0);
        file
    }

    #[test]
    fn cards_give_their_values_without_quotes_or_comments() {
        let card = |s: &str| format!("{s:<80}").into_bytes();
        assert_eq!(
            card_text(&card("TTYPE1  = 'PROB    '           / comment")).as_deref(),
            Some("PROB")
        );
        assert_eq!(
            card_text(&card("OBJECT  = 'it''s / here'")).as_deref(),
            Some("it's / here")
        );
        assert_eq!(
            card_uint(&card("NAXIS2  =   12582912 / rows")),
            Some(12_582_912)
        );
        assert_eq!(
            card_text(&card("HISTORY = not a value")).as_deref(),
            Some("not a value")
        );
        assert_eq!(card_text(&card("COMMENT nothing")), None);
    }

    #[test]
    fn tables_lay_out_their_fields_and_refuse_what_they_cannot_read() {
        let file = fits_file(
            &["SIMPLE  = T", "NAXIS   = 0"],
            &[
                "XTENSION= 'BINTABLE'",
                "NAXIS1  = 20",
                "NAXIS2  = 1",
                "TFIELDS = 3",
                "TTYPE1  = 'UNIQ'",
                "TFORM1  = 'K'",
                "TTYPE2  = 'PROB'",
                "TFORM2  = '2E'",
                "TTYPE3  = 'FLAG'",
                "TFORM3  = '4L'",
            ],
            &[],
        );
        let mut r = &file[..];
        let primary = Header::read(&mut r).unwrap();
        assert_eq!(primary.uint("NAXIS"), Some(0));
        let table = Table::from_header(&Header::read(&mut r).unwrap()).unwrap();
        assert_eq!(
            (table.row_bytes, table.rows, table.columns.len()),
            (20, 1, 3)
        );
        let mut row = Vec::new();
        row.extend(1024i64.to_be_bytes());
        row.extend(0.5f32.to_be_bytes());
        row.extend(2.0f32.to_be_bytes());
        row.extend(b"TFTF");
        let uniq = table.column("uniq").unwrap();
        assert_eq!(uniq.int(&row, 0), Some(1024));
        let prob = table.column("PROB").unwrap();
        assert_eq!(
            (prob.real(&row, 0), prob.real(&row, 1), prob.repeat),
            (0.5, 2.0, 2)
        );
        assert_eq!(prob.int(&row, 0), None);

        let bad = |cards: &[&str]| {
            let mut h = vec!["XTENSION= 'BINTABLE'", "NAXIS2  = 1", "TFIELDS = 1"];
            h.extend_from_slice(cards);
            let file = fits_file(&[], &h, &[]);
            let mut r = &file[BLOCK..];
            Table::from_header(&Header::read(&mut r).unwrap()).unwrap_err()
        };
        assert!(bad(&["NAXIS1  = 9", "TFORM1  = 'D'"]).contains("NAXIS1 says 9"));
        assert!(bad(&["NAXIS1  = 8", "TFORM1  = '1P'"]).contains("not supported"));
        assert!(bad(&["NAXIS1  = 8"]).contains("no TFORM1"));
        let mut endless = &vec![b' '; BLOCK * 101][..];
        assert!(Header::read(&mut endless).unwrap_err().contains("no END"));
        let mut short = &file[..100];
        assert!(Header::read(&mut short).unwrap_err().contains("truncated"));
    }
}

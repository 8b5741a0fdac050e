//! Reading a MOC's cells from FITS, ASCII or JSON bytes (the content decides), refusing
//! anything else with the reason. The `moc` crate parses; cell numbers and ranges are checked
//! after it (`check.rs`), and it runs under `catch_unwind` because it was not written for
//! hostile input.

use std::ops::Range;

use moc::moc::{CellMOCIntoIterator, CellOrCellRangeMOCIntoIterator};
use moc::moc::{CellOrCellRangeMOCIterator, HasMaxDepth};
use moc::qty::Hpx;

use super::check::{cell_range, check_depth, check_ranges, guarded, invalid};
use super::fits::fits;
use super::AreaError;

/// The MOC's order and its ranges of order-29 cells (not yet sorted or merged).
pub(super) fn moc_ranges(bytes: &[u8], name: &str) -> Result<(u8, Vec<Range<u64>>), AreaError> {
    let not_a_moc = |what: &str| AreaError::NotAMoc {
        name: name.to_owned(),
        what: what.to_owned(),
    };
    if bytes.starts_with(b"SIMPLE  =") {
        return fits(bytes, name);
    }
    if let Some(what) = binary_kind(bytes) {
        return Err(not_a_moc(what));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| not_a_moc("binary data, not FITS"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(not_a_moc("empty"));
    }
    // MOC 2.0 may mark a space MOC's ASCII form with a leading `s`.
    let body = trimmed
        .strip_prefix('s')
        .filter(|b| b.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(trimmed);
    if trimmed.starts_with('{') {
        json(trimmed, name)
    } else if looks_like_ascii_moc(body) {
        ascii(body, name)
    } else {
        Err(not_a_moc(
            "text that is neither a JSON MOC nor an ASCII MOC (\"order/cells ...\")",
        ))
    }
}

fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 6] = [
        (b"Obj\x01", "an Avro container file"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (b"\x1F\x8B", "gzip-compressed (decompress it first)"),
        (b"PK\x03\x04", "a zip archive"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
}

/// An ASCII MOC is orders, cells and ranges: `3/3 10 4/16-18 22`.
fn looks_like_ascii_moc(text: &str) -> bool {
    text.contains('/')
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "/-+,".contains(c))
}

fn ascii(text: &str, name: &str) -> Result<(u8, Vec<Range<u64>>), AreaError> {
    let parsed = guarded(name, "ASCII", || {
        moc::deser::ascii::from_ascii_ivoa::<u64, Hpx<u64>>(text)
    })?
    .map_err(|e| invalid(name, "ASCII", e))?;
    let moc = parsed.into_cellcellrange_moc_iter();
    let depth = moc.depth_max();
    check_depth(depth, name, "ASCII")?;
    // Ranges from the crate are at order 29 already; their bounds are checked all the same.
    let ranges: Vec<Range<u64>> = guarded(name, "ASCII", || moc.ranges().collect())?;
    check_ranges(&ranges, name, "ASCII")?;
    Ok((depth, ranges))
}

fn json(text: &str, name: &str) -> Result<(u8, Vec<Range<u64>>), AreaError> {
    // Orders and cells are non-negative integers: the parser would skip `-3` or `2.5`
    // silently, and the MOC would cover less than its file says.
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_digit() || c.is_whitespace() || "{}[]\",:".contains(*c)))
    {
        let why = format!("{c:?} in a cell or an order (they are non-negative integers)");
        return Err(invalid(name, "JSON", why));
    }
    let parsed = guarded(name, "JSON", || {
        moc::deser::json::from_json_aladin::<u64, Hpx<u64>>(text).map_err(|e| e.to_string())
    })?
    .map_err(|e| invalid(name, "JSON", e))?;
    let cells = parsed.into_cell_moc_iter();
    let depth = cells.depth_max();
    check_depth(depth, name, "JSON")?;
    let ranges = cells
        .map(|c| {
            cell_range(c.depth, c.idx).ok_or_else(|| {
                let why = format!("cell {} does not exist at order {}", c.idx, c.depth);
                invalid(name, "JSON", why)
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((depth, ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_moc() {
        for (bytes, needle) in [
            (&b"\x89PNG\r\n\x1a\n...."[..], "PNG"),
            (b"not a moc file\n", "neither"),
            (b"", "empty"),
            (b"\x00\x01\x02\xff", "binary"),
        ] {
            let err = moc_ranges(bytes, "upload.x").unwrap_err().to_string();
            assert!(err.contains("upload.x") && err.contains(needle), "{err}");
        }
    }

    #[test]
    fn reads_ascii_and_json_mocs() {
        // Order 1 cell 0 is order-29 cells [0, 4^28); order 0 cell 11 is the last base cell.
        let (depth, ranges) = moc_ranges(b"0/11 1/0", "a").unwrap();
        assert_eq!(depth, 1);
        let mut ranges = ranges;
        ranges.sort_by_key(|r| r.start);
        assert_eq!(ranges, vec![0..1 << 56, 11 << 58..12 << 58]);
        assert_eq!(moc_ranges(b"s0/11 1/0\n", "s").unwrap().1.len(), 2);
        let (depth, ranges) = moc_ranges(br#"{"0":[11],"1":[0]}"#, "j").unwrap();
        assert_eq!(depth, 1);
        assert_eq!(ranges.len(), 2);
    }

    #[test]
    fn refuses_mocs_that_cover_nothing_or_less_than_they_say() {
        for (bytes, needle) in [
            (&br#"{"30":[1]}"#[..], ""),
            (br#"{"3":[-1]}"#, "non-negative"),
            (br#"{"3":[1.5]}"#, "non-negative"),
            (br#"{"3":[1e2]}"#, "non-negative"),
            (br#"{"3":[]}"#, "no part of the sky"),
        ] {
            let err = super::super::Area::from_bytes(bytes, "m.json")
                .unwrap_err()
                .to_string();
            assert!(err.contains("m.json") && err.contains(needle), "{err}");
        }
    }

    #[test]
    fn refuses_cells_beyond_the_sky() {
        let err = moc_ranges(br#"{"0":[12]}"#, "j").unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }
}

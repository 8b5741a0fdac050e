//! FITS MOCs (MOC 1.x NUNIQ, MOC 2.0 RANGE or NUNIQ). The header is read here first, so a
//! file that is a FITS image, a sky map or a truncated table is refused with the reason, and
//! the `moc` crate never sizes a buffer from a header the file cannot back.

use std::io::BufRead;
use std::ops::Range;

use moc::deser::fits::{from_fits_ivoa, MocIdxType, MocQtyType, MocType};
use moc::elem::cell::Cell;
use moc::idx::Idx;
use moc::moc::{CellMOCIntoIterator, HasMaxDepth};
use moc::qty::{Hpx, MocQty};

use super::check::{cell_range, check_depth, check_ranges, guarded, invalid};
use super::{AreaError, MAX_DEPTH};
use crate::fits::{card_key, card_text, card_uint, header_end, CARD};

/// The keywords of the MOC's binary table header that are checked before the crate reads it.
#[derive(Debug, Default)]
struct TableHeader {
    primary_naxis: Option<u64>,
    xtension: Option<String>,
    columns: Option<u64>,
    ordering: bool,
    row_bytes: Option<u64>,
    rows: Option<u64>,
    mocorder: Option<u64>,
    mocord_s: Option<u64>,
    data_offset: usize,
}

pub(super) fn fits(bytes: &[u8], name: &str) -> Result<(u8, Vec<Range<u64>>), AreaError> {
    let header = table_header(bytes).map_err(|why| invalid(name, "FITS", why))?;
    check_header(&header, bytes.len()).map_err(|why| invalid(name, "FITS", why))?;
    let parsed = guarded(name, "FITS", || read_fits(bytes))?;
    let (depth, ranges) = parsed.map_err(|why| invalid(name, "FITS", why))?;
    check_depth(depth, name, "FITS")?;
    check_ranges(&ranges, name, "FITS")?;
    Ok((depth, ranges))
}

fn check_header(h: &TableHeader, file_len: usize) -> Result<(), String> {
    if let Some(n @ 1..) = h.primary_naxis {
        return Err(format!(
            "it is a FITS image (NAXIS = {n} in the primary header), not a MOC table"
        ));
    }
    if h.xtension.as_deref() != Some("BINTABLE") {
        return Err("its first extension is not a binary table, as a MOC's is".into());
    }
    if let Some(n @ 2..) = h.columns {
        return Err(format!(
            "it is a table of {n} columns (a sky map?), not a MOC's single column of cells"
        ));
    }
    if !h.ordering {
        return Err("its table has no ORDERING keyword (NUNIQ or RANGE)".into());
    }
    let (Some(row_bytes), Some(rows)) = (h.row_bytes, h.rows) else {
        return Err("its table has no NAXIS1/NAXIS2".into());
    };
    let needed = row_bytes.saturating_mul(rows);
    let available = file_len.saturating_sub(h.data_offset) as u64;
    if needed > available {
        return Err(format!(
            "the table declares {needed} bytes of cells but the file holds {available} after its header (truncated?)"
        ));
    }
    for order in [h.mocorder, h.mocord_s].into_iter().flatten() {
        if order > MAX_DEPTH as u64 {
            return Err(format!("MOC order {order} is above 29"));
        }
    }
    if let (Some(v1), Some(v2)) = (h.mocorder, h.mocord_s) {
        if v1 != v2 {
            return Err(format!(
                "MOCORDER = {v1} contradicts MOCORD_S = {v2}: which order the cells are at is unknown"
            ));
        }
    }
    Ok(())
}

/// Finds the first extension's header and reads the keywords that bound what follows.
fn table_header(bytes: &[u8]) -> Result<TableHeader, String> {
    let primary_end = header_end(bytes, 0).ok_or("the primary FITS header has no END")?;
    if bytes.len() <= primary_end {
        return Err("the FITS file has no extension: a MOC is a binary table extension".into());
    }
    let ext_end = header_end(bytes, primary_end).ok_or("the extension header has no END")?;
    let mut h = TableHeader {
        data_offset: ext_end,
        ..TableHeader::default()
    };
    for card in bytes[..primary_end].chunks_exact(CARD) {
        if card.starts_with(b"NAXIS   =") {
            h.primary_naxis = card_uint(card);
        }
    }
    for card in bytes[primary_end..ext_end].chunks_exact(CARD) {
        let value = || card_uint(card);
        match card_key(card) {
            "XTENSION" => h.xtension = card_text(card),
            "TFIELDS" => h.columns = value(),
            "ORDERING" => h.ordering = true,
            "NAXIS1" => h.row_bytes = value(),
            "NAXIS2" => h.rows = value(),
            "MOCORDER" => h.mocorder = value(),
            "MOCORD_S" => h.mocord_s = value(),
            _ => {}
        }
    }
    Ok(h)
}

fn read_fits(bytes: &[u8]) -> Result<(u8, Vec<Range<u64>>), String> {
    match from_fits_ivoa(bytes).map_err(|e| e.to_string())? {
        MocIdxType::U16(q) => qty_ranges(q),
        MocIdxType::U32(q) => qty_ranges(q),
        MocIdxType::U64(q) => qty_ranges(q),
    }
}

fn qty_ranges<T: Idx, R: BufRead>(q: MocQtyType<T, R>) -> Result<(u8, Vec<Range<u64>>), String> {
    let moc = match q {
        MocQtyType::Hpx(moc) => moc,
        MocQtyType::Time(_) => return Err("it is a time MOC, not a sky area".into()),
        MocQtyType::Freq(_) => return Err("it is a frequency MOC, not a sky area".into()),
        MocQtyType::TimeHpx(_) | MocQtyType::FreqHpx(_) => {
            return Err("it is a 2-D (time or frequency by space) MOC, not a sky area".into())
        }
    };
    // Values of a narrower integer type are counted at that type's deepest order.
    let shift = 2 * (MAX_DEPTH - Hpx::<T>::MAX_DEPTH) as u32;
    match moc {
        MocType::Ranges(it) => {
            let depth = it.depth_max();
            let ranges = it
                .map(|r| r.start.to_u64() << shift..r.end.to_u64() << shift)
                .collect();
            Ok((depth, ranges))
        }
        MocType::Cells(cells) => {
            let it = cells.into_cell_moc_iter();
            let depth = it.depth_max();
            let ranges = it
                .map(|c: Cell<T>| nuniq_cell(c.depth, c.idx.to_u64()))
                .collect::<Result<_, _>>()?;
            Ok((depth, ranges))
        }
    }
}

fn nuniq_cell(depth: u8, idx: u64) -> Result<Range<u64>, String> {
    cell_range(depth, idx)
        .ok_or_else(|| format!("NUNIQ cell {idx} does not exist at order {depth}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::tests::fits_file;

    const PRIMARY: &[&str] = &["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 0", "EXTEND  = T"];

    fn table(row_bytes: u32, rows: u32, tform: &str, moc: &[&str]) -> Vec<String> {
        let mut cards: Vec<String> = [
            "XTENSION= 'BINTABLE'".to_owned(),
            "BITPIX  = 8".to_owned(),
            "NAXIS   = 2".to_owned(),
            format!("NAXIS1  = {row_bytes}"),
            format!("NAXIS2  = {rows}"),
            "PCOUNT  = 0".to_owned(),
            "GCOUNT  = 1".to_owned(),
            "TFIELDS = 1".to_owned(),
            format!("TFORM1  = '{tform}'"),
            "COORDSYS= 'C'".to_owned(),
        ]
        .into();
        cards.extend(moc.iter().map(|c| c.to_string()));
        cards
    }

    fn refs(cards: &[String]) -> Vec<&str> {
        cards.iter().map(String::as_str).collect()
    }

    #[test]
    fn reads_moc_1_nuniq_and_moc_2_ranges() {
        // Base cell 4 (order 0): NUNIQ 4 * 4^0 + 4 = 8; as order-29 range [4 * 4^29, 5 * 4^29).
        let cell4 = 4u64 << 58..5u64 << 58;
        let nuniq = table(4, 1, "1J", &["ORDERING= 'NUNIQ'", "MOCORDER= 0"]);
        let file = fits_file(PRIMARY, &refs(&nuniq), &8u32.to_be_bytes());
        assert_eq!(fits(&file, "v1").unwrap(), (0, vec![cell4.clone()]));
        let range = table(8, 2, "1K", &["MOCVERS = '2.0'", "MOCDIM  = 'SPACE'"]);
        let mut range = range;
        range.extend(["ORDERING= 'RANGE'".into(), "MOCORD_S= 0".into()]);
        let data = [cell4.start.to_be_bytes(), cell4.end.to_be_bytes()].concat();
        assert_eq!(
            fits(&fits_file(PRIMARY, &refs(&range), &data), "v2").unwrap(),
            (0, vec![cell4])
        );
    }

    #[test]
    fn refuses_images_sky_maps_and_tables_without_ordering() {
        let image = fits_file(
            &["SIMPLE  = T", "NAXIS   = 2"],
            &["XTENSION= 'BINTABLE'"],
            &[],
        );
        let no_ext = fits_file(PRIMARY, &[], &[]);
        let map = fits_file(PRIMARY, &["XTENSION= 'BINTABLE'", "TFIELDS = 5"], &[]);
        let plain = table(4, 0, "1J", &[]);
        let plain = fits_file(PRIMARY, &refs(&plain), &[]);
        let outside = table(4, 1, "1J", &["ORDERING= 'NUNIQ'", "MOCORDER= 0"]);
        // NUNIQ 16 is order 1 cell 0, deeper than the declared order 0: refused or dropped.
        let outside = fits_file(PRIMARY, &refs(&outside), &16u32.to_be_bytes());
        for (file, why) in [
            (image, "FITS image (NAXIS = 2"),
            (no_ext, "not a binary table"),
            (map, "a table of 5 columns"),
            (plain, "no ORDERING keyword"),
        ] {
            let err = fits(&file, "f.fits").unwrap_err().to_string();
            assert!(err.contains("f.fits") && err.contains(why), "{err}");
        }
        assert_eq!(fits(&outside, "deep").unwrap().1, vec![]);
    }

    #[test]
    fn refuses_a_time_moc() {
        let mut cards = table(8, 2, "1K", &["MOCVERS = '2.0'", "MOCDIM  = 'TIME'"]);
        cards.extend([
            "ORDERING= 'RANGE'".into(),
            "MOCORD_T= 35".into(),
            "TIMESYS = 'TCB'".into(),
        ]);
        let data = [1u64.to_be_bytes(), 2u64.to_be_bytes()].concat();
        let err = fits(&fits_file(PRIMARY, &refs(&cards), &data), "t").unwrap_err();
        assert!(
            err.to_string().contains("a time MOC, not a sky area"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_truncated_fits_table() {
        let cards = [
            "XTENSION= 'BINTABLE'",
            "ORDERING= 'RANGE'",
            "NAXIS1  = 8",
            "NAXIS2  = 1000000",
        ];
        let err = fits(&fits_file(PRIMARY, &cards, &[]), "t.fits")
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
    }
}

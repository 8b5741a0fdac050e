//! The checks every MOC reader (FITS, ASCII, JSON) applies to what the `moc` crate returns:
//! orders and cell ranges within the sky, the crate run under `catch_unwind`, and the error
//! that names the file and the format.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{AreaError, MAX_DEPTH, SKY_CELLS};

/// The error for a file that is not a valid `format` MOC, and why.
pub(super) fn invalid(name: &str, format: &'static str, why: impl ToString) -> AreaError {
    AreaError::Invalid {
        name: name.to_owned(),
        format,
        why: why.to_string(),
    }
}

/// Runs the `moc` crate on untrusted content: a panic in it becomes an error naming the file.
pub(super) fn guarded<T>(
    name: &str,
    format: &'static str,
    f: impl FnOnce() -> T,
) -> Result<T, AreaError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| invalid(name, format, "the MOC reader failed on malformed content"))
}

/// The order-29 range of one cell; `None` for a cell beyond the sky.
pub(super) fn cell_range(depth: u8, idx: u64) -> Option<Range<u64>> {
    if depth > MAX_DEPTH || idx >= 12u64 << (2 * depth as u32) {
        return None;
    }
    let shift = 2 * (MAX_DEPTH - depth) as u32;
    Some(idx << shift..(idx + 1) << shift)
}

pub(super) fn check_depth(depth: u8, name: &str, format: &'static str) -> Result<(), AreaError> {
    if depth > MAX_DEPTH {
        return Err(invalid(name, format, format!("order {depth} is above 29")));
    }
    Ok(())
}

pub(super) fn check_ranges(
    ranges: &[Range<u64>],
    name: &str,
    format: &'static str,
) -> Result<(), AreaError> {
    match ranges
        .iter()
        .position(|r| r.start >= r.end || r.end > SKY_CELLS)
    {
        None => Ok(()),
        Some(i) => Err(invalid(
            name,
            format,
            format!(
                "range {} ({}..{}) is empty or beyond the sky",
                i + 1,
                ranges[i].start,
                ranges[i].end
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_its_order_29_range_and_none_beyond_the_sky() {
        assert_eq!(cell_range(0, 0), Some(0..1 << 58));
        assert_eq!(cell_range(29, 5), Some(5..6));
        assert_eq!(cell_range(0, 12), None);
        assert_eq!(cell_range(30, 0), None);
    }

    #[test]
    fn ranges_must_be_non_empty_and_within_the_sky() {
        check_ranges(&[0..1, SKY_CELLS - 1..SKY_CELLS], "m", "ASCII").unwrap();
        let err = check_ranges(&[0..1, 3..3], "m", "ASCII")
            .unwrap_err()
            .to_string();
        assert!(err.contains("range 2 (3..3)"), "{err}");
        check_ranges(&[0..1, 2..SKY_CELLS + 1], "m", "FITS").unwrap_err();
        let err = check_depth(30, "m", "JSON").unwrap_err().to_string();
        assert!(err.contains("order 30 is above 29"), "{err}");
    }
}

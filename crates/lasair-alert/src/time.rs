//! Time as astronomers and people write it: Modified Julian Dates, their calendar dates (ZTF
//! objectIds carry the year, LSST visit ids the observing day) and UTC timestamps
//! (`2026-11-26 17:40:00`, as Lasair stamps a filter's results).

use std::time::{SystemTime, UNIX_EPOCH};

/// MJD of 1970-01-01.
const UNIX_EPOCH_MJD: i64 = 40_587;

/// The civil date (year, month, day) of an MJD (proleptic Gregorian calendar).
pub fn civil(mjd: f64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = mjd.floor() as i64 - UNIX_EPOCH_MJD + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The MJD of January 1st of a year.
pub fn new_year(year: i64) -> f64 {
    // Days from 1970 to the year, by counting leap days.
    let y = year - 1;
    let days =
        365 * (year - 1970) + (y / 4 - y / 100 + y / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    (UNIX_EPOCH_MJD + days) as f64
}

/// The MJD of a moment.
pub fn mjd_of(t: SystemTime) -> f64 {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    UNIX_EPOCH_MJD as f64 + secs / 86_400.0
}

/// The MJD now.
pub fn mjd_now() -> f64 {
    mjd_of(SystemTime::now())
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of an MJD, to the second below.
pub fn utc_string(mjd: f64) -> String {
    let (y, m, d) = civil(mjd);
    let secs = ((mjd - mjd.floor()) * 86_400.0).floor() as u32;
    let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil(40_587.0), (1970, 1, 1));
        assert_eq!(civil(59_396.9), (2021, 7, 1));
        assert_eq!(civil(60_800.0), (2025, 5, 5));
        assert_eq!(civil(51_603.5), (2000, 2, 29));
    }

    #[test]
    fn utc_strings_and_the_unix_epoch() {
        assert_eq!(utc_string(40_587.0), "1970-01-01 00:00:00");
        assert_eq!(utc_string(59_396.75), "2021-07-01 18:00:00");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 + 3_661);
        assert_eq!(utc_string(mjd_of(t)), "1971-01-01 01:01:01");
    }

    #[test]
    fn new_year_is_january_first() {
        for year in [1970, 2000, 2018, 2021, 2024, 2026] {
            assert_eq!(civil(new_year(year)), (year, 1, 1));
            assert_eq!(civil(new_year(year) - 1.0).0, year - 1);
        }
    }
}

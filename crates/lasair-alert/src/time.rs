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

/// The MJD of a civil date (proleptic Gregorian calendar).
pub fn mjd_of_date(year: i64, month: u32, day: u32) -> f64 {
    // Howard Hinnant's days-from-civil algorithm, the inverse of [`civil`].
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468 + UNIX_EPOCH_MJD) as f64
}

/// The MJD of `YYYY-MM-DD HH:MM:SS` (UTC, as [`utc_string`] writes it; fractions of a second
/// and a `T` between date and time are taken too), or of a bare `YYYY-MM-DD`. `None` for
/// anything else, or a date that does not exist.
pub fn mjd_of_utc(s: &str) -> Option<f64> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mjd = mjd_of_date(year, month, day);
    if civil(mjd) != (year, month, day) {
        return None;
    }
    let Some(time) = time else {
        return Some(mjd);
    };
    let mut t = time.trim_end_matches('Z').splitn(3, ':');
    let h: u32 = t.next()?.parse().ok()?;
    let m: u32 = t.next()?.parse().ok()?;
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    if h > 23 || m > 59 || !(0.0..61.0).contains(&sec) {
        return None;
    }
    Some(mjd + (f64::from(h * 3600 + m * 60) + sec) / 86_400.0)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) of an MJD, to the millisecond.
pub fn iso_utc(mjd: f64) -> String {
    let ms = (mjd * 86_400_000.0).round() as i64;
    let day = ms.div_euclid(86_400_000);
    let ms = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil(day as f64);
    let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// The MJDs (UTC) from which TAI - UTC grew by a second, from 1972 (IERS Bulletin C).
const LEAP_SECONDS: [f64; 28] = [
    41_317.0, 41_499.0, 41_683.0, 42_048.0, 42_413.0, 42_778.0, 43_144.0, 43_509.0, 43_874.0,
    44_239.0, 44_786.0, 45_151.0, 45_516.0, 46_247.0, 47_161.0, 47_892.0, 48_257.0, 48_804.0,
    49_169.0, 49_534.0, 50_083.0, 50_630.0, 51_179.0, 53_736.0, 54_832.0, 56_109.0, 57_204.0,
    57_754.0,
];

/// TAI - UTC in seconds at an MJD (UTC) from 1972: 10 s then, 37 s since 2017.
pub fn tai_minus_utc(mjd_utc: f64) -> f64 {
    let passed = LEAP_SECONDS.iter().filter(|&&m| mjd_utc >= m).count();
    if passed == 0 {
        10.0
    } else {
        9.0 + passed as f64
    }
}

/// The MJD in TAI (LSST's time scale) of an MJD in UTC.
pub fn tai_of_utc(mjd_utc: f64) -> f64 {
    mjd_utc + tai_minus_utc(mjd_utc) / 86_400.0
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
    fn utc_strings_read_back() {
        for mjd in [40_587.0, 51_603.5, 59_396.75, 61_014.123_45] {
            let s = utc_string(mjd);
            let back = mjd_of_utc(&s).expect(&s);
            assert!((back - mjd).abs() < 1.0 / 86_400.0, "{s}: {back} vs {mjd}");
            assert_eq!(utc_string(back + 1e-9), s);
        }
        assert_eq!(mjd_of_utc("2021-07-01"), Some(59_396.0));
        assert_eq!(mjd_of_utc("2021-07-01T18:00:00Z"), Some(59_396.75));
        for bad in [
            "2021-02-30",
            "2021-13-01",
            "yesterday",
            "2021-07-01 25:00:00",
            "",
        ] {
            assert_eq!(mjd_of_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_times_written_and_read_back() {
        let t = mjd_of_utc("2020-01-29T06:54:58.432376").expect("a time");
        assert!((t - 58_877.288_176_300_83).abs() < 1e-9, "{t}");
        assert_eq!(iso_utc(t), "2020-01-29T06:54:58.432Z");
        assert_eq!(mjd_of_utc(&iso_utc(t)).map(iso_utc), Some(iso_utc(t)));
        assert_eq!(iso_utc(58_709.999_999_999_9), "2019-08-15T00:00:00.000Z");
        assert_eq!(mjd_of_utc("2019-08-14T10:00:00+02:00"), None);
    }

    #[test]
    fn tai_runs_ahead_of_utc_by_the_leap_seconds() {
        assert_eq!(tai_minus_utc(41_000.0), 10.0);
        assert_eq!(tai_minus_utc(57_753.9), 36.0);
        assert_eq!(tai_minus_utc(58_877.3), 37.0);
        assert!((tai_of_utc(58_877.0) - 58_877.0 - 37.0 / 86_400.0).abs() < 1e-9);
    }

    #[test]
    fn new_year_is_january_first() {
        for year in [1970, 2000, 2018, 2021, 2024, 2026] {
            assert_eq!(civil(new_year(year)), (year, 1, 1));
            assert_eq!(civil(new_year(year) - 1.0).0, year - 1);
        }
    }
}

//! Angles on the sphere: separations, north/east offsets, galactic coordinates, and the
//! parsing of right ascension and declination in degrees or sexagesimal notation.

/// Arcseconds in one degree.
pub const ARCSEC_PER_DEG: f64 = 3600.0;

/// The angle between two positions (degrees in, arcseconds out), by the Vincenty formula,
/// which stays accurate from milliarcseconds to antipodes.
pub fn separation_arcsec(ra1: f64, dec1: f64, ra2: f64, dec2: f64) -> f64 {
    let (s1, c1) = dec1.to_radians().sin_cos();
    let (s2, c2) = dec2.to_radians().sin_cos();
    let (sd, cd) = (ra2 - ra1).to_radians().sin_cos();
    let x = c2 * sd;
    let y = c1 * s2 - s1 * c2 * cd;
    let z = s1 * s2 + c1 * c2 * cd;
    x.hypot(y).atan2(z).to_degrees() * ARCSEC_PER_DEG
}

/// The offset of `to` from `from` as (north, east) in arcseconds on the tangent plane at
/// `from` (gnomonic projection), as Sherlock reports northSeparationArcsec and
/// eastSeparationArcsec: east is positive towards increasing RA, whatever side of 0/360.
pub fn offsets_arcsec(ra_from: f64, dec_from: f64, ra_to: f64, dec_to: f64) -> (f64, f64) {
    let (s0, c0) = dec_from.to_radians().sin_cos();
    let (s1, c1) = dec_to.to_radians().sin_cos();
    let (sd, cd) = (ra_to - ra_from).to_radians().sin_cos();
    let cos_c = s0 * s1 + c0 * c1 * cd;
    let east = c1 * sd / cos_c;
    let north = (c0 * s1 - s0 * c1 * cd) / cos_c;
    (
        north.to_degrees() * ARCSEC_PER_DEG,
        east.to_degrees() * ARCSEC_PER_DEG,
    )
}

/// The rotation from ICRS/J2000 to galactic coordinates (IAU, as Hipparcos gives it).
const GALACTIC: [[f64; 3]; 3] = [
    [
        -0.054_875_560_416_215_4,
        -0.873_437_090_234_885,
        -0.483_835_015_548_713,
    ],
    [
        0.494_109_427_875_583_7,
        -0.444_829_629_960_011,
        0.746_982_244_497_219,
    ],
    [
        -0.867_666_149_019_004_7,
        -0.198_076_373_431_201,
        0.455_983_776_175_066,
    ],
];

/// Longitude and latitude (degrees) of a unit vector.
fn angles(v: [f64; 3]) -> (f64, f64) {
    let lon = v[1].atan2(v[0]).to_degrees().rem_euclid(360.0);
    (lon, v[2].clamp(-1.0, 1.0).asin().to_degrees())
}

/// The unit vector of a longitude and latitude (degrees).
fn vector(lon: f64, lat: f64) -> [f64; 3] {
    let (sb, cb) = lat.to_radians().sin_cos();
    let (sl, cl) = lon.to_radians().sin_cos();
    [cb * cl, cb * sl, sb]
}

/// Galactic longitude and latitude (degrees) of an ICRS/J2000 position (degrees).
pub fn galactic(ra: f64, dec: f64) -> (f64, f64) {
    let v = vector(ra, dec);
    let m = &GALACTIC;
    angles([0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2]))
}

/// The ICRS/J2000 position (degrees) of galactic longitude and latitude (degrees): the
/// inverse of [`galactic`] (the rotation's transpose).
pub fn equatorial(l: f64, b: f64) -> (f64, f64) {
    let g = vector(l, b);
    let m = &GALACTIC;
    angles([0, 1, 2].map(|c| m[0][c] * g[0] + m[1][c] * g[1] + m[2][c] * g[2]))
}

/// Ecliptic longitude and latitude (degrees, mean ecliptic and equinox of J2000) of an
/// ICRS/J2000 position (degrees): a rotation about the x axis by the obliquity.
pub fn ecliptic(ra: f64, dec: f64) -> (f64, f64) {
    /// The obliquity of the ecliptic at J2000 (IAU 2006), degrees.
    const OBLIQUITY: f64 = 23.439_279_444;
    let v = vector(ra, dec);
    let (s, c) = OBLIQUITY.to_radians().sin_cos();
    angles([v[0], c * v[1] + s * v[2], -s * v[1] + c * v[2]])
}

/// Right ascension (degrees) as sexagesimal hours `HH:MM:SS.sss`.
pub fn ra_sexagesimal(ra: f64) -> String {
    format_sexagesimal(ra.rem_euclid(360.0) / 15.0, false)
}

/// Declination (degrees) as sexagesimal degrees `+DD:MM:SS.ss`.
pub fn dec_sexagesimal(dec: f64) -> String {
    format_sexagesimal(dec, true)
}

fn format_sexagesimal(value: f64, signed: bool) -> String {
    let decimals = if signed { 2 } else { 3 };
    let scale = 10f64.powi(decimals);
    // Rounded once, in units of the last decimal, so 59.9996 s carries into the minute.
    let units = (value.abs() * 3600.0 * scale).round() as u64;
    let per_degree = 3600 * scale as u64;
    let (whole, rest) = (units / per_degree, units % per_degree);
    let (minutes, rest) = (rest / (60 * scale as u64), rest % (60 * scale as u64));
    let seconds = rest as f64 / scale;
    let width = 3 + decimals as usize;
    let sign = match (signed, value < 0.0 && units > 0) {
        (false, _) => "",
        (true, true) => "-",
        (true, false) => "+",
    };
    format!(
        "{sign}{whole:02}:{minutes:02}:{seconds:0width$.prec$}",
        prec = decimals as usize
    )
}

/// Why a coordinate did not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    #[error("{0:?} is not a number or sexagesimal angle")]
    Syntax(String),
    #[error("{0:?} is outside {1}")]
    Range(String, &'static str),
}

/// Right ascension in degrees from decimal degrees (`150.25`) or sexagesimal hours
/// (`10:01:00.0`, `10 01 00.0`, `10h01m00.0s`), normalised to [0, 360).
pub fn parse_ra(text: &str) -> Result<f64, CoordError> {
    let t = text.trim();
    let degrees = match sexagesimal(t)? {
        Some((sign, value)) => sign * value * 15.0,
        None => decimal(t)?,
    };
    if !(0.0..=360.0).contains(&degrees) {
        return Err(CoordError::Range(text.to_owned(), "0..360 degrees"));
    }
    Ok(degrees.rem_euclid(360.0))
}

/// Declination in degrees from decimal degrees (`-12.5`) or sexagesimal degrees
/// (`-12:30:00`, `-12 30 00`, `-12d30m00s`), within [-90, 90].
pub fn parse_dec(text: &str) -> Result<f64, CoordError> {
    let t = text.trim();
    let degrees = match sexagesimal(t)? {
        Some((sign, value)) => sign * value,
        None => decimal(t)?,
    };
    if !(-90.0..=90.0).contains(&degrees) {
        return Err(CoordError::Range(text.to_owned(), "-90..90 degrees"));
    }
    Ok(degrees)
}

fn decimal(t: &str) -> Result<f64, CoordError> {
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| CoordError::Syntax(t.to_owned()))
}

/// `Some((sign, units))` when `t` has two or three fields separated by `:`, spaces or
/// h/d/m/s letters; `None` when it is one field (decimal).
fn sexagesimal(t: &str) -> Result<Option<(f64, f64)>, CoordError> {
    let bad = || CoordError::Syntax(t.to_owned());
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let fields: Vec<&str> = body
        .split(|c: char| c == ':' || c.is_whitespace() || "hdmsHDMS°'\"".contains(c))
        .filter(|f| !f.is_empty())
        .collect();
    if fields.len() < 2 {
        return Ok(None);
    }
    if fields.len() > 3 {
        return Err(bad());
    }
    let mut value = 0.0;
    for (i, f) in fields.iter().enumerate() {
        let v: f64 = f.parse().map_err(|_| bad())?;
        let last = i + 1 == fields.len();
        if !v.is_finite() || v < 0.0 || (i > 0 && v >= 60.0) || (!last && v.fract() != 0.0) {
            return Err(bad());
        }
        value += v / 60f64.powi(i as i32);
    }
    Ok(Some((sign, value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecliptic_and_sexagesimal_as_astropy_gives_them() {
        // astropy 6: SkyCoord(ra, dec).barycentricmeanecliptic (J2000 equinox), and
        // .to_string('hmsdms', sep=':', precision=3 / 2).
        let (l, b) = ecliptic(150.0, 20.0);
        assert!(
            (l - 145.127_942).abs() < 1e-4 && (b - 7.290_688).abs() < 1e-4,
            "{l} {b}"
        );
        let (l, b) = ecliptic(0.0, 90.0);
        assert!(
            (l - 90.0).abs() < 1e-4 && (b - 66.560_719).abs() < 1e-4,
            "{l} {b}"
        );
        assert_eq!(ra_sexagesimal(150.25), "10:01:00.000");
        assert_eq!(ra_sexagesimal(359.999_999_99), "24:00:00.000");
        assert_eq!(dec_sexagesimal(-0.5), "-00:30:00.00");
        assert_eq!(dec_sexagesimal(20.123_456), "+20:07:24.44");
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn separations_across_ra_zero_and_at_the_pole() {
        // One arcsecond of declination is one arcsecond anywhere.
        assert!(close(
            separation_arcsec(10.0, 20.0, 10.0, 20.0 + 1.0 / 3600.0),
            1.0,
            1e-9
        ));
        // 0.001 degrees of RA either side of 0/360 at dec 0: 7.2".
        assert!(close(
            separation_arcsec(359.999, 0.0, 0.001, 0.0),
            7.2,
            1e-6
        ));
        // At the pole RA means nothing.
        assert!(close(separation_arcsec(0.0, 90.0, 180.0, 90.0), 0.0, 1e-6));
        assert!(close(
            separation_arcsec(0.0, 0.0, 180.0, 0.0),
            648_000.0,
            1e-6
        ));
    }

    #[test]
    fn offsets_have_the_right_signs_across_ra_zero() {
        let (n, e) = offsets_arcsec(359.9999, 10.0, 0.0001, 10.0);
        assert!(e > 0.0, "east is towards larger RA through 0: {e}");
        assert!(close(e, 0.0002 * 3600.0 * 10f64.to_radians().cos(), 1e-3));
        assert!(n.abs() < 1e-3);
        let (n, e) = offsets_arcsec(150.0, -30.0, 150.0, -30.0 - 2.0 / 3600.0);
        assert!(close(n, -2.0, 1e-6) && e.abs() < 1e-9);
    }

    #[test]
    fn galactic_of_known_positions() {
        // The north galactic pole and the galactic centre (J2000).
        let (_, b) = galactic(192.859_508, 27.128_336);
        assert!(close(b, 90.0, 1e-4), "{b}");
        let (l, b) = galactic(266.404_988, -28.936_17);
        assert!(close(l, 0.0, 1e-3) || close(l, 360.0, 1e-3), "{l}");
        assert!(close(b, 0.0, 1e-3), "{b}");
    }

    #[test]
    fn equatorial_undoes_galactic() {
        for (ra, dec) in [(0.0, 0.0), (123.4, -56.7), (359.99, 89.0), (266.4, -28.9)] {
            let (l, b) = galactic(ra, dec);
            let (ra2, dec2) = equatorial(l, b);
            assert!(separation_arcsec(ra, dec, ra2, dec2) < 1e-6, "{ra} {dec}");
        }
    }

    #[test]
    fn parses_degrees_and_sexagesimal() {
        assert_eq!(parse_ra("150.25").unwrap(), 150.25);
        assert!(close(parse_ra("10:01:00.0").unwrap(), 150.25, 1e-9));
        assert!(close(parse_ra("10h01m00s").unwrap(), 150.25, 1e-9));
        assert!(close(parse_dec("-12:30:00").unwrap(), -12.5, 1e-12));
        assert!(close(parse_dec("-00 30 00").unwrap(), -0.5, 1e-12));
        assert!(close(parse_dec("+45d30m36s").unwrap(), 45.51, 1e-12));
        assert_eq!(parse_ra("360").unwrap(), 0.0);
    }

    #[test]
    fn refuses_what_is_not_a_coordinate() {
        for bad in ["", "abc", "10:61:00", "10:00.5:00", "1:2:3:4", "NaN", "inf"] {
            assert!(parse_ra(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(parse_dec("91"), Err(CoordError::Range(..))));
        assert!(matches!(parse_ra("-1"), Err(CoordError::Range(..))));
    }
}

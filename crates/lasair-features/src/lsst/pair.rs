//! Pair colours: LSST revisits a field about 33 minutes later, often in another band; each
//! such pair of diaSources gives a colour and a blackbody temperature (Lasair-LSST's `pair`).

use super::blackbody::{band_index, colour_temperature, BANDS, WAVELENGTH};
use super::Source;

/// Two diaSources in different bands closer than this (days) make a pair: Lasair's 40
/// minutes, so that the 33-minute revisits qualify.
const PAIR_DAYS: f64 = 40.0 / (24.0 * 60.0);

/// The colour of one pair.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pair {
    /// The later source's MJD.
    pub mjd: f64,
    /// Blue minus red magnitude.
    pub colour_mag: f64,
    /// `blue-red`, e.g. `g-r`.
    pub bands: String,
    /// The blackbody temperature with that colour, kK.
    pub temp: f64,
}

/// The latest and the penultimate pairs, in time-sorted sources. A pair whose colour cannot
/// be measured (a flux not positive, no blackbody fits) still counts as found, leaving its
/// columns NULL, as in Lasair.
pub(crate) fn latest_pairs(sources: &[Source]) -> [Option<Pair>; 2] {
    let mut found = Vec::with_capacity(2);
    for w in sources.windows(2).rev() {
        let (early, late) = (&w[0], &w[1]);
        if late.mjd - early.mjd < PAIR_DAYS && late.band != early.band {
            found.push(colour(early, late).map(|mut p| {
                p.mjd = late.mjd;
                p
            }));
            if found.len() == 2 {
                break;
            }
        }
    }
    let mut found = found.into_iter();
    [found.next().flatten(), found.next().flatten()]
}

/// The colour and temperature of two sources in different bands.
fn colour(a: &Source, b: &Source) -> Option<Pair> {
    let (ia, ib) = (band_index(a.band)?, band_index(b.band)?);
    let (blue, red, ib, ir) = if ia < ib {
        (a, b, ia, ib)
    } else {
        (b, a, ib, ia)
    };
    let ratio = blue.flux / red.flux;
    if !(ratio > 0.0 && ratio.is_finite()) {
        return None;
    }
    // Lasair starts Newton's method at 12 kK only when the later source is the redder one
    // (else its start is unset, the error caught, and the pair left without a colour); we
    // start there always.
    let temp = colour_temperature(ratio, WAVELENGTH[ib], WAVELENGTH[ir])?;
    Some(Pair {
        mjd: f64::NAN,
        colour_mag: -2.5 * ratio.log10(),
        bands: format!("{}-{}", BANDS[ib], BANDS[ir]),
        temp,
    })
}

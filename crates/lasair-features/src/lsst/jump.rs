//! The jump detector (Lasair-LSST's `jump`): how many standard deviations the recent fluxes
//! of each band stand from that band's mean over the weeks before.

use super::blackbody::band_index;
use super::Source;

/// The baseline is the sources 10 to 70 days older than the latest...
const TEST_DAYS: f64 = 10.0;
const SAMPLE_DAYS: f64 = 60.0;
/// ...and a band needs this many there.
const MIN_SAMPLE: usize = 5;

/// The largest jump of any band and the largest of another band, in sigmas: 0 where no band
/// has a baseline. The test interval is the 10 days before the latest source, excluding it.
pub(crate) fn jumps(sources: &[Source]) -> (f64, f64) {
    let Some(last) = sources.last() else {
        return (0.0, 0.0);
    };
    let mut n = [0usize; 6];
    let (mut sum, mut sum2) = ([0.0f64; 6], [0.0f64; 6]);
    for s in sources {
        let age = last.mjd - s.mjd;
        if let (true, Some(b)) = (
            age > TEST_DAYS && age < TEST_DAYS + SAMPLE_DAYS,
            band_index(s.band),
        ) {
            n[b] += 1;
            sum[b] += s.flux;
            sum2[b] += s.flux * s.flux;
        }
    }
    let baseline: [Option<(f64, f64)>; 6] = std::array::from_fn(|b| {
        let m = n[b] as f64;
        let mean = sum[b] / m;
        let sd = ((sum2[b] - m * mean * mean) / (m - 1.0)).sqrt();
        (n[b] >= MIN_SAMPLE && sd > 0.0 && sd.is_finite()).then_some((mean, sd))
    });
    let mut best = [0.0f64; 6];
    for s in sources {
        let age = last.mjd - s.mjd;
        let Some(b) = band_index(s.band).filter(|_| age > 0.0 && age < TEST_DAYS) else {
            continue;
        };
        if let Some((mean, sd)) = baseline[b] {
            best[b] = best[b].max((s.flux - mean).abs() / sd);
        }
    }
    best.sort_by(f64::total_cmp);
    (best[5], best[4])
}

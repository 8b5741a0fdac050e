//! IRAF's zscale: the display limits of an astronomical image, computed exactly as astropy's
//! `ZScaleInterval().get_limits()` (astropy 8.0, `astropy/visualization/interval.py`) with its
//! defaults, so a cutout looks here as it does in astropy, DS9 or Lasair's own pages.
//!
//! Up to 1000 values are sampled at a stride, sorted, and a line fitted to them (value against
//! rank); values more than 2.5 sigma off the line are rejected, each rejection widened to its
//! neighbours, and the fit repeated (at most 5 times) while it keeps rejecting. If at least half
//! the samples survive, the limits are the median -/+ the slope over the contrast (0.25) times
//! the ranks on either side, within the samples' range; otherwise the samples' range itself.

/// Values sampled (`n_samples`).
const SAMPLES: usize = 1000;
/// `contrast`.
const CONTRAST: f64 = 0.25;
/// `max_reject`: the fraction of samples that may be rejected.
const MAX_REJECT: f64 = 0.5;
/// `min_npixels`.
const MIN_PIXELS: usize = 5;
/// `krej`: the rejection threshold in standard deviations.
const KREJ: f64 = 2.5;
/// `max_iterations`.
const MAX_ITERATIONS: usize = 5;

/// The zscale limits `(vmin, vmax)` of `values` (an image's pixels in any order astropy's
/// flattening gives: row after row); NaNs and infinities are dropped, as astropy drops them.
/// `None` when no value is finite (astropy raises an IndexError there).
pub fn zscale(values: &[f32]) -> Option<(f32, f32)> {
    let finite = values.iter().filter(|v| v.is_finite()).count();
    // astropy: stride = int(max(1.0, values.size / n_samples)); samples = values[::stride][:n]
    let stride = ((finite as f64 / SAMPLES as f64).max(1.0)) as usize;
    let mut samples: Vec<f32> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .step_by(stride)
        .take(SAMPLES)
        .collect();
    samples.sort_by(f32::total_cmp);
    let npix = samples.len();
    let (&lowest, &highest) = (samples.first()?, samples.last()?);
    let (vmin, vmax) = (f64::from(lowest), f64::from(highest));

    let minpix = MIN_PIXELS.max((npix as f64 * MAX_REJECT) as usize);
    let ngrow = 1.max((npix as f64 * 0.01) as usize);
    let mut bad = vec![false; npix];
    let mut good = npix;
    let mut last_good = npix + 1;
    let mut slope = f64::NAN;
    for _ in 0..MAX_ITERATIONS {
        if good >= last_good || good < minpix {
            break;
        }
        let (a, b) = fit_line(&samples, &bad);
        slope = a;
        let flat: Vec<f64> = samples
            .iter()
            .enumerate()
            .map(|(i, &y)| f64::from(y) - (a * i as f64 + b))
            .collect();
        let threshold = KREJ * std_of_good(&flat, &bad);
        for (flag, &f) in bad.iter_mut().zip(&flat) {
            if f < -threshold || f > threshold {
                *flag = true;
            }
        }
        bad = dilate(&bad, ngrow);
        last_good = good;
        good = bad.iter().filter(|b| !**b).count();
    }
    if good < minpix {
        return Some((lowest, highest));
    }
    let slope = slope / CONTRAST;
    let center = (npix - 1) / 2;
    let median = f64::from(median(&samples));
    let low = vmin.max(median - (center as f64 - 1.0) * slope);
    let high = vmax.min(median + (npix - center) as f64 * slope);
    Some((low as f32, high as f32))
}

/// The least-squares line `y = a x + b` through the good samples (`x` their rank), as
/// `np.polyfit(x, samples, 1, w=~bad)` fits it, in f64 (centred sums, for precision).
fn fit_line(samples: &[f32], bad: &[bool]) -> (f64, f64) {
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for (i, (&y, &b)) in samples.iter().zip(bad).enumerate() {
        if !b {
            n += 1.0;
            sx += i as f64;
            sy += f64::from(y);
        }
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (i, (&y, &b)) in samples.iter().zip(bad).enumerate() {
        if !b {
            let dx = i as f64 - mx;
            sxx += dx * dx;
            sxy += dx * (f64::from(y) - my);
        }
    }
    let a = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (a, my - a * mx)
}

/// The population standard deviation of the good values (`flat[~badpix].std()`).
fn std_of_good(flat: &[f64], bad: &[bool]) -> f64 {
    let (mut n, mut sum) = (0.0, 0.0);
    for (&f, &b) in flat.iter().zip(bad) {
        if !b {
            n += 1.0;
            sum += f;
        }
    }
    let mean = sum / n;
    let mut squares = 0.0;
    for (&f, &b) in flat.iter().zip(bad) {
        if !b {
            squares += (f - mean) * (f - mean);
        }
    }
    (squares / n).sqrt()
}

/// `np.convolve(bad, np.ones(ngrow, bool), mode='same')`, the rejections widened: sample `k`
/// is bad when any of `k - ngrow/2 ..= k + (ngrow-1)/2` was (where numpy centres a kernel of
/// even length).
fn dilate(bad: &[bool], ngrow: usize) -> Vec<bool> {
    let n = bad.len();
    let mut out = vec![false; n];
    for (i, _) in bad.iter().enumerate().filter(|(_, b)| **b) {
        let lo = i.saturating_sub((ngrow - 1) / 2);
        let hi = (i + ngrow / 2).min(n - 1);
        out[lo..=hi].fill(true);
    }
    out
}

/// `np.median` of sorted float32 samples: the middle one, or the mean of the two middle ones
/// computed in float32 as numpy computes it.
fn median(sorted: &[f32]) -> f32 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_is_placed_where_numpy_places_it() {
        // np.convolve(a, np.ones(m, bool), mode='same') with a[10] set, for m = 1..4 and 10:
        // [10], [10 11], [9 10 11], [9 .. 12], [6 .. 15].
        let mut a = vec![false; 20];
        a[10] = true;
        let set = |m| -> Vec<usize> {
            let d = dilate(&a, m);
            (0..20).filter(|&i| d[i]).collect()
        };
        assert_eq!(set(1), vec![10]);
        assert_eq!(set(2), vec![10, 11]);
        assert_eq!(set(3), vec![9, 10, 11]);
        assert_eq!(set(4), vec![9, 10, 11, 12]);
        assert_eq!(set(10), (6..=15).collect::<Vec<_>>());
        let mut edge = vec![false; 5];
        edge[0] = true;
        assert_eq!(dilate(&edge, 4), vec![true, true, true, false, false]);
    }

    #[test]
    fn too_few_values_give_their_range_and_none_give_none() {
        assert_eq!(zscale(&[]), None);
        assert_eq!(zscale(&[f32::NAN, f32::INFINITY]), None);
        assert_eq!(zscale(&[3.0, f32::NAN, 1.0, 2.0]), Some((1.0, 3.0)));
    }
}

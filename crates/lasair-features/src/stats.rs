//! Summary statistics of samples, as numpy computes them (population standard deviation,
//! median of an even count the mean of the middle two).

/// The mean; `None` for no samples.
pub(crate) fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The population standard deviation (numpy's `std`, ddof 0).
pub(crate) fn std(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
    Some(var.sqrt())
}

/// The median; sorts `xs` in place.
pub(crate) fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// The smallest and largest values.
pub(crate) fn min_max(xs: &[f64]) -> Option<(f64, f64)> {
    let first = *xs.first()?;
    Some(
        xs.iter()
            .fold((first, first), |(lo, hi), &x| (lo.min(x), hi.max(x))),
    )
}

/// Mean and population standard deviation of angles in degrees that may straddle 0/360
/// (right ascensions): measured from the first sample, so 359.9 and 0.1 average to 0.
pub(crate) fn circular_mean_std(degrees: &[f64]) -> Option<(f64, f64)> {
    let first = *degrees.first()?;
    let offsets: Vec<f64> = degrees
        .iter()
        .map(|d| (d - first + 180.0).rem_euclid(360.0) - 180.0)
        .collect();
    let m = mean(&offsets)?;
    Some(((first + m).rem_euclid(360.0), std(&offsets)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_match_numpy() {
        // numpy: mean 2.5, std 1.118033988749895, median 2.5
        let mut xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(mean(&xs), Some(2.5));
        assert!((std(&xs).unwrap() - 1.118_033_988_749_895).abs() < 1e-15);
        assert_eq!(min_max(&xs), Some((1.0, 4.0)));
        assert_eq!(median(&mut xs), Some(2.5));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn right_ascensions_across_zero_average_near_zero() {
        let (m, s) = circular_mean_std(&[359.9, 0.1]).unwrap();
        assert!(m.abs() < 1e-9 || (m - 360.0).abs() < 1e-9, "{m}");
        assert!((s - 0.1).abs() < 1e-9, "{s}");
        let (m, _) = circular_mean_std(&[10.0, 20.0]).unwrap();
        assert!((m - 15.0).abs() < 1e-12);
    }
}

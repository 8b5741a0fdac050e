//! A small Levenberg-Marquardt least-squares fitter for models of a handful of parameters
//! with analytic derivatives (the Bazin x blackbody fits of LSST's features).
//!
//! Written here rather than taken from a crate: the models have 3 or 5 parameters and a few
//! dozen points, so the whole method is a 5x5 linear solve per step; the crates that offer it
//! (`levenberg-marquardt`, `argmin`) bring nalgebra or ndarray for that, and a dependency
//! tree larger than this file. It follows Marquardt's scaling (the damping is proportional to
//! the diagonal of JᵀJ), which copes with parameters of very different sizes (a flux scale of
//! 10⁴ beside rates of 10⁻²), as MINPACK's `lmdif` behind scipy's `leastsq` does.

/// The result of a converged fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fit<const P: usize> {
    /// The best parameters.
    pub params: [f64; P],
    /// The sum of squared residuals at `params`.
    pub sse: f64,
    /// (JᵀJ)⁻¹ at `params`, the unscaled covariance (scipy's `cov_x`); `None` when singular.
    pub cov: Option<[[f64; P]; P]>,
}

/// A model of some data points.
pub(crate) trait Model<const P: usize> {
    /// Calls `each` with every point's residual (data minus model) at parameters `p` and the
    /// model's derivatives there with respect to each parameter. (All points at once, so a
    /// model can work out what the points share once per step.)
    fn residuals(&self, p: &[f64; P], each: impl FnMut(f64, [f64; P]));
}

/// Minimises the sum of squared residuals from `start` in at most `max_steps` trial steps
/// (each one evaluation of the model and its derivatives); `None` when it does not converge
/// within them or the model is not finite at the start.
pub(crate) fn levenberg_marquardt<const P: usize>(
    model: &impl Model<P>,
    start: [f64; P],
    max_steps: usize,
) -> Option<Fit<P>> {
    let mut p = start;
    let (mut jtj, mut jtr, mut sse) = normal_equations(model, &p)?;
    // Nielsen's damping control: λ follows how well the local linear model predicted the
    // last step (the gain ratio ρ).
    let (mut lambda, mut nu) = (1e-3, 2.0);
    for _ in 0..max_steps {
        let Some(step) = damped_step(&jtj, &jtr, lambda) else {
            (lambda, nu) = (lambda * nu, nu * 2.0);
            continue;
        };
        let q: [f64; P] = std::array::from_fn(|k| p[k] + step[k]);
        // The reduction of SSE the linearised model predicts: 2 δ·Jᵀr - δ·JᵀJ δ.
        let predicted: f64 = (0..P)
            .map(|a| step[a] * (2.0 * jtr[a] - (0..P).map(|b| jtj[a][b] * step[b]).sum::<f64>()))
            .sum();
        let small_step = (0..P).all(|k| step[k].abs() <= 1e-10 * (p[k].abs() + 1e-10));
        let trial = normal_equations(model, &q).filter(|t| t.2 <= sse);
        match trial {
            Some((tjtj, tjtr, tsse)) => {
                let actual = sse - tsse;
                let rho = if predicted > 0.0 {
                    actual / predicted
                } else {
                    1.0
                };
                (p, jtj, jtr, sse) = (q, tjtj, tjtr, tsse);
                let flat = actual <= 1e-12 * sse && predicted <= 1e-12 * sse;
                if flat || small_step || sse == 0.0 {
                    return Some(Fit {
                        params: p,
                        sse,
                        cov: invert(jtj),
                    });
                }
                lambda *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
                nu = 2.0;
            }
            None if small_step => {
                // Even the smallest steps do not help: a minimum, to the arithmetic's precision.
                return Some(Fit {
                    params: p,
                    sse,
                    cov: invert(jtj),
                });
            }
            None => (lambda, nu) = (lambda * nu, nu * 2.0),
        }
        if !lambda.is_finite() {
            return None;
        }
    }
    None
}

/// The Levenberg-Marquardt step: (JᵀJ + λ diag(JᵀJ)) δ = Jᵀr.
fn damped_step<const P: usize>(
    jtj: &[[f64; P]; P],
    jtr: &[f64; P],
    lambda: f64,
) -> Option<[f64; P]> {
    let mut a = *jtj;
    for (k, row) in a.iter_mut().enumerate() {
        row[k] += lambda * jtj[k][k].max(1e-300);
    }
    solve(a, *jtr)
}

type Normal<const P: usize> = ([[f64; P]; P], [f64; P], f64);

/// JᵀJ, Jᵀr and the sum of squared residuals at `p`; `None` when anything is not finite.
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn normal_equations<const P: usize>(model: &impl Model<P>, p: &[f64; P]) -> Option<Normal<P>> {
    let mut jtj = [[0.0; P]; P];
    let mut jtr = [0.0; P];
    let mut sse = 0.0;
    model.residuals(p, |r, g| {
        sse += r * r;
        for a in 0..P {
            jtr[a] += g[a] * r;
            for b in 0..=a {
                jtj[a][b] += g[a] * g[b];
            }
        }
    });
    for a in 0..P {
        for b in a + 1..P {
            jtj[a][b] = jtj[b][a];
        }
    }
    let finite = sse.is_finite()
        && jtr
            .iter()
            .chain(jtj.iter().flatten())
            .all(|v| v.is_finite());
    finite.then_some((jtj, jtr, sse))
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn solve<const P: usize>(mut a: [[f64; P]; P], mut b: [f64; P]) -> Option<[f64; P]> {
    for col in 0..P {
        let pivot = (col..P).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..P {
            let f = a[row][col] / a[col][col];
            for k in col..P {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; P];
    for row in (0..P).rev() {
        let tail: f64 = (row + 1..P).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The inverse of `a`, column by column; `None` when singular.
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn invert<const P: usize>(a: [[f64; P]; P]) -> Option<[[f64; P]; P]> {
    let mut inv = [[0.0; P]; P];
    for col in 0..P {
        let unit = std::array::from_fn(|k| if k == col { 1.0 } else { 0.0 });
        let x = solve(a, unit)?;
        for row in 0..P {
            inv[row][col] = x[row];
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = a exp(-b x) sampled without noise.
    struct Decay {
        x: Vec<f64>,
        y: Vec<f64>,
    }

    impl Model<2> for Decay {
        fn residuals(&self, p: &[f64; 2], mut each: impl FnMut(f64, [f64; 2])) {
            for (x, y) in self.x.iter().zip(&self.y) {
                let e = (-p[1] * x).exp();
                each(y - p[0] * e, [e, -p[0] * x * e]);
            }
        }
    }

    #[test]
    fn recovers_an_exact_exponential_from_far_away() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 * 0.5).collect();
        let y = x.iter().map(|x| 1000.0 * (-0.3 * x).exp()).collect();
        let fit = levenberg_marquardt(&Decay { x, y }, [1.0, 1.0], 500).expect("converges");
        assert!((fit.params[0] - 1000.0).abs() < 1e-6, "{:?}", fit.params);
        assert!((fit.params[1] - 0.3).abs() < 1e-9, "{:?}", fit.params);
        assert!(fit.sse < 1e-12);
    }

    #[test]
    fn linear_algebra_is_right() {
        let a = [[4.0, 1.0], [2.0, 3.0]];
        let x = solve(a, [1.0, 2.0]).expect("regular");
        assert!((x[0] - 0.1).abs() < 1e-15 && (x[1] - 0.6).abs() < 1e-15);
        let inv = invert(a).expect("regular");
        assert!((inv[0][0] - 0.3).abs() < 1e-15 && (inv[0][1] + 0.1).abs() < 1e-15);
        assert_eq!(solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 1.0]), None);
    }

    #[test]
    fn too_few_evaluations_is_a_failure() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let y = x.iter().map(|x| 50.0 * (-0.1 * x).exp()).collect();
        assert_eq!(levenberg_marquardt(&Decay { x, y }, [1.0, 2.0], 2), None);
    }
}

//! Nonlinear least squares by Moré's Levenberg-Marquardt method, the one of MINPACK's `lmdif`
//! that scipy's `leastsq` runs and Lasair-LSST's Bazin x blackbody fit calls: a trust region
//! scaled by the Jacobian's column norms, the step found by Moré's `lmpar` from a QR
//! factorisation with column pivoting, and the Jacobian by forward differences.
//!
//! It follows the published algorithm (J. J. Moré, "The Levenberg-Marquardt algorithm:
//! implementation and theory", Numerical Analysis, Lecture Notes in Mathematics 630, 1978;
//! Moré, Garbow and Hillstrom, "User guide for MINPACK-1", ANL-80-74, 1980) step for step,
//! with scipy's settings (ftol = xtol = 1.49012e-8, gtol = 0, factor 100, the machine
//! epsilon as the relative difference step), so that a fit walks the path Lasair's walks: its
//! starting guesses are far from most lightcurves, and which minimum a fit ends in, and so
//! which model Lasair keeps, depends on the way there. The models have 3 or 5 parameters and
//! a few dozen points; no linear-algebra crate is needed for that.

/// Where a fit stopped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fit<const P: usize> {
    /// Whether it stopped by one of `lmdif`'s convergence tests (its `info` 1 to 4), rather
    /// than by running out of evaluations or by tolerances too small for the arithmetic.
    pub converged: bool,
    /// The best parameters.
    pub params: [f64; P],
    /// The residuals at `params`.
    pub residuals: Vec<f64>,
    /// How many times the model was evaluated (scipy's `nfev`), the forward differences
    /// included.
    pub evaluations: usize,
    /// scipy's `cov_x`: (JᵀJ)⁻¹ from the last factorisation; `None` when R is singular or
    /// the fit did not converge.
    pub cov: Option<[[f64; P]; P]>,
}

/// A model of some data points.
pub(crate) trait Model<const P: usize> {
    /// Writes every point's residual (data minus model) at parameters `p` into `out`.
    fn residuals(&self, p: &[f64; P], out: &mut [f64]);
    /// The number of points.
    fn points(&self) -> usize;
}

/// scipy's `leastsq` tolerances: relative reduction of the sum of squares, relative step.
const FTOL: f64 = 1.49012e-8;
const XTOL: f64 = 1.49012e-8;
/// The initial trust region, `factor` times the scaled start.
const FACTOR: f64 = 100.0;

/// Minimises the sum of squared residuals from `start`, as `leastsq(func, start,
/// maxfev=max_evaluations)` does, and returns where it stopped; `None` when there are fewer
/// points than parameters (scipy raises).
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
pub(crate) fn leastsq<const P: usize>(
    model: &impl Model<P>,
    start: [f64; P],
    max_evaluations: usize,
) -> Option<Fit<P>> {
    let m = model.points();
    if m < P {
        return None;
    }
    let eps = f64::EPSILON;
    let mut x = start;
    let mut fvec = vec![0.0; m];
    model.residuals(&x, &mut fvec);
    let mut nfev = 1;
    let mut fnorm = enorm(&fvec);
    let mut par = 0.0;
    let mut first = true;
    let mut diag = [0.0; P];
    let (mut delta, mut xnorm) = (0.0, 0.0);
    // Columns of the Jacobian, then its QR factorisation in place.
    let mut fjac = vec![[0.0; P]; m];
    let mut trial = vec![0.0; m];
    loop {
        // The Jacobian by forward differences, h = √ε |x_j| (√ε where x_j is 0).
        for j in 0..P {
            let temp = x[j];
            let h = match eps.sqrt() * temp.abs() {
                0.0 => eps.sqrt(),
                h => h,
            };
            x[j] = temp + h;
            model.residuals(&x, &mut trial);
            x[j] = temp;
            for (row, (t, f)) in fjac.iter_mut().zip(trial.iter().zip(&fvec)) {
                row[j] = (t - f) / h;
            }
        }
        nfev += P;
        let qr = qrfac(&mut fjac);
        if first {
            diag = qr.acnorm.map(|n| if n == 0.0 { 1.0 } else { n });
            xnorm = enorm(&std::array::from_fn::<f64, P, _>(|j| diag[j] * x[j]));
            delta = FACTOR * xnorm;
            if delta == 0.0 {
                delta = FACTOR;
            }
        }
        // Qᵀ fvec, its first P components.
        let mut wa4 = fvec.clone();
        for j in 0..P {
            if fjac[j][j] != 0.0 {
                let sum: f64 = (j..m).map(|i| fjac[i][j] * wa4[i]).sum();
                let temp = -sum / fjac[j][j];
                for i in j..m {
                    wa4[i] += fjac[i][j] * temp;
                }
            }
            fjac[j][j] = qr.rdiag[j];
        }
        let qtf: [f64; P] = std::array::from_fn(|j| wa4[j]);
        let r: [[f64; P]; P] = std::array::from_fn(|i| fjac[i]);
        // The scaled gradient's norm; gtol is 0, so only an exactly zero gradient stops here.
        let mut gnorm: f64 = 0.0;
        if fnorm != 0.0 {
            for j in 0..P {
                let l = qr.ipvt[j];
                if qr.acnorm[l] != 0.0 {
                    let sum: f64 = (0..=j).map(|i| r[i][j] * (qtf[i] / fnorm)).sum();
                    gnorm = gnorm.max((sum / qr.acnorm[l]).abs());
                }
            }
        }
        if gnorm <= 0.0 {
            return Some(finish(true, x, fvec, nfev, &r, &qr.ipvt));
        }
        for j in 0..P {
            diag[j] = diag[j].max(qr.acnorm[j]);
        }
        // Steps within the trust region until one reduces the sum of squares enough.
        loop {
            let step = lmpar(&r, &qr.ipvt, &diag, &qtf, delta, &mut par);
            let dx = step.map(|s| -s);
            let xt: [f64; P] = std::array::from_fn(|j| x[j] + dx[j]);
            let pnorm = enorm(&std::array::from_fn::<f64, P, _>(|j| diag[j] * dx[j]));
            if first {
                delta = delta.min(pnorm);
            }
            model.residuals(&xt, &mut trial);
            nfev += 1;
            let fnorm1 = enorm(&trial);
            let actred = if 0.1 * fnorm1 < fnorm {
                1.0 - (fnorm1 / fnorm).powi(2)
            } else {
                -1.0
            };
            // The reduction the linear model predicts, and the directional derivative.
            let mut wa3 = [0.0; P];
            for j in 0..P {
                let temp = dx[qr.ipvt[j]];
                for i in 0..=j {
                    wa3[i] += r[i][j] * temp;
                }
            }
            let temp1 = enorm(&wa3) / fnorm;
            let temp2 = par.sqrt() * pnorm / fnorm;
            let prered = temp1 * temp1 + temp2 * temp2 / 0.5;
            let dirder = -(temp1 * temp1 + temp2 * temp2);
            let ratio = if prered != 0.0 { actred / prered } else { 0.0 };
            if ratio <= 0.25 {
                let mut temp = if actred >= 0.0 {
                    0.5
                } else {
                    0.5 * dirder / (dirder + 0.5 * actred)
                };
                if 0.1 * fnorm1 >= fnorm || temp < 0.1 {
                    temp = 0.1;
                }
                delta = temp * delta.min(pnorm / 0.1);
                par /= temp;
            } else if par == 0.0 || ratio >= 0.75 {
                delta = pnorm / 0.5;
                par *= 0.5;
            }
            if ratio >= 1e-4 {
                x = xt;
                std::mem::swap(&mut fvec, &mut trial);
                xnorm = enorm(&std::array::from_fn::<f64, P, _>(|j| diag[j] * x[j]));
                fnorm = fnorm1;
                first = false;
            }
            let converged = (actred.abs() <= FTOL && prered <= FTOL && 0.5 * ratio <= 1.0)
                || delta <= XTOL * xnorm;
            if converged {
                return Some(finish(true, x, fvec, nfev, &r, &qr.ipvt));
            }
            let stuck = nfev >= max_evaluations
                || (actred.abs() <= eps && prered <= eps && 0.5 * ratio <= 1.0)
                || delta <= eps * xnorm
                || gnorm <= eps;
            if stuck {
                return Some(finish(false, x, fvec, nfev, &r, &qr.ipvt));
            }
            if ratio >= 1e-4 {
                break;
            }
        }
    }
}

/// The fit as scipy returns it: `cov_x` is (RᵀR)⁻¹ of the last factorisation, permuted back.
fn finish<const P: usize>(
    converged: bool,
    params: [f64; P],
    residuals: Vec<f64>,
    evaluations: usize,
    r: &[[f64; P]; P],
    ipvt: &[usize; P],
) -> Fit<P> {
    let inv = invert_upper(r).filter(|_| converged);
    let cov = inv.map(|inv| {
        let mut cov = [[0.0; P]; P];
        for a in 0..P {
            for b in 0..P {
                let s: f64 = (0..P).map(|k| inv[a][k] * inv[b][k]).sum();
                cov[ipvt[a]][ipvt[b]] = s;
            }
        }
        cov
    });
    Fit {
        converged,
        params,
        residuals,
        evaluations,
        cov,
    }
}

/// The inverse of the upper triangle of `r` (LAPACK's `trtri`); `None` when a diagonal
/// element is zero.
fn invert_upper<const P: usize>(r: &[[f64; P]; P]) -> Option<[[f64; P]; P]> {
    let mut inv = [[0.0; P]; P];
    for j in (0..P).rev() {
        if r[j][j] == 0.0 {
            return None;
        }
        inv[j][j] = 1.0 / r[j][j];
        for i in (0..j).rev() {
            let sum: f64 = (i + 1..=j).map(|k| r[i][k] * inv[k][j]).sum();
            inv[i][j] = -sum / r[i][i];
        }
    }
    Some(inv)
}

/// The Euclidean norm, summed as MINPACK's `enorm` does: squares of middling components
/// directly, tiny and huge ones scaled so that they neither underflow nor overflow.
fn enorm(v: &[f64]) -> f64 {
    const RDWARF: f64 = 3.834e-20;
    const RGIANT: f64 = 1.304e19;
    let agiant = RGIANT / v.len().max(1) as f64;
    let (mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0);
    let (mut x1max, mut x3max): (f64, f64) = (0.0, 0.0);
    for &x in v {
        let xabs = x.abs();
        if xabs > RDWARF && xabs < agiant {
            s2 += xabs * xabs;
        } else if xabs <= RDWARF {
            if xabs > x3max {
                s3 = 1.0 + s3 * (x3max / xabs).powi(2);
                x3max = xabs;
            } else if xabs != 0.0 {
                s3 += (xabs / x3max).powi(2);
            }
        } else if xabs > x1max {
            s1 = 1.0 + s1 * (x1max / xabs).powi(2);
            x1max = xabs;
        } else {
            s1 += (xabs / x1max).powi(2);
        }
    }
    if s1 != 0.0 {
        x1max * (s1 + (s2 / x1max) / x1max).sqrt()
    } else if s2 != 0.0 {
        if s2 >= x3max {
            (s2 * (1.0 + (x3max / s2) * (x3max * s3))).sqrt()
        } else {
            (x3max * ((s2 / x3max) + (x3max * s3))).sqrt()
        }
    } else {
        x3max * s3.sqrt()
    }
}

/// A QR factorisation with column pivoting (MINPACK's `qrfac`).
struct Qr<const P: usize> {
    /// Column j of R is column `ipvt[j]` of the Jacobian.
    ipvt: [usize; P],
    /// R's diagonal.
    rdiag: [f64; P],
    /// The Jacobian's column norms.
    acnorm: [f64; P],
}

/// Householder QR of `a` (m x P) with column pivoting, in place: R above the diagonal, the
/// Householder vectors on and below it.
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn qrfac<const P: usize>(a: &mut [[f64; P]]) -> Qr<P> {
    let m = a.len();
    let eps = f64::EPSILON;
    let column = |a: &[[f64; P]], j: usize, from: usize| -> f64 {
        let col: Vec<f64> = a[from..].iter().map(|row| row[j]).collect();
        enorm(&col)
    };
    let acnorm: [f64; P] = std::array::from_fn(|j| column(a, j, 0));
    let mut rdiag = acnorm;
    let mut wa = acnorm;
    let mut ipvt: [usize; P] = std::array::from_fn(|j| j);
    for j in 0..P.min(m) {
        let mut kmax = j;
        for k in j..P {
            if rdiag[k] > rdiag[kmax] {
                kmax = k;
            }
        }
        if kmax != j {
            for row in a.iter_mut() {
                row.swap(j, kmax);
            }
            rdiag[kmax] = rdiag[j];
            wa[kmax] = wa[j];
            ipvt.swap(j, kmax);
        }
        let mut ajnorm = column(a, j, j);
        if ajnorm != 0.0 {
            if a[j][j] < 0.0 {
                ajnorm = -ajnorm;
            }
            for row in a[j..].iter_mut() {
                row[j] /= ajnorm;
            }
            a[j][j] += 1.0;
            for k in j + 1..P {
                let sum: f64 = a[j..].iter().map(|row| row[j] * row[k]).sum();
                let temp = sum / a[j][j];
                for row in a[j..].iter_mut() {
                    row[k] -= temp * row[j];
                }
                if rdiag[k] != 0.0 {
                    let temp = a[j][k] / rdiag[k];
                    rdiag[k] *= (1.0 - temp * temp).max(0.0).sqrt();
                    if 0.05 * (rdiag[k] / wa[k]).powi(2) <= eps {
                        rdiag[k] = column(a, k, j + 1);
                        wa[k] = rdiag[k];
                    }
                }
            }
        }
        rdiag[j] = -ajnorm;
    }
    Qr {
        ipvt,
        rdiag,
        acnorm,
    }
}

/// The Levenberg-Marquardt parameter for trust region `delta` (MINPACK's `lmpar`): updates
/// `par` and returns the step x solving (JᵀJ + par DᵀD) x = Jᵀf, whose scaled length |D x| is
/// within 10% of `delta` (or the Gauss-Newton step when that is shorter).
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn lmpar<const P: usize>(
    r: &[[f64; P]; P],
    ipvt: &[usize; P],
    diag: &[f64; P],
    qtb: &[f64; P],
    delta: f64,
    par: &mut f64,
) -> [f64; P] {
    let dwarf = f64::MIN_POSITIVE;
    // The Gauss-Newton direction (least squares if R is singular).
    let mut nsing = P;
    let mut wa1 = *qtb;
    for j in 0..P {
        if r[j][j] == 0.0 && nsing == P {
            nsing = j;
        }
        if nsing < P {
            wa1[j] = 0.0;
        }
    }
    for j in (0..nsing).rev() {
        wa1[j] /= r[j][j];
        let temp = wa1[j];
        for i in 0..j {
            wa1[i] -= r[i][j] * temp;
        }
    }
    let mut x = [0.0; P];
    for j in 0..P {
        x[ipvt[j]] = wa1[j];
    }
    let mut wa2: [f64; P] = std::array::from_fn(|j| diag[j] * x[j]);
    let mut dxnorm = enorm(&wa2);
    let mut fp = dxnorm - delta;
    if fp <= 0.1 * delta {
        *par = 0.0;
        return x;
    }
    // A lower bound for par (0 when the Jacobian is rank-deficient).
    let mut parl = 0.0;
    if nsing >= P {
        for j in 0..P {
            let l = ipvt[j];
            wa1[j] = diag[l] * (wa2[l] / dxnorm);
        }
        for j in 0..P {
            let sum: f64 = (0..j).map(|i| r[i][j] * wa1[i]).sum();
            wa1[j] = (wa1[j] - sum) / r[j][j];
        }
        let temp = enorm(&wa1);
        parl = ((fp / delta) / temp) / temp;
    }
    // An upper bound.
    for j in 0..P {
        let sum: f64 = (0..=j).map(|i| r[i][j] * qtb[i]).sum();
        wa1[j] = sum / diag[ipvt[j]];
    }
    let gnorm = enorm(&wa1);
    let mut paru = gnorm / delta;
    if paru == 0.0 {
        paru = dwarf / delta.min(0.1);
    }
    *par = par.max(parl).min(paru);
    if *par == 0.0 {
        *par = gnorm / dxnorm;
    }
    let mut s;
    let mut sdiag = [0.0; P];
    for iter in 1.. {
        if *par == 0.0 {
            *par = dwarf.max(0.001 * paru);
        }
        let d: [f64; P] = std::array::from_fn(|j| par.sqrt() * diag[j]);
        s = *r;
        x = qrsolv(&mut s, ipvt, &d, qtb, &mut sdiag);
        wa2 = std::array::from_fn(|j| diag[j] * x[j]);
        dxnorm = enorm(&wa2);
        let previous = fp;
        fp = dxnorm - delta;
        if fp.abs() <= 0.1 * delta
            || (parl == 0.0 && fp <= previous && previous < 0.0)
            || iter == 10
        {
            break;
        }
        // Newton's correction.
        for j in 0..P {
            let l = ipvt[j];
            wa1[j] = diag[l] * (wa2[l] / dxnorm);
        }
        for j in 0..P {
            wa1[j] /= sdiag[j];
            let temp = wa1[j];
            for i in j + 1..P {
                wa1[i] -= s[i][j] * temp;
            }
        }
        let temp = enorm(&wa1);
        let parc = ((fp / delta) / temp) / temp;
        if fp > 0.0 {
            parl = parl.max(*par);
        }
        if fp < 0.0 {
            paru = paru.min(*par);
        }
        *par = parl.max(*par + parc);
    }
    x
}

/// Solves R z = Qᵀb in the least-squares sense with the diagonal D appended below R
/// (MINPACK's `qrsolv`): `s` holds R above its diagonal and gets the lower triangle of the
/// new factor S below it, `sdiag` S's diagonal. Returns z in the original order.
// Matrix code reads best with explicit indices.
#[allow(clippy::needless_range_loop)]
fn qrsolv<const P: usize>(
    s: &mut [[f64; P]; P],
    ipvt: &[usize; P],
    diag: &[f64; P],
    qtb: &[f64; P],
    sdiag: &mut [f64; P],
) -> [f64; P] {
    let mut x = [0.0; P];
    let mut wa = *qtb;
    for j in 0..P {
        for i in j..P {
            s[i][j] = s[j][i];
        }
        x[j] = s[j][j];
    }
    // Eliminate D with Givens rotations.
    for j in 0..P {
        let l = ipvt[j];
        if diag[l] != 0.0 {
            for v in sdiag[j..].iter_mut() {
                *v = 0.0;
            }
            sdiag[j] = diag[l];
            let mut qtbpj = 0.0;
            for k in j..P {
                if sdiag[k] == 0.0 {
                    continue;
                }
                let (sin, cos) = if s[k][k].abs() < sdiag[k].abs() {
                    let cotan = s[k][k] / sdiag[k];
                    let sin = 0.5 / (0.25 + 0.25 * cotan * cotan).sqrt();
                    (sin, sin * cotan)
                } else {
                    let tan = sdiag[k] / s[k][k];
                    let cos = 0.5 / (0.25 + 0.25 * tan * tan).sqrt();
                    (cos * tan, cos)
                };
                s[k][k] = cos * s[k][k] + sin * sdiag[k];
                let temp = cos * wa[k] + sin * qtbpj;
                qtbpj = -sin * wa[k] + cos * qtbpj;
                wa[k] = temp;
                for i in k + 1..P {
                    let temp = cos * s[i][k] + sin * sdiag[i];
                    sdiag[i] = -sin * s[i][k] + cos * sdiag[i];
                    s[i][k] = temp;
                }
            }
        }
        sdiag[j] = s[j][j];
        s[j][j] = x[j];
    }
    // The triangular system, in the least-squares sense if singular.
    let mut nsing = P;
    for j in 0..P {
        if sdiag[j] == 0.0 && nsing == P {
            nsing = j;
        }
        if nsing < P {
            wa[j] = 0.0;
        }
    }
    for j in (0..nsing).rev() {
        let sum: f64 = (j + 1..nsing).map(|i| s[i][j] * wa[i]).sum();
        wa[j] = (wa[j] - sum) / sdiag[j];
    }
    let mut z = [0.0; P];
    for j in 0..P {
        z[ipvt[j]] = wa[j];
    }
    z
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
        fn residuals(&self, p: &[f64; 2], out: &mut [f64]) {
            for ((o, x), y) in out.iter_mut().zip(&self.x).zip(&self.y) {
                *o = y - p[0] * (-p[1] * x).exp();
            }
        }
        fn points(&self) -> usize {
            self.x.len()
        }
    }

    #[test]
    fn recovers_an_exact_exponential_from_far_away() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 * 0.5).collect();
        let y = x.iter().map(|x| 1000.0 * (-0.3 * x).exp()).collect();
        let fit = leastsq(&Decay { x, y }, [1.0, 1.0], 500).expect("converges");
        assert!((fit.params[0] - 1000.0).abs() < 1e-6, "{:?}", fit.params);
        assert!((fit.params[1] - 0.3).abs() < 1e-9, "{:?}", fit.params);
        assert!(enorm(&fit.residuals) < 1e-6);
    }

    #[test]
    fn the_norm_is_the_euclidean_norm_at_any_scale() {
        assert_eq!(enorm(&[3.0, 4.0]), 5.0);
        assert!((enorm(&[3e-30, 4e-30]) / 5e-30 - 1.0).abs() < 1e-15);
        assert!((enorm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert!((enorm(&[3e200, 4.0, 1e-30]) / 3e200 - 1.0).abs() < 1e-15);
    }

    #[test]
    fn the_covariance_is_the_inverse_of_jtj() {
        // A straight line y = a + b x: JᵀJ = [[n, Σx], [Σx, Σx²]] whatever the data.
        struct Line(Vec<f64>);
        impl Model<2> for Line {
            fn residuals(&self, p: &[f64; 2], out: &mut [f64]) {
                for (o, x) in out.iter_mut().zip(&self.0) {
                    *o = 2.0 * x + 1.0 - (p[0] + p[1] * x);
                }
            }
            fn points(&self) -> usize {
                self.0.len()
            }
        }
        let x = vec![0.0, 1.0, 2.0, 4.0];
        let fit = leastsq(&Line(x), [0.0, 0.0], 500).expect("converges");
        let cov = fit.cov.expect("regular");
        // JᵀJ = [[4, 7], [7, 21]], determinant 35.
        let want = [[21.0 / 35.0, -7.0 / 35.0], [-7.0 / 35.0, 4.0 / 35.0]];
        for a in 0..2 {
            for b in 0..2 {
                assert!((cov[a][b] - want[a][b]).abs() < 1e-6, "{cov:?}");
            }
        }
    }

    #[test]
    fn too_few_evaluations_is_a_failure() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let y = x.iter().map(|x| 50.0 * (-0.1 * x).exp()).collect();
        let fit = leastsq(&Decay { x, y }, [1.0, 2.0], 5).expect("enough points");
        assert!(!fit.converged && fit.evaluations >= 5 && fit.cov.is_none());
    }
}

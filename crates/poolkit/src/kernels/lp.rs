//! The Lp maths of the fast backward pass, written apart from `reference`'s so that a slip in
//! either shows in the kernel-versus-reference tests instead of passing both. They compute the
//! same arithmetic in the same order, `m·(Σ(|x|/m)^p)^(1/p)` with `m = max|x|` and libm's
//! `pow`, so they agree bit for bit.

/// The Lp norm of a window's values; NaN if any is NaN.
pub(super) fn norm(values: impl Iterator<Item = f64> + Clone, p: f64) -> f64 {
    let mut largest = 0.0f64;
    for v in values.clone() {
        if v.is_nan() {
            return f64::NAN;
        }
        if v.abs() > largest {
            largest = v.abs();
        }
    }
    if largest == 0.0 || largest == f64::INFINITY {
        return largest;
    }
    let mut sum = 0.0f64;
    for v in values {
        sum += libm::pow(v.abs() / largest, p);
    }
    largest * libm::pow(sum, 1.0 / p)
}

/// `∂y/∂x` for one input `x` of a window whose norm is `y`: `sign(x)·(|x|/y)^(p-1)`, and 0
/// at `x = 0` (the subgradient PyTorch takes at the kink).
pub(super) fn partial(x: f64, y: f64, p: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let magnitude = libm::pow(x.abs() / y, p - 1.0);
    if x < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_norm_and_its_partials_follow_the_formula() {
        let v = [3.0, -4.0];
        assert_eq!(norm(v.iter().copied(), 2.0), 5.0);
        assert_eq!(norm(v.iter().copied(), 1.0), 7.0);
        assert!(norm([1.0, f64::NAN].into_iter(), 2.0).is_nan());
        assert_eq!(norm([f64::INFINITY, 1.0].into_iter(), 2.0), f64::INFINITY);
        assert_eq!(partial(-4.0, 5.0, 2.0), -0.8);
        assert_eq!(partial(0.0, 5.0, 1.0), 0.0);
    }
}

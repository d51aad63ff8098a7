//! Issue 3's numerical proofs of the backward passes, in f64 on random geometries:
//! finite differences for every differentiable pooling (average, adaptive average, Lp,
//! global average/Lp, and max / adaptive max / global max on tie-free inputs), and the
//! adjoint identity `<A x, y> = <x, Aᵀ y>` for the linear ones (average in all its options,
//! adaptive and global average, max-unpooling).

mod gradcheck_support;

use gradcheck_support::{
    adaptive_case, avg_reduction, dot_and_scale, five_point, global_case, lp_reduction,
    unpool_case, window_case, Case, Held, Rng, UnpoolCase,
};
use poolkit::{
    max_unpool, max_unpool_backward, pool, pool_backward, IndexConvention, Layout, Reduction,
    TensorView, UnpoolPlan,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// The finite-difference step. Inputs are of order 1 (averages, Lp in `[0.5, 1.5)`), and
/// max inputs are at least 1/16 apart, so `±2h` neither crosses Lp's kink at 0 nor reorders
/// a max window (max is then exactly linear and the stencil exact up to rounding).
const STEP: f64 = 1e-3;

/// The accuracy the issue asks of the analytic gradient.
const REL: f64 = 1e-6;

/// Components checked one by one, at most; larger inputs get a random sample of them
/// (plus the directional derivatives, which see every component).
const MAX_COMPONENTS: usize = 48;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_global_rejects: 4 * cases,
        ..ProptestConfig::default()
    }
}

/// `<pool(x), dy>` and its scale `Σ |y_i dy_i|`.
fn objective(case: &Case, x: &[f64], dy: &[f64]) -> (f64, f64) {
    let plan = case.plan().expect("plan made once already");
    let y = pool(&plan, &TensorView::new(x, &case.shape).unwrap()).unwrap();
    dot_and_scale(y.data(), dy)
}

/// The tolerance for comparing an analytic derivative with a finite difference.
///
/// Relative part: `REL · max(|analytic|, |numeric|)`, the 1e-6.
/// Absolute floor: the difference quotient's rounding noise. Each evaluation of the
/// objective carries an error of about `k·ε·S` (`S = Σ|y_i dy_i|`, `k` the ~10 roundings
/// of a norm or mean and the sum), and the stencil multiplies it by `18 / 12h`; with
/// `k = 10` that is `3.3e-12 · S`. The floor `1e-10 · S` sits 30× above it, far below
/// `REL` for any gradient of order 1, so it only excuses components that are 0 or tiny.
/// Truncation: `h⁴ f⁽⁵⁾ / 30 ≈ 3e-14 · |f⁽⁵⁾|`, and `|f⁽⁵⁾| ≲ p⁴/|x|⁴ ≲ 5e4` for Lp
/// with `p ≤ 7.5` and `|x| ≥ 0.5` — about 2e-9, inside the relative part.
fn close(analytic: f64, numeric: f64, scale: f64) -> bool {
    (analytic - numeric).abs() <= REL * analytic.abs().max(numeric.abs()) + 1e-10 * scale
}

/// Checks `pool_backward` on `x` against finite differences of `<pool(x), dy>`:
/// component by component (all, or a random sample) and along two random directions.
fn check_gradient(case: &Case, x: &[f64], rng: &mut Rng) -> Result<(), TestCaseError> {
    let plan = match case.plan() {
        Ok(plan) => plan,
        Err(_) => return Err(TestCaseError::reject("geometry refused by the plan")),
    };
    let dy = rng.uniform(plan.output_len());
    let held = Held::new(x, &case.shape, case.strided);
    let dy_view = TensorView::new(&dy, plan.output_shape()).unwrap();
    let grad = pool_backward(&plan, &held.view(), &dy_view).unwrap();
    let grad = grad.data();
    let (_, scale) = objective(case, x, &dy);

    let components: Vec<usize> = if x.len() <= MAX_COMPONENTS {
        (0..x.len()).collect()
    } else {
        rng.permutation(x.len())[..MAX_COMPONENTS].to_vec()
    };
    for j in components {
        let numeric = five_point(
            |t| {
                let mut xt = x.to_vec();
                xt[j] += t;
                objective(case, &xt, &dy).0
            },
            STEP,
        );
        prop_assert!(
            close(grad[j], numeric, scale),
            "component {j}: analytic {} vs finite difference {numeric} (scale {scale})",
            grad[j]
        );
    }
    for _ in 0..2 {
        let v = rng.uniform(x.len());
        let (analytic, along) = dot_and_scale(grad, &v);
        let numeric = five_point(
            |t| {
                let xt: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + t * b).collect();
                objective(case, &xt, &dy).0
            },
            STEP,
        );
        // A directional derivative may cancel to near 0: its relative error is taken
        // against `Σ |g_j v_j|`, the size of the terms it sums.
        prop_assert!(
            (analytic - numeric).abs() <= REL * along + 1e-10 * scale,
            "direction: analytic {analytic} vs finite difference {numeric} (terms {along})"
        );
    }
    Ok(())
}

/// Checks `<pool(x), y> == <x, pool_backward(y)>` for a linear (average) plan.
fn check_adjoint(case: &Case, rng: &mut Rng) -> Result<(), TestCaseError> {
    let plan = match case.plan() {
        Ok(plan) => plan,
        Err(_) => return Err(TestCaseError::reject("geometry refused by the plan")),
    };
    let x = rng.uniform(case.len());
    let y = rng.uniform(plan.output_len());
    let held = Held::new(&x, &case.shape, case.strided);
    let ax = pool(&plan, &held.view()).unwrap();
    let y_view = TensorView::new(&y, plan.output_shape()).unwrap();
    let aty = pool_backward(&plan, &held.view(), &y_view).unwrap();
    let (lhs, lhs_scale) = dot_and_scale(ax.data(), &y);
    let (rhs, rhs_scale) = dot_and_scale(&x, aty.data());
    assert_adjoint(lhs, rhs, lhs_scale + rhs_scale)
}

/// `lhs == rhs` to 1e-12 relative. Both are sums of the same products `x_j y_i / d_i`
/// grouped differently, so their difference is pure rounding, bounded by a few hundred ε
/// times the sum of the terms' magnitudes — the scale the 1e-12 is taken against (a
/// relative error against `|lhs|` alone would blow up when the sum cancels).
fn assert_adjoint(lhs: f64, rhs: f64, scale: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        (lhs - rhs).abs() <= 1e-12 * scale,
        "<Ax, y> = {lhs} but <x, Aᵀy> = {rhs} (terms {scale})"
    );
    Ok(())
}

fn max() -> impl Strategy<Value = Reduction> + Clone {
    Just(Reduction::Max)
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn avg_gradient_matches_finite_differences(case in window_case(avg_reduction()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn adaptive_avg_gradient_matches_finite_differences(case in adaptive_case(avg_reduction()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn global_avg_gradient_matches_finite_differences(case in global_case(avg_reduction()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn lp_gradient_matches_finite_differences(case in window_case(lp_reduction()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.away_from_zero(case.len());
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn global_lp_gradient_matches_finite_differences(case in global_case(lp_reduction()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.away_from_zero(case.len());
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn max_gradient_matches_finite_differences_without_ties(case in window_case(max()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.distinct(case.len(), 1.0 / 16.0);
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn adaptive_max_gradient_matches_finite_differences_without_ties(case in adaptive_case(max()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.distinct(case.len(), 1.0 / 16.0);
        check_gradient(&case, &x, &mut rng)?;
    }

    #[test]
    fn global_max_gradient_matches_finite_differences_without_ties(case in global_case(max()), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = rng.distinct(case.len(), 1.0 / 16.0);
        check_gradient(&case, &x, &mut rng)?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn avg_backward_is_the_adjoint_of_avg(case in window_case(avg_reduction()), seed in any::<u64>()) {
        check_adjoint(&case, &mut Rng::new(seed))?;
    }

    #[test]
    fn adaptive_avg_backward_is_the_adjoint_of_adaptive_avg(case in adaptive_case(avg_reduction()), seed in any::<u64>()) {
        check_adjoint(&case, &mut Rng::new(seed))?;
    }

    #[test]
    fn global_avg_backward_is_the_adjoint_of_global_avg(case in global_case(avg_reduction()), seed in any::<u64>()) {
        check_adjoint(&case, &mut Rng::new(seed))?;
    }

    #[test]
    fn unpool_backward_is_the_adjoint_of_unpool(case in unpool_case(), seed in any::<u64>()) {
        check_unpool_adjoint(&case, &mut Rng::new(seed))?;
    }
}

/// Draws indices with no repeats (within a plane for PyTorch's, over the whole tensor for
/// ONNX's), so unpooling is a partial permutation and the gather is exactly its transpose.
fn distinct_indices(case: &UnpoolCase, plan: &UnpoolPlan, rng: &mut Rng) -> Vec<i64> {
    let (batch, channels, in_spatial) = case.layout.split_shape(&case.shape);
    let out_plane: usize = case
        .layout
        .split_shape(plan.output_shape())
        .2
        .iter()
        .product();
    let in_plane: usize = in_spatial.iter().product();
    let mut indices = vec![0i64; case.shape.iter().product()];
    let mut whole = rng.permutation(out_plane * channels * batch).into_iter();
    for n in 0..batch {
        for c in 0..channels {
            let mut plane = rng.permutation(out_plane).into_iter();
            let mut k = 0;
            gradcheck_support::each_index(in_spatial, |p| {
                let at = gradcheck_support::offset_of(case.layout, &case.shape, n, c, p);
                indices[at] = match case.convention {
                    IndexConvention::Torch => plane.next().unwrap() as i64,
                    IndexConvention::Onnx(_) => whole.next().unwrap() as i64,
                };
                k += 1;
            });
            debug_assert_eq!(k, in_plane);
        }
    }
    indices
}

fn check_unpool_adjoint(case: &UnpoolCase, rng: &mut Rng) -> Result<(), TestCaseError> {
    let plan = UnpoolPlan::new(&case.spec, &case.shape, case.layout)
        .map_err(|e| TestCaseError::fail(format!("unpool plan refused: {e}")))?;
    let indices = distinct_indices(case, &plan, rng);
    let x = rng.uniform(case.shape.iter().product());
    let y = rng.uniform(plan.output_shape().iter().product());
    let idx_view = TensorView::new(&indices, &case.shape).unwrap();
    let ax = max_unpool(
        &plan,
        &TensorView::new(&x, &case.shape).unwrap(),
        &idx_view,
        case.convention,
    )
    .unwrap();
    let aty = max_unpool_backward(
        &plan,
        &TensorView::new(&y, plan.output_shape()).unwrap(),
        &idx_view,
        case.convention,
    )
    .unwrap();
    let (lhs, lhs_scale) = dot_and_scale(ax.data(), &y);
    let (rhs, rhs_scale) = dot_and_scale(&x, aty.data());
    assert_adjoint(lhs, rhs, lhs_scale + rhs_scale)
}

/// A test that can fail: the finite-difference check rejects a gradient off by 1e-5.
#[test]
fn gradient_check_rejects_a_slightly_wrong_gradient() {
    let case = Case {
        spec: poolkit::PoolSpec::lp(poolkit::WindowSpec::new(&[2, 2]).strides(&[1, 1]), 3.0),
        shape: vec![1, 1, 3, 3],
        layout: Layout::ChannelsFirst,
        strided: false,
    };
    let x = Rng::new(7).away_from_zero(9);
    let dy = vec![1.0; 4];
    let plan = case.plan().unwrap();
    let grad = pool_backward(
        &plan,
        &TensorView::new(&x, &case.shape).unwrap(),
        &TensorView::new(&dy, plan.output_shape()).unwrap(),
    )
    .unwrap();
    let (_, scale) = objective(&case, &x, &dy);
    let numeric = five_point(
        |t| {
            let mut xt = x.clone();
            xt[4] += t;
            objective(&case, &xt, &dy).0
        },
        STEP,
    );
    assert!(close(grad.data()[4], numeric, scale));
    assert!(!close(grad.data()[4] * (1.0 + 1e-5), numeric, scale));
}

//! Each element type follows its stated arithmetic: half floats are the `f64` result rounded
//! once (max exact), integers pool max exactly and average to the exact mean rounded half to
//! even (saturating), and Lp pooling of integers is refused.

mod brute;

use brute::strategies::{case_with, value, Case};
use brute::tensors::{close, same_value};
use brute::{brute_indices, brute_pool, sum_and_divisor, BruteOutput};
use poolkit::{
    bf16, f16, max_pool_with_indices, pool, Element, ErrorKind, IndexConvention, Layout, PoolPlan,
    PoolSpec, Reduction, TensorView, WindowSpec,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::cmp::Ordering;

/// Plans and brute-forces `data`; `None` when the geometry has no valid output.
fn planned<T: Element>(case: &Case, data: &[T]) -> Option<(PoolPlan, BruteOutput)> {
    let widened: Vec<f64> = data.iter().map(|v| v.to_f64()).collect();
    let plan = PoolPlan::new(&case.spec, &case.shape, Layout::ChannelsFirst).ok()?;
    let brute = brute_pool(&case.spec, &widened, &case.shape)
        .expect("brute force agrees the geometry is valid");
    Some((plan, brute))
}

/// Max pooling's indices (Torch convention) are the brute force's; other reductions pass.
fn max_indices_agree<T: Element>(
    case: &Case,
    plan: &PoolPlan,
    input: &TensorView<T>,
    brute: &BruteOutput,
) -> Result<(), TestCaseError> {
    if case.spec.reduction == Reduction::Max {
        let (_, indices) = max_pool_with_indices(plan, input, IndexConvention::Torch).unwrap();
        prop_assert_eq!(
            indices.data(),
            &brute_indices(brute, IndexConvention::Torch, &case.shape)[..]
        );
    }
    Ok(())
}

/// Half floats: max exact with indices, average the f64 mean rounded once, Lp within `lp_rel`.
fn half_float_agrees<T: Element>(
    case: &Case,
    from_f64: fn(f64) -> T,
    lp_rel: f64,
) -> Result<(), TestCaseError> {
    let data: Vec<T> = case.data.iter().map(|&v| from_f64(v)).collect();
    let Some((plan, brute)) = planned(case, &data) else {
        return Ok(());
    };
    let input = TensorView::new(&data, &case.shape).unwrap();
    let got = pool(&plan, &input).unwrap();
    for (g, want) in got.data().iter().zip(&brute.values) {
        let g = g.to_f64();
        match case.spec.reduction {
            Reduction::Max | Reduction::Avg { .. } => {
                prop_assert!(
                    same_value(g, from_f64(*want).to_f64()),
                    "{} vs {} rounded once",
                    g,
                    want
                )
            }
            Reduction::Lp { .. } => prop_assert!(close(g, *want, lp_rel), "{} vs {}", g, want),
        }
    }
    max_indices_agree(case, &plan, &input, &brute)
}

/// `sum / divisor` rounded half to even, in exact integer arithmetic.
fn round_half_even(sum: i64, divisor: i64) -> i64 {
    let (q, r) = (sum.div_euclid(divisor), sum.rem_euclid(divisor));
    match (2 * r).cmp(&divisor) {
        Ordering::Less => q,
        Ordering::Greater => q + 1,
        Ordering::Equal => q + q.rem_euclid(2),
    }
}

/// Integers: max exact with indices; average the exact mean rounded half to even, saturated.
fn integer_agrees<T: Element>(
    case: &Case,
    from_i64: fn(i64) -> T,
    range: (i64, i64),
) -> Result<(), TestCaseError> {
    let data: Vec<T> = case.data.iter().map(|&v| from_i64(v as i64)).collect();
    let Some((plan, brute)) = planned(case, &data) else {
        return Ok(());
    };
    let input = TensorView::new(&data, &case.shape).unwrap();
    let got = pool(&plan, &input).unwrap();
    for (k, (g, summary)) in got.data().iter().zip(&brute.summaries).enumerate() {
        let want = match case.spec.reduction {
            Reduction::Max => brute.values[k] as i64,
            _ => {
                let (sum, divisor) = sum_and_divisor(summary, case.spec.reduction);
                round_half_even(sum as i64, divisor as i64).clamp(range.0, range.1)
            }
        };
        prop_assert_eq!(g.to_f64(), want as f64, "output {}", k);
    }
    max_indices_agree(case, &plan, &input, &brute)
}

fn max_or_avg() -> BoxedStrategy<Reduction> {
    prop_oneof![
        Just(Reduction::Max),
        (any::<bool>(), prop::option::of(1usize..=6)).prop_map(
            |(count_include_pad, divisor_override)| {
                Reduction::Avg {
                    count_include_pad,
                    divisor_override,
                }
            }
        ),
    ]
    .boxed()
}

/// Integer-valued f64s in `[lo, hi]`, half of them from a narrow band so windows tie.
fn integers(lo: i64, hi: i64) -> BoxedStrategy<f64> {
    prop_oneof![(lo..=hi), (lo..=lo + 3), (hi - 3..=hi)]
        .prop_map(|v| v as f64)
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn f16_is_the_f64_result_rounded_once(case in case_with(brute::strategies::reduction().boxed(), value().boxed())) {
        half_float_agrees::<f16>(&case, f16::from_f64, 1e-3)?;
    }

    #[test]
    fn bf16_is_the_f64_result_rounded_once(case in case_with(brute::strategies::reduction().boxed(), value().boxed())) {
        half_float_agrees::<bf16>(&case, bf16::from_f64, 4e-3)?;
    }

    #[test]
    fn u8_max_is_exact_and_mean_rounds_half_to_even(case in case_with(max_or_avg(), integers(0, 255))) {
        integer_agrees::<u8>(&case, |v| v as u8, (0, 255))?;
    }

    #[test]
    fn i8_max_is_exact_and_mean_rounds_half_to_even(case in case_with(max_or_avg(), integers(-128, 127))) {
        integer_agrees::<i8>(&case, |v| v as i8, (-128, 127))?;
    }

    #[test]
    fn u16_max_is_exact_and_mean_rounds_half_to_even(case in case_with(max_or_avg(), integers(0, 65535))) {
        integer_agrees::<u16>(&case, |v| v as u16, (0, 65535))?;
    }
}

/// A 1-D average of width `kernel` over `data`, as type `T`.
fn avg_1d<T: Element>(data: &[T], kernel: usize) -> Vec<T> {
    let spec = PoolSpec::avg(WindowSpec::new(&[kernel]));
    let shape = [1, 1, data.len()];
    let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
    pool(&plan, &TensorView::new(data, &shape).unwrap())
        .unwrap()
        .into_vec()
}

#[test]
fn integer_means_of_exactly_half_round_to_even() {
    // Pairs whose mean is exactly k + 0.5: the even neighbour wins.
    assert_eq!(avg_1d::<u8>(&[1, 2, 2, 3, 4, 5, 5, 6], 2), vec![2, 2, 4, 6]);
    assert_eq!(avg_1d::<u8>(&[254, 255], 2), vec![254]);
    // Negative halves round to even too, not away from or toward zero.
    assert_eq!(
        avg_1d::<i8>(&[-3, -2, -4, -3, 127, -128], 2),
        vec![-2, -4, 0]
    );
    assert_eq!(avg_1d::<u16>(&[65534, 65535, 0, 1], 2), vec![65534, 0]);
    // Quarter means of four elements round to nearest: 2.25 -> 2, 2.75 -> 3, 2.5 -> 2, 3.5 -> 4.
    assert_eq!(
        avg_1d::<u8>(&[2, 2, 2, 3, 2, 3, 3, 3, 2, 2, 3, 3, 3, 3, 4, 4], 4),
        vec![2, 3, 2, 4]
    );
}

#[test]
fn lp_pooling_of_integers_is_refused() {
    let spec = PoolSpec::lp(WindowSpec::new(&[2]), 2.0);
    let plan = PoolPlan::new(&spec, &[1, 1, 4], Layout::ChannelsFirst).unwrap();
    let check = |err: poolkit::Error, name: &str| {
        assert_eq!(err.kind(), ErrorKind::UnsupportedType, "{err}");
        assert!(
            err.message().contains(name) && err.message().contains("float"),
            "{err}"
        );
    };
    check(
        pool(
            &plan,
            &TensorView::new(&[1u8, 2, 3, 4], &[1, 1, 4]).unwrap(),
        )
        .unwrap_err(),
        "u8",
    );
    check(
        pool(
            &plan,
            &TensorView::new(&[1i8, 2, 3, 4], &[1, 1, 4]).unwrap(),
        )
        .unwrap_err(),
        "i8",
    );
    check(
        pool(
            &plan,
            &TensorView::new(&[1u16, 2, 3, 4], &[1, 1, 4]).unwrap(),
        )
        .unwrap_err(),
        "u16",
    );
    let global =
        PoolPlan::new(&PoolSpec::global_lp(3.0), &[1, 1, 4], Layout::ChannelsFirst).unwrap();
    check(
        pool(
            &global,
            &TensorView::new(&[1u8, 2, 3, 4], &[1, 1, 4]).unwrap(),
        )
        .unwrap_err(),
        "u8",
    );
    // The same plan pools floats.
    let out = pool(
        &plan,
        &TensorView::new(&[3.0f32, 4.0, 0.0, 0.0], &[1, 1, 4]).unwrap(),
    )
    .unwrap();
    assert_eq!(out.data(), &[5.0, 0.0]);
}

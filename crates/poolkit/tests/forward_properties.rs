//! Property tests of the forward engine against the independent brute force in `brute/`:
//! every geometry, reduction and index convention on random 1-D/2-D/3-D inputs, the
//! channels-last layout, and the shape functions.

mod brute;

use brute::strategies::{case, layout, Case};
use brute::tensors::{agree, finite_magnitude, same_value, to_channels_first, to_channels_last};
use brute::{brute_indices, brute_pool, sum_and_divisor, BruteOutput};
use poolkit::{
    max_pool_with_indices, output_shape, output_shape_in_format, pool, Element, ErrorKind,
    IndexConvention, Layout, PoolPlan, PoolSpec, Reduction, StorageOrder, TensorView,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CONVENTIONS: [IndexConvention; 3] = [
    IndexConvention::Torch,
    IndexConvention::Onnx(StorageOrder::RowMajor),
    IndexConvention::Onnx(StorageOrder::ColumnMajor),
];

/// Plans `case` channels-first and brute-forces it; `None` when both agree that no valid
/// output exists (the library must then say `EmptyOutput`).
fn plan_and_brute(
    case: &Case,
    widened: &[f64],
) -> Result<Option<(PoolPlan, BruteOutput)>, TestCaseError> {
    let plan = PoolPlan::new(&case.spec, &case.shape, Layout::ChannelsFirst);
    match (plan, brute_pool(&case.spec, widened, &case.shape)) {
        (Ok(plan), Ok(brute)) => Ok(Some((plan, brute))),
        (Err(e), Err(_)) => {
            prop_assert_eq!(e.kind(), ErrorKind::EmptyOutput, "{}", e);
            Ok(None)
        }
        (Err(e), Ok(_)) => Err(TestCaseError::fail(format!(
            "the library refused ({e}) but every window of the brute force reads an input"
        ))),
        (Ok(plan), Err(why)) => Err(TestCaseError::fail(format!(
            "the library planned {:?} but the brute force finds no valid output: {why}",
            plan.output_shape()
        ))),
    }
}

/// Pools `case` as element type `T` and compares with the brute force on the same values:
/// max bit-exact with indices in every convention, average and Lp within `rel`.
fn agrees_with_brute_force<T: Element>(
    case: &Case,
    to_element: fn(f64) -> T,
    rel: f64,
) -> Result<(), TestCaseError> {
    let data: Vec<T> = case.data.iter().map(|&v| to_element(v)).collect();
    let widened: Vec<f64> = data.iter().map(|v| v.to_f64()).collect();
    let Some((plan, brute)) = plan_and_brute(case, &widened)? else {
        return Ok(());
    };
    let input = TensorView::new(&data, &case.shape).unwrap();
    let out = pool(&plan, &input).unwrap();
    let mut want_shape = case.shape[..2].to_vec();
    want_shape.extend(&brute.out_spatial);
    prop_assert_eq!(out.shape(), &want_shape[..]);
    let windows = out.data().iter().zip(&brute.values).zip(&brute.summaries);
    for (k, ((got, want), summary)) in windows.enumerate() {
        let got = got.to_f64();
        // Rounding the brute force's f64 into T first makes the tolerance T's, not f64's.
        let want = to_element(*want).to_f64();
        // Average tolerance is relative to the window's mean magnitude, so that a sum
        // cancelling to almost nothing may still differ by another summation order's rounding.
        let (_, divisor) = sum_and_divisor(summary, case.spec.reduction);
        let magnitude = summary.inputs.iter().map(|(v, _)| v.abs()).sum::<f64>() / divisor as f64;
        prop_assert!(
            agree(case.spec.reduction, got, want, magnitude, rel),
            "output {}: {} vs {}",
            k,
            got,
            want
        );
    }
    if case.spec.reduction == Reduction::Max {
        for convention in CONVENTIONS {
            let (values, indices) = max_pool_with_indices(&plan, &input, convention).unwrap();
            let same = values.data().iter().zip(out.data());
            prop_assert!(same
                .into_iter()
                .all(|(a, b)| same_value(a.to_f64(), b.to_f64())));
            prop_assert_eq!(
                indices.data(),
                &brute_indices(&brute, convention, &case.shape)[..],
                "{:?}",
                convention
            );
        }
    }
    Ok(())
}

/// The channels-last layout of `spec` on `case`, transposed back to channels-first, with
/// indices when the spec is a max pooling.
fn pooled_channels_last(case: &Case, convention: IndexConvention) -> (Vec<f64>, Vec<i64>) {
    let (data, shape) = to_channels_last(&case.data, &case.shape);
    let plan = PoolPlan::new(&case.spec, &shape, Layout::ChannelsLast).unwrap();
    let input = TensorView::new(&data, &shape).unwrap();
    if case.spec.reduction == Reduction::Max {
        let (values, indices) = max_pool_with_indices(&plan, &input, convention).unwrap();
        let values = to_channels_first(values.data(), values.shape()).0;
        let indices = to_channels_first(indices.data(), indices.shape()).0;
        (values, indices)
    } else {
        let out = pool(&plan, &input).unwrap();
        (to_channels_first(out.data(), out.shape()).0, Vec::new())
    }
}

/// Spatial axis letters for a format string of `rank` spatial axes.
fn spatial_letters(rank: usize) -> &'static str {
    ["l", "hw", "dhw"][rank - 1]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn f64_pooling_agrees_with_brute_force(case in case()) {
        agrees_with_brute_force::<f64>(&case, |v| v, 1e-12)?;
    }

    #[test]
    fn f32_pooling_agrees_with_brute_force(case in case()) {
        agrees_with_brute_force::<f32>(&case, |v| v as f32, 1e-6)?;
    }

    #[test]
    fn channels_last_is_channels_first_transposed(
        case in case(),
        convention in prop::sample::select(CONVENTIONS.to_vec()),
    ) {
        let Ok(plan) = PoolPlan::new(&case.spec, &case.shape, Layout::ChannelsFirst) else {
            let (_, shape) = to_channels_last(&case.data, &case.shape);
            prop_assert!(PoolPlan::new(&case.spec, &shape, Layout::ChannelsLast).is_err());
            return Ok(());
        };
        let input = TensorView::new(&case.data, &case.shape).unwrap();
        let (values, indices) = pooled_channels_last(&case, convention);
        if case.spec.reduction == Reduction::Max {
            let (want, want_indices) = max_pool_with_indices(&plan, &input, convention).unwrap();
            prop_assert_eq!(&indices[..], want_indices.data());
            prop_assert!(values.iter().zip(want.data()).all(|(a, b)| same_value(*a, *b)));
        } else {
            let want = pool(&plan, &input).unwrap();
            let scale = finite_magnitude(&case.data);
            let reduction = case.spec.reduction;
            prop_assert!(values.iter().zip(want.data()).all(|(a, b)| agree(reduction, *a, *b, scale, 1e-12)));
        }
    }

    #[test]
    fn shape_functions_agree_with_the_pooled_shape(case in case(), layout in layout()) {
        let shape = match layout {
            Layout::ChannelsFirst => case.shape.clone(),
            Layout::ChannelsLast => to_channels_last(&case.data, &case.shape).1,
        };
        let rank = shape.len() - 2;
        let letters = spatial_letters(rank);
        let (full, without_batch) = match layout {
            Layout::ChannelsFirst => (format!("nc{letters}"), format!("c{letters}")),
            Layout::ChannelsLast => (format!("n{letters}c"), format!("{letters}c")),
        };
        let planned = PoolPlan::new(&case.spec, &shape, layout);
        let by_format = output_shape_in_format(&case.spec, &shape, &full);
        let by_format_unbatched = output_shape_in_format(&case.spec, &shape[1..], &without_batch);
        match planned {
            Err(e) => {
                prop_assert_eq!(output_shape(&case.spec, &shape, layout).unwrap_err().kind(), e.kind());
                prop_assert_eq!(by_format.unwrap_err().kind(), e.kind());
                prop_assert_eq!(by_format_unbatched.unwrap_err().kind(), e.kind());
            }
            Ok(plan) => {
                let data = vec![0.5f64; shape.iter().product()];
                let pooled = pool(&plan, &TensorView::new(&data, &shape).unwrap()).unwrap();
                prop_assert_eq!(&output_shape(&case.spec, &shape, layout).unwrap()[..], pooled.shape());
                prop_assert_eq!(&by_format.unwrap()[..], pooled.shape());
                prop_assert_eq!(&by_format_unbatched.unwrap()[..], &pooled.shape()[1..]);
                // Upper case and the one-letter "cl" of a 1-D map name the same axes.
                prop_assert_eq!(
                    &output_shape_in_format(&case.spec, &shape, &full.to_uppercase()).unwrap()[..],
                    pooled.shape()
                );
                if rank == 1 && layout == Layout::ChannelsFirst {
                    prop_assert_eq!(
                        &output_shape_in_format(&case.spec, &shape[1..], "cl").unwrap()[..],
                        &pooled.shape()[1..]
                    );
                }
            }
        }
    }
}

/// Every small 1-D geometry, enumerated: the library refuses exactly the geometries the
/// brute force finds a window reading only padding in (or no window at all), and agrees
/// on the values of the rest.
#[test]
fn window_in_padding_only_is_refused_exactly_when_brute_force_finds_one() {
    use poolkit::{Padding, WindowSpec};
    // (input, kernel, stride, dilation, pad_begin, pad_end, ceil): every combination small
    // enough to enumerate, on a 1-D map.
    let mut refused = 0;
    let mut accepted = 0;
    for input in 1..=6 {
        for kernel in 1..=4 {
            for stride in 1..=3 {
                for dilation in 1..=3 {
                    for pad_begin in 0..=3 {
                        for pad_end in 0..=3 {
                            for ceil_mode in [false, true] {
                                let spec = PoolSpec::max(
                                    WindowSpec::new(&[kernel])
                                        .strides(&[stride])
                                        .dilations(&[dilation])
                                        .padding(Padding::Explicit {
                                            begin: vec![pad_begin],
                                            end: vec![pad_end],
                                        })
                                        .ceil_mode(ceil_mode),
                                );
                                let shape = [1, 1, input];
                                let data: Vec<f64> = (0..input).map(|v| v as f64).collect();
                                let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst);
                                let brute = brute_pool(&spec, &data, &shape);
                                assert_eq!(
                                    plan.is_ok(),
                                    brute.is_ok(),
                                    "{:?}: library {:?}, brute force {:?}",
                                    (
                                        input, kernel, stride, dilation, pad_begin, pad_end,
                                        ceil_mode
                                    ),
                                    plan.as_ref().map(|p| p.output_shape().to_vec()),
                                    brute.as_ref().map(|b| b.out_spatial.clone())
                                );
                                if let (Ok(plan), Ok(brute)) = (&plan, &brute) {
                                    let x = TensorView::new(&data, &shape).unwrap();
                                    assert_eq!(pool(plan, &x).unwrap().data(), &brute.values[..]);
                                    accepted += 1;
                                } else {
                                    refused += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    // The sweep must exercise both sides of the rule.
    assert!(
        refused > 100 && accepted > 100,
        "refused {refused}, accepted {accepted}"
    );
}

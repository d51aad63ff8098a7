//! Issue 3's exact rules of the backward passes: where max pooling routes each gradient
//! (first maximum, first NaN, overlapping windows adding up, mass conserved), the
//! from-indices form agreeing with recomputation, RoI and unpool backward against oracles
//! written here, shape errors, low-precision rounding, determinism, and the seed's 6×6 grid.

mod gradcheck_support;

use gradcheck_support::{
    any_case, any_reduction, avg_reduction, each_index, max_or_avg, offset_of, oracle_backward,
    unpool_case, Case, Held, Rng, UnpoolCase,
};
use poolkit::{
    bf16, f16, max_pool_backward_from_indices, max_pool_with_indices, max_roi_pool,
    max_roi_pool_backward, max_unpool_backward, pool_backward, pool_backward_into, Element,
    ErrorKind, IndexConvention, Layout, Padding, PoolPlan, PoolSpec, Reduction, RoiPlan,
    RoiPoolSpec, StorageOrder, TensorView, UnpoolPlan, UnpoolSpec, WindowSpec,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_global_rejects: 4 * cases,
        ..ProptestConfig::default()
    }
}

fn max() -> impl Strategy<Value = Reduction> + Clone {
    Just(Reduction::Max)
}

const CONVENTIONS: [IndexConvention; 3] = [
    IndexConvention::Torch,
    IndexConvention::Onnx(StorageOrder::RowMajor),
    IndexConvention::Onnx(StorageOrder::ColumnMajor),
];

fn plan_or_reject(case: &Case) -> Result<PoolPlan, TestCaseError> {
    case.plan()
        .map_err(|_| TestCaseError::reject("geometry refused by the plan"))
}

/// `pool_backward` in f64 through the case's view (strided or not).
fn backward(plan: &PoolPlan, case: &Case, x: &[f64], dy: &[f64]) -> Vec<f64> {
    let held = Held::new(x, &case.shape, case.strided);
    let dy = TensorView::new(dy, plan.output_shape()).unwrap();
    pool_backward(plan, &held.view(), &dy).unwrap().into_vec()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Small integers (many ties) with a NaN now and then.
fn tied_with_nans(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if rng.below(20) == 0 {
                f64::NAN
            } else {
                rng.int(0, 3) as f64
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The seed's grid
// ---------------------------------------------------------------------------------------

use poolkit::teach::SEED_GRID;

fn seed_backward(spec: &PoolSpec) -> Vec<f64> {
    let plan = PoolPlan::new(spec, &[1, 1, 6, 6], Layout::ChannelsFirst).unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, 3, 3]);
    let ones = [1.0; 9];
    pool_backward(
        &plan,
        &TensorView::new(&SEED_GRID, &[1, 1, 6, 6]).unwrap(),
        &TensorView::new(&ones, &[1, 1, 3, 3]).unwrap(),
    )
    .unwrap()
    .into_vec()
}

#[test]
fn seed_grid_max_routes_one_to_each_of_the_nine_winning_cells() {
    let dx = seed_backward(&PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2])));

    // Found from the grid: the largest cell of each 2×2 block (the seed's windows hold no ties).
    let mut found = Vec::new();
    for bi in 0..3 {
        for bj in 0..3 {
            let cells = [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(i, j)| (2 * bi + i, 2 * bj + j));
            let best = cells
                .iter()
                .copied()
                .max_by(|a, b| SEED_GRID[a.0 * 6 + a.1].total_cmp(&SEED_GRID[b.0 * 6 + b.1]))
                .unwrap();
            let ties = cells
                .iter()
                .filter(|c| SEED_GRID[c.0 * 6 + c.1] == SEED_GRID[best.0 * 6 + best.1])
                .count();
            assert_eq!(ties, 1, "block ({bi}, {bj}) of the seed's grid holds a tie");
            found.push(best);
        }
    }
    // By hand: 9, 8, 7 / 6, 7, 9 / 8, 9, 6, each at (row, column) of the 6×6 grid.
    let by_hand = [
        (1, 1), // 9
        (1, 3), // 8
        (0, 4), // 7
        (3, 0), // 6
        (2, 2), // 7
        (2, 4), // 9
        (4, 1), // 8
        (5, 2), // 9
        (5, 4), // 6
    ];
    assert_eq!(found, by_hand);
    let winners: Vec<f64> = by_hand.iter().map(|&(i, j)| SEED_GRID[i * 6 + j]).collect();
    assert_eq!(winners, [9., 8., 7., 6., 7., 9., 8., 9., 6.]);

    for i in 0..6 {
        for j in 0..6 {
            let want = if by_hand.contains(&(i, j)) { 1.0 } else { 0.0 };
            assert_eq!(dx[i * 6 + j], want, "cell ({i}, {j})");
        }
    }
    assert_eq!(dx.iter().sum::<f64>(), 9.0);
}

#[test]
fn seed_grid_average_gives_a_quarter_everywhere() {
    let dx = seed_backward(&PoolSpec::avg(WindowSpec::new(&[2, 2]).strides(&[2, 2])));
    assert_eq!(dx, vec![0.25; 36]);
}

// ---------------------------------------------------------------------------------------
// Max routing: first maximum, first NaN, overlaps, mass
// ---------------------------------------------------------------------------------------

#[test]
fn ties_go_to_the_first_maximum_in_row_major_window_order() {
    // Four 2×2 windows: [1 3; 3 3] -> (0,1); [5 5; 5 5] -> (0,2); [2 1; 4 4] -> (3,0);
    // [0 0; 0 7] -> (3,3).
    #[rustfmt::skip]
    let x = [
        1., 3., 5., 5.,
        3., 3., 5., 5.,
        2., 1., 0., 0.,
        4., 4., 0., 7.,
    ];
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2])),
        &[1, 1, 4, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dy = [10., 20., 30., 40.];
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 4, 4]).unwrap(),
        &TensorView::new(&dy, &[1, 1, 2, 2]).unwrap(),
    )
    .unwrap();
    #[rustfmt::skip]
    let want = [
        0., 10., 20., 0.,
        0., 0., 0., 0.,
        0., 0., 0., 0.,
        30., 0., 0., 40.,
    ];
    assert_eq!(dx.data(), &want);
}

#[test]
fn ties_with_padding_go_to_the_first_in_bounds_element() {
    // A constant 3-D input, kernel 3, stride 2, pad 1: every window's first in-bounds
    // element in row-major (d, h, w) order is its top-left-front corner that is not padding.
    let x = [2.0f64; 27];
    let plan = PoolPlan::new(
        &PoolSpec::max(
            WindowSpec::new(&[3, 3, 3])
                .strides(&[2, 2, 2])
                .padding(Padding::symmetric(&[1, 1, 1])),
        ),
        &[1, 1, 3, 3, 3],
        Layout::ChannelsFirst,
    )
    .unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, 2, 2, 2]);
    let dy: Vec<f64> = (1..=8).map(f64::from).collect();
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 3, 3, 3]).unwrap(),
        &TensorView::new(&dy, &[1, 1, 2, 2, 2]).unwrap(),
    )
    .unwrap();
    // Output o on an axis starts at 2o - 1: its first in-bounds element is 0 for o = 0, 1 for o = 1.
    let mut want = vec![0.0; 27];
    each_index(&[2, 2, 2], |o| {
        let at = o[0] * 9 + o[1] * 3 + o[2];
        want[at] += dy[o[0] * 4 + o[1] * 2 + o[2]];
    });
    assert_eq!(dx.data(), want.as_slice());
}

#[test]
fn nan_window_routes_to_the_first_nan() {
    // Row-major, the first NaN of [9 1; NaN NaN] is (1, 0), although 9 comes earlier.
    let x = [9., 1., f64::NAN, f64::NAN];
    let plan = PoolPlan::new(
        &PoolSpec::global_max(),
        &[1, 1, 2, 2],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 2, 2]).unwrap(),
        &TensorView::new(&[5.0], &[1, 1, 1, 1]).unwrap(),
    )
    .unwrap();
    assert_eq!(dx.data(), &[0., 0., 5., 0.]);

    // 1-D, overlapping windows of 3, stride 1: [1, NaN, 7, NaN, 2].
    let x = [1., f64::NAN, 7., f64::NAN, 2.];
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[3]).strides(&[1])),
        &[1, 1, 5],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 5]).unwrap(),
        &TensorView::new(&[1., 2., 4.], &[1, 1, 3]).unwrap(),
    )
    .unwrap();
    // Windows [1 NaN 7] -> 1, [NaN 7 NaN] -> 1, [7 NaN 2] -> 3.
    assert_eq!(dx.data(), &[0., 3., 0., 4., 0.]);
}

#[test]
fn overlapping_windows_add_up_at_shared_inputs() {
    // 3×3 with its maximum in the centre, 2×2 windows of stride 1: all four cover it.
    let x = [1., 2., 3., 4., 9., 5., 6., 7., 8.];
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[1, 1])),
        &[1, 1, 3, 3],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dy = [1., 2., 4., 8.];
    let xv = TensorView::new(&x, &[1, 1, 3, 3]).unwrap();
    let dyv = TensorView::new(&dy, &[1, 1, 2, 2]).unwrap();
    let dx = pool_backward(&plan, &xv, &dyv).unwrap();
    assert_eq!(dx.data(), &[0., 0., 0., 0., 15., 0., 0., 0., 0.]);

    // Average, same windows: each input gets the sum of dy/4 over the windows covering it.
    let plan = PoolPlan::new(
        &PoolSpec::avg(WindowSpec::new(&[2, 2]).strides(&[1, 1])),
        &[1, 1, 3, 3],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dx = pool_backward(&plan, &xv, &dyv).unwrap();
    let q = |v: f64| v / 4.0;
    let want = [
        q(1.),
        q(1.) + q(2.),
        q(2.),
        q(1.) + q(4.),
        q(1.) + q(2.) + q(4.) + q(8.),
        q(2.) + q(8.),
        q(4.),
        q(4.) + q(8.),
        q(8.),
    ];
    assert_eq!(dx.data(), &want);
}

proptest! {
    #![proptest_config(config(96))]

    /// Ties everywhere, NaNs sprinkled, overlapping/dilated/padded/adaptive/global windows in
    /// both layouts, strided or not: each `dy` lands on the oracle's first maximum (or
    /// first NaN) in row-major window order, and overlapping windows add up there.
    #[test]
    fn max_backward_routes_to_the_oracles_first_maximum(case in any_case(max()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = tied_with_nans(&mut rng, case.len());
        let dy = rng.ints(plan.output_len(), -8, 8);
        let got = backward(&plan, &case, &x, &dy);
        prop_assert_eq!(bits(&got), bits(&oracle_backward(&case, &x, &dy)));
    }

    /// Integer-valued `dy` in f64: every partial sum is an exact integer, so the gradient's
    /// mass must equal the upstream gradient's exactly (no window is all padding: the plan
    /// refuses such geometries).
    #[test]
    fn max_gradient_mass_is_conserved(case in any_case(max()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = if seed % 2 == 0 { rng.uniform(case.len()) } else { tied_with_nans(&mut rng, case.len()) };
        let dy = rng.ints(plan.output_len(), -1000, 1000);
        let dx = backward(&plan, &case, &x, &dy);
        prop_assert_eq!(dx.iter().sum::<f64>(), dy.iter().sum::<f64>());
    }

    /// Average: `dy / divisor` at every in-bounds tap, the divisor by the oracle's rules
    /// (in-bounds count, padded count without the ceil overhang, or the override).
    #[test]
    fn avg_backward_spreads_dy_over_the_oracles_divisor(case in any_case(avg_reduction()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        let dy = rng.uniform(plan.output_len());
        let got = backward(&plan, &case, &x, &dy);
        let want = oracle_backward(&case, &x, &dy);
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            // Same terms, possibly summed in another order: a few ulps of the result.
            prop_assert!((g - w).abs() <= 1e-14 * w.abs().max(1.0), "input {}: {} vs oracle {}", j, g, w);
        }
    }

    /// The from-indices form gives the very bits of the recompute form, for every index
    /// convention and storage order, in both layouts.
    #[test]
    fn backward_from_indices_equals_recompute(case in any_case(max()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = tied_with_nans(&mut rng, case.len());
        let dy = rng.uniform(plan.output_len());
        let recompute = backward(&plan, &case, &x, &dy);
        let held = Held::new(&x, &case.shape, case.strided);
        let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
        for conv in CONVENTIONS {
            let (_, idx) = max_pool_with_indices(&plan, &held.view(), conv).unwrap();
            let dx = max_pool_backward_from_indices(&plan, &dyv, &idx.view(), conv).unwrap();
            prop_assert_eq!(bits(dx.data()), bits(&recompute), "{:?}", conv);
        }
    }

    /// Channels-last is channels-first transposed, and a strided view gives the bits of
    /// the contiguous tensor, for every reduction and region.
    #[test]
    fn layout_and_strides_do_not_change_the_gradient(case in any_case(any_reduction()), seed in any::<u64>()) {
        let first = Case { layout: Layout::ChannelsFirst, strided: false, ..case.clone() };
        let (n, c, spatial) = case.split();
        let first = Case { shape: Layout::ChannelsFirst.full_shape(n, c, &spatial), ..first };
        let last = Case { layout: Layout::ChannelsLast, shape: Layout::ChannelsLast.full_shape(n, c, &spatial), strided: true, ..first.clone() };
        let (plan_first, plan_last) = (plan_or_reject(&first)?, plan_or_reject(&last)?);
        let mut rng = Rng::new(seed);
        let x_first = rng.away_from_zero(first.len());
        let dy_first = rng.uniform(plan_first.output_len());
        let out_spatial = plan_first.output_spatial();
        let x_last = transpose_to_last(&x_first, n, c, &spatial);
        let dy_last = transpose_to_last(&dy_first, n, c, &out_spatial);
        let g_first = backward(&plan_first, &first, &x_first, &dy_first);
        let g_last = backward(&plan_last, &last, &x_last, &dy_last);
        let contiguous_last = backward(&plan_last, &Case { strided: false, ..last.clone() }, &x_last, &dy_last);
        prop_assert_eq!(bits(&g_last), bits(&contiguous_last));
        prop_assert_eq!(bits(&transpose_to_last(&g_first, n, c, &spatial)), bits(&g_last));
    }

    /// Two runs give the same bits, in f64 and f32.
    #[test]
    fn backward_is_deterministic(case in any_case(any_reduction()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        let dy = rng.uniform(plan.output_len());
        prop_assert_eq!(bits(&backward(&plan, &case, &x, &dy)), bits(&backward(&plan, &case, &x, &dy)));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let dy32: Vec<f32> = dy.iter().map(|&v| v as f32).collect();
        let run = || {
            let held = Held::new(&x32, &case.shape, case.strided);
            let g = pool_backward(&plan, &held.view(), &TensorView::new(&dy32, plan.output_shape()).unwrap()).unwrap();
            g.data().iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
        };
        prop_assert_eq!(run(), run());
    }

    /// `pool_backward_into` writes every element of a NaN-filled buffer, the same bits as
    /// `pool_backward`.
    #[test]
    fn backward_into_overwrites_every_element(case in any_case(any_reduction()), seed in any::<u64>()) {
        let plan = plan_or_reject(&case)?;
        let mut rng = Rng::new(seed);
        let x = rng.uniform(case.len());
        let dy = rng.uniform(plan.output_len());
        let held = Held::new(&x, &case.shape, case.strided);
        let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
        let mut into = vec![f64::NAN; case.len()];
        pool_backward_into(&plan, &held.view(), &dyv, &mut into).unwrap();
        prop_assert_eq!(bits(&into), bits(&backward(&plan, &case, &x, &dy)));
    }
}

/// A channels-first `[n, c, spatial...]` buffer rearranged to `[n, spatial..., c]`.
fn transpose_to_last(v: &[f64], n: usize, c: usize, spatial: &[usize]) -> Vec<f64> {
    let first = Layout::ChannelsFirst.full_shape(n, c, spatial);
    let last = Layout::ChannelsLast.full_shape(n, c, spatial);
    let mut out = vec![0.0; v.len()];
    for b in 0..n {
        for ch in 0..c {
            each_index(spatial, |p| {
                out[offset_of(Layout::ChannelsLast, &last, b, ch, p)] =
                    v[offset_of(Layout::ChannelsFirst, &first, b, ch, p)];
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Lp edge cases
// ---------------------------------------------------------------------------------------

#[test]
fn lp_gradient_is_zero_where_the_window_norm_is_zero() {
    let x = [0., 0., 0., 3., 0., -4.];
    let plan = PoolPlan::new(
        &PoolSpec::lp(WindowSpec::new(&[3]), 2.0),
        &[1, 1, 6],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 6]).unwrap(),
        &TensorView::new(&[7., 10.], &[1, 1, 2]).unwrap(),
    )
    .unwrap();
    // Window 1: y = 5, dx = x / y · dy; its zero gets 0.
    assert_eq!(dx.data(), &[0., 0., 0., 6., 0., -8.]);
}

#[test]
fn lp_gradient_stays_finite_for_large_p_and_large_values() {
    // |x|^p overflows f64 long before (1e200)^64; the ratio form (|x|/y)^(p-1) does not.
    let p = 64.0;
    let (a, b) = (-3e200, 4e200);
    let plan = PoolPlan::new(&PoolSpec::global_lp(p), &[1, 1, 2], Layout::ChannelsFirst).unwrap();
    let dx = pool_backward(
        &plan,
        &TensorView::new(&[a, b], &[1, 1, 2]).unwrap(),
        &TensorView::new(&[1.0], &[1, 1, 1]).unwrap(),
    )
    .unwrap();
    let r: f64 = 0.75;
    let y = b * (1.0 + r.powf(p)).powf(1.0 / p);
    let want = [-(a.abs() / y).powf(p - 1.0), (b / y).powf(p - 1.0)];
    for (g, w) in dx.data().iter().zip(want) {
        assert!(
            g.is_finite() && (g - w).abs() <= 1e-12 * w.abs(),
            "{g} vs {w}"
        );
    }
}

#[test]
fn lp_backward_of_integers_is_refused_as_unsupported() {
    let plan = PoolPlan::new(
        &PoolSpec::lp(WindowSpec::new(&[2]), 2.0),
        &[1, 1, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let err = pool_backward(
        &plan,
        &TensorView::new(&[1u8, 2, 3, 4], &[1, 1, 4]).unwrap(),
        &TensorView::new(&[1u8, 1], &[1, 1, 2]).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedType, "{err}");
}

// ---------------------------------------------------------------------------------------
// Max-unpooling backward: the gather through the indices
// ---------------------------------------------------------------------------------------

/// The oracle's gather: `dx[n, c, p] = dy[wherever indices[n, c, p] points]`.
fn gather_oracle(case: &UnpoolCase, out_shape: &[usize], indices: &[i64], dy: &[f64]) -> Vec<f64> {
    let (batch, channels, in_spatial) = case.layout.split_shape(&case.shape);
    let out_spatial = case.layout.split_shape(out_shape).2.to_vec();
    let plane: usize = out_spatial.iter().product();
    let mut dx = vec![0.0; indices.len()];
    for n in 0..batch {
        for c in 0..channels {
            each_index(in_spatial, |p| {
                let at = offset_of(case.layout, &case.shape, n, c, p);
                let i = indices[at] as usize;
                let (plane_index, flat) = match case.convention {
                    IndexConvention::Torch => (n * channels + c, i),
                    IndexConvention::Onnx(_) => (i / plane, i % plane),
                };
                let mut pos = vec![0; out_spatial.len()];
                let mut rest = flat;
                let order: Vec<usize> = match case.convention {
                    IndexConvention::Onnx(StorageOrder::ColumnMajor) => {
                        (0..out_spatial.len()).collect()
                    }
                    _ => (0..out_spatial.len()).rev().collect(),
                };
                for axis in order {
                    pos[axis] = rest % out_spatial[axis];
                    rest /= out_spatial[axis];
                }
                let src = offset_of(
                    case.layout,
                    out_shape,
                    plane_index / channels,
                    plane_index % channels,
                    &pos,
                );
                dx[at] = dy[src];
            });
        }
    }
    dx
}

proptest! {
    #![proptest_config(config(96))]

    /// Random indices, repeats allowed, every convention and layout.
    #[test]
    fn unpool_backward_is_the_gather_through_the_indices(case in unpool_case(), seed in any::<u64>()) {
        let plan = UnpoolPlan::new(&case.spec, &case.shape, case.layout).unwrap();
        let mut rng = Rng::new(seed);
        let out_len: usize = plan.output_shape().iter().product();
        let (batch, channels, _) = case.layout.split_shape(&case.shape);
        let limit = match case.convention {
            IndexConvention::Torch => out_len / (batch * channels),
            IndexConvention::Onnx(_) => out_len,
        };
        let indices: Vec<i64> = (0..case.shape.iter().product::<usize>()).map(|_| rng.below(limit) as i64).collect();
        let dy = rng.uniform(out_len);
        // Half the cases read the upstream gradient through a strided view.
        let held = Held::new(&dy, plan.output_shape(), seed % 2 == 0);
        let dx = max_unpool_backward(
            &plan,
            &held.view(),
            &TensorView::new(&indices, &case.shape).unwrap(),
            case.convention,
        ).unwrap();
        prop_assert_eq!(bits(dx.data()), bits(&gather_oracle(&case, plan.output_shape(), &indices, &dy)));
    }
}

// ---------------------------------------------------------------------------------------
// Max RoI pooling backward
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct RoiCase {
    shape: Vec<usize>,
    layout: Layout,
    pooled: [usize; 2],
    scale: f64,
    rois: Vec<[f64; 5]>,
    /// Input and upstream gradient reach the library as strided views.
    strided: bool,
}

fn roi_case() -> impl Strategy<Value = RoiCase> {
    (
        (1..=2usize, 1..=2usize, 2..=7usize, 2..=7usize),
        (1..=3usize, 1..=3usize),
        prop::sample::select(vec![1.0, 0.5, 2.0]),
        (any::<bool>(), any::<bool>()),
        prop::collection::vec(any::<[u16; 5]>(), 1..=4),
    )
        .prop_map(
            |((n, c, h, w), (ph, pw), scale, (channels_last, strided), raw)| {
                let layout = if channels_last {
                    Layout::ChannelsLast
                } else {
                    Layout::ChannelsFirst
                };
                // Corners in halves from -4 to about twice the map: some RoIs overhang the map,
                // some lie wholly outside it (all their bins empty).
                let coord =
                    |r: u16, extent: usize| (r as usize % (4 * extent + 9)) as f64 / 2.0 - 4.0;
                let rois = raw
                    .iter()
                    .map(|r| {
                        [
                            (r[0] as usize % n) as f64,
                            coord(r[1], w),
                            coord(r[2], h),
                            coord(r[3], w),
                            coord(r[4], h),
                        ]
                    })
                    .collect();
                RoiCase {
                    shape: layout.full_shape(n, c, &[h, w]),
                    layout,
                    pooled: [ph, pw],
                    scale,
                    rois,
                    strided,
                }
            },
        )
}

/// The oracle's bins: corners scaled and rounded half away from zero, the RoI at least
/// 1×1, bin `i` spanning `[floor(i·h/ph), ceil((i+1)·h/ph))` from its start, clipped.
fn roi_bins(case: &RoiCase, roi: &[f64; 5]) -> Vec<[usize; 4]> {
    let spatial = case.layout.split_shape(&case.shape).2;
    let (height, width) = (spatial[0] as f64, spatial[1] as f64);
    let [x1, y1, x2, y2] = [roi[1], roi[2], roi[3], roi[4]].map(|v| (v * case.scale).round());
    let (rw, rh) = ((x2 - x1 + 1.0).max(1.0), (y2 - y1 + 1.0).max(1.0));
    let [ph, pw] = case.pooled;
    let (bh, bw) = (rh / ph as f64, rw / pw as f64);
    let mut bins = Vec::new();
    for i in 0..ph {
        for j in 0..pw {
            let (i, j) = (i as f64, j as f64);
            bins.push([
                ((i * bh).floor() + y1).clamp(0.0, height) as usize,
                (((i + 1.0) * bh).ceil() + y1).clamp(0.0, height) as usize,
                ((j * bw).floor() + x1).clamp(0.0, width) as usize,
                (((j + 1.0) * bw).ceil() + x1).clamp(0.0, width) as usize,
            ]);
        }
    }
    bins
}

/// The oracle's RoI gradient and its count of empty bins.
fn roi_oracle(case: &RoiCase, x: &[f64], dy: &[f64]) -> (Vec<f64>, usize) {
    let channels = case.layout.split_shape(&case.shape).1;
    let out_shape = case
        .layout
        .full_shape(case.rois.len(), channels, &case.pooled);
    let mut dx = vec![0.0; x.len()];
    let mut empty = 0;
    for (r, roi) in case.rois.iter().enumerate() {
        let b = roi[0] as usize;
        for c in 0..channels {
            for (k, &[h0, h1, w0, w1]) in roi_bins(case, roi).iter().enumerate() {
                let mut best: Option<usize> = None;
                for h in h0..h1 {
                    for w in w0..w1 {
                        let at = offset_of(case.layout, &case.shape, b, c, &[h, w]);
                        best = match best {
                            Some(bi) if x[bi].is_nan() || !(x[at].is_nan() || x[at] > x[bi]) => {
                                Some(bi)
                            }
                            _ => Some(at),
                        };
                    }
                }
                let g = dy[offset_of(
                    case.layout,
                    &out_shape,
                    r,
                    c,
                    &[k / case.pooled[1], k % case.pooled[1]],
                )];
                match best {
                    Some(at) => dx[at] += g,
                    None => empty += 1,
                }
            }
        }
    }
    (dx, empty)
}

fn roi_backward_f64(case: &RoiCase, x: &[f64], dy: &[f64]) -> Vec<f64> {
    let rois: Vec<f64> = case.rois.iter().flatten().copied().collect();
    let plan = RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: case.pooled,
            spatial_scale: case.scale,
        },
        &case.shape,
        &[case.rois.len(), 5],
        case.layout,
    )
    .unwrap();
    let x = Held::new(x, &case.shape, case.strided);
    let dy = Held::new(dy, plan.output_shape(), case.strided);
    max_roi_pool_backward(
        &plan,
        &x.view(),
        &TensorView::new(&rois, &[case.rois.len(), 5]).unwrap(),
        &dy.view(),
    )
    .unwrap()
    .into_vec()
}

proptest! {
    #![proptest_config(config(96))]

    /// Each bin's `dy` goes to the bin's first maximum (ties and NaNs included); an empty
    /// bin sends nothing anywhere.
    #[test]
    fn roi_backward_sends_each_bins_gradient_to_its_argmax(case in roi_case(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let x = tied_with_nans(&mut rng, case.shape.iter().product());
        let channels = case.layout.split_shape(&case.shape).1;
        let dy = rng.ints(case.rois.len() * channels * case.pooled[0] * case.pooled[1], -8, 8);
        let (want, _) = roi_oracle(&case, &x, &dy);
        prop_assert_eq!(bits(&roi_backward_f64(&case, &x, &dy)), bits(&want));
    }
}

#[test]
fn roi_backward_sends_nothing_for_empty_bins() {
    // A 4×4 map; RoI 0 overhangs the right edge (its right bins are empty), RoI 1 lies
    // wholly above the map (all its bins are empty).
    let case = RoiCase {
        shape: vec![1, 1, 4, 4],
        layout: Layout::ChannelsFirst,
        pooled: [2, 2],
        scale: 1.0,
        rois: vec![[0., 2., 0., 9., 3.], [0., 0., -9., 3., -5.]],
        strided: false,
    };
    let x: Vec<f64> = (0..16).map(f64::from).collect();
    let dy = [1., 10., 100., 1000., 5., 6., 7., 8.];
    let (want, empty) = roi_oracle(&case, &x, &dy);
    assert_eq!(empty, 6, "the case must hold empty bins");
    let got = roi_backward_f64(&case, &x, &dy);
    assert_eq!(got, want);
    // RoI 0: columns 2..=9, bins of 4 columns: left bins read columns 2..=3, right bins
    // 6..=9 (outside). Rows 0..=3 in bins of 2: maxima at (1, 3) and (3, 3).
    let mut by_hand = vec![0.0; 16];
    by_hand[4 + 3] = 1.0;
    by_hand[12 + 3] = 100.0;
    assert_eq!(got, by_hand);
    // The forward pass agrees: empty bins pool to 0.
    let plan = RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: [2, 2],
            spatial_scale: 1.0,
        },
        &[1, 1, 4, 4],
        &[2, 5],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let rois: Vec<f64> = case.rois.iter().flatten().copied().collect();
    let y = max_roi_pool(
        &plan,
        &TensorView::new(&x, &[1, 1, 4, 4]).unwrap(),
        &TensorView::new(&rois, &[2, 5]).unwrap(),
    )
    .unwrap();
    assert_eq!(y.data(), &[7., 0., 15., 0., 0., 0., 0., 0.]);
}

// ---------------------------------------------------------------------------------------
// Shape errors
// ---------------------------------------------------------------------------------------

fn assert_names_both_shapes(err: poolkit::Error, got: &[usize], want: &[usize]) {
    assert_eq!(err.kind(), ErrorKind::ShapeMismatch, "{err}");
    let msg = err.message();
    assert!(
        msg.contains(&format!("{got:?}")),
        "{msg} does not name {got:?}"
    );
    assert!(
        msg.contains(&format!("{want:?}")),
        "{msg} does not name {want:?}"
    );
}

#[test]
fn wrong_shaped_grad_output_is_a_shape_mismatch_naming_both_shapes() {
    let x = [0.0f32; 16];
    let xv = TensorView::new(&x, &[1, 1, 4, 4]).unwrap();
    let bad = [0.0f32; 6];
    let badv = TensorView::new(&bad, &[1, 1, 2, 3]).unwrap();
    let (got, want) = (&[1usize, 1, 2, 3][..], &[1usize, 1, 2, 2][..]);

    for spec in [
        PoolSpec::max(WindowSpec::new(&[2, 2])),
        PoolSpec::avg(WindowSpec::new(&[2, 2])),
        PoolSpec::lp(WindowSpec::new(&[2, 2]), 2.0),
        PoolSpec::adaptive_avg(&[2, 2]),
    ] {
        let plan = PoolPlan::new(&spec, &[1, 1, 4, 4], Layout::ChannelsFirst).unwrap();
        assert_names_both_shapes(pool_backward(&plan, &xv, &badv).unwrap_err(), got, want);
        let mut dx = [0.0f32; 16];
        assert_names_both_shapes(
            pool_backward_into(&plan, &xv, &badv, &mut dx).unwrap_err(),
            got,
            want,
        );
    }

    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2])),
        &[1, 1, 4, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let (_, idx) = max_pool_with_indices(&plan, &xv, IndexConvention::Torch).unwrap();
    assert_names_both_shapes(
        max_pool_backward_from_indices(&plan, &badv, &idx.view(), IndexConvention::Torch)
            .unwrap_err(),
        got,
        want,
    );

    // Unpool: 2×2 pooled input to a 4×4 output; the upstream gradient is the output's shape.
    let uplan = UnpoolPlan::new(
        &UnpoolSpec::new(&[2, 2]),
        &[1, 1, 2, 2],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let wrong = [0.0f32; 12];
    assert_names_both_shapes(
        max_unpool_backward(
            &uplan,
            &TensorView::new(&wrong, &[1, 1, 3, 4]).unwrap(),
            &idx.view(),
            IndexConvention::Torch,
        )
        .unwrap_err(),
        &[1, 1, 3, 4],
        &[1, 1, 4, 4],
    );

    let rplan = RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: [2, 2],
            spatial_scale: 1.0,
        },
        &[1, 1, 4, 4],
        &[1, 5],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let rois = [0.0f32, 0., 0., 3., 3.];
    assert_names_both_shapes(
        max_roi_pool_backward(
            &rplan,
            &xv,
            &TensorView::new(&rois, &[1, 5]).unwrap(),
            &badv,
        )
        .unwrap_err(),
        got,
        want,
    );
}

// ---------------------------------------------------------------------------------------
// Element types: the f64 gradient rounded once
// ---------------------------------------------------------------------------------------

/// Values every tested type holds exactly, so the f64 run sees the same inputs.
fn exact_values<T: Element>(rng: &mut Rng, n: usize) -> Vec<f64> {
    use poolkit::DType::*;
    (0..n)
        .map(|_| match T::DTYPE {
            U8 | U16 => rng.int(0, 40) as f64,
            I8 => rng.int(-20, 20) as f64,
            // Quarters up to 5: within bf16's 8 significant bits.
            _ => rng.int(-20, 20) as f64 / 4.0,
        })
        .collect()
}

fn to_t<T: Element>(v: &[f64]) -> Vec<T> {
    let t: Vec<T> = v.iter().map(|&x| T::from_f64(x)).collect();
    assert!(
        t.iter().zip(v).all(|(a, &b)| a.to_f64() == b),
        "values held exactly"
    );
    t
}

fn rounded_once<T: Element>(low: &[T], high: &[f64]) -> Result<(), TestCaseError> {
    for (j, (&l, &h)) in low.iter().zip(high).enumerate() {
        prop_assert_eq!(
            l.to_f64().to_bits(),
            T::from_f64(h).to_f64().to_bits(),
            "{} element {}: {:?} but the f64 gradient {} rounds to {:?}",
            T::DTYPE.name(),
            j,
            l,
            h,
            T::from_f64(h)
        );
    }
    Ok(())
}

/// `pool_backward` (and, for max, the from-indices form) in `T` equals the f64 gradient of
/// the same values, rounded once into `T`.
fn check_rounded_once<T: Element>(case: &Case, seed: u64) -> Result<(), TestCaseError> {
    let plan = plan_or_reject(case)?;
    let mut rng = Rng::new(seed);
    let x = exact_values::<T>(&mut rng, case.len());
    let dy = exact_values::<T>(&mut rng, plan.output_len());
    let (xt, dyt) = (to_t::<T>(&x), to_t::<T>(&dy));
    let held = Held::new(&xt, &case.shape, case.strided);
    let dytv = TensorView::new(&dyt, plan.output_shape()).unwrap();
    let low = pool_backward(&plan, &held.view(), &dytv).unwrap();
    let high = backward(&plan, case, &x, &dy);
    rounded_once(low.data(), &high)?;
    if plan.reduction() == Reduction::Max {
        for conv in CONVENTIONS {
            let (_, idx) = max_pool_with_indices(&plan, &held.view(), conv).unwrap();
            let from = max_pool_backward_from_indices(&plan, &dytv, &idx.view(), conv).unwrap();
            rounded_once(from.data(), &high)?;
        }
    }
    Ok(())
}

/// RoI and unpool backward in `T` against their f64 runs.
fn check_roi_and_unpool_rounded_once<T: Element>(
    roi: &RoiCase,
    unpool: &UnpoolCase,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut rng = Rng::new(seed);
    let x = exact_values::<T>(&mut rng, roi.shape.iter().product());
    let channels = roi.layout.split_shape(&roi.shape).1;
    let dy = exact_values::<T>(
        &mut rng,
        roi.rois.len() * channels * roi.pooled[0] * roi.pooled[1],
    );
    // Integer types hold only non-negative or small RoI corners: keep those that fit.
    let rois: Vec<f64> = roi
        .rois
        .iter()
        .flatten()
        .map(|&v| T::from_f64(v).to_f64())
        .collect();
    let roi = RoiCase {
        rois: rois
            .chunks(5)
            .map(|r| [r[0], r[1], r[2], r[3], r[4]])
            .collect(),
        ..roi.clone()
    };
    let plan = RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: roi.pooled,
            spatial_scale: roi.scale,
        },
        &roi.shape,
        &[roi.rois.len(), 5],
        roi.layout,
    )
    .unwrap();
    let low = max_roi_pool_backward(
        &plan,
        &TensorView::new(&to_t::<T>(&x), &roi.shape).unwrap(),
        &TensorView::new(&to_t::<T>(&rois), &[roi.rois.len(), 5]).unwrap(),
        &TensorView::new(&to_t::<T>(&dy), plan.output_shape()).unwrap(),
    )
    .unwrap();
    rounded_once(low.data(), &roi_backward_f64(&roi, &x, &dy))?;

    let uplan = UnpoolPlan::new(&unpool.spec, &unpool.shape, unpool.layout).unwrap();
    let out_len: usize = uplan.output_shape().iter().product();
    let (batch, channels, _) = unpool.layout.split_shape(&unpool.shape);
    let limit = match unpool.convention {
        IndexConvention::Torch => out_len / (batch * channels),
        IndexConvention::Onnx(_) => out_len,
    };
    let indices: Vec<i64> = (0..unpool.shape.iter().product::<usize>())
        .map(|_| rng.below(limit) as i64)
        .collect();
    let dy = exact_values::<T>(&mut rng, out_len);
    let idx = TensorView::new(&indices, &unpool.shape).unwrap();
    let low = max_unpool_backward(
        &uplan,
        &TensorView::new(&to_t::<T>(&dy), uplan.output_shape()).unwrap(),
        &idx,
        unpool.convention,
    )
    .unwrap();
    let high = max_unpool_backward(
        &uplan,
        &TensorView::new(&dy, uplan.output_shape()).unwrap(),
        &idx,
        unpool.convention,
    )
    .unwrap();
    rounded_once(low.data(), high.data())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn f16_gradients_are_the_f64_gradient_rounded_once(case in any_case(any_reduction()), seed in any::<u64>()) {
        check_rounded_once::<f16>(&case, seed)?;
    }

    #[test]
    fn bf16_gradients_are_the_f64_gradient_rounded_once(case in any_case(any_reduction()), seed in any::<u64>()) {
        check_rounded_once::<bf16>(&case, seed)?;
    }

    #[test]
    fn u8_gradients_are_the_f64_gradient_rounded_once(case in any_case(max_or_avg()), seed in any::<u64>()) {
        check_rounded_once::<u8>(&case, seed)?;
    }

    #[test]
    fn i8_gradients_are_the_f64_gradient_rounded_once(case in any_case(max_or_avg()), seed in any::<u64>()) {
        check_rounded_once::<i8>(&case, seed)?;
    }

    #[test]
    fn roi_and_unpool_gradients_in_every_type_are_rounded_once(roi in roi_case(), unpool in unpool_case(), seed in any::<u64>()) {
        check_roi_and_unpool_rounded_once::<f16>(&roi, &unpool, seed)?;
        check_roi_and_unpool_rounded_once::<bf16>(&roi, &unpool, seed)?;
        check_roi_and_unpool_rounded_once::<u8>(&roi, &unpool, seed)?;
        check_roi_and_unpool_rounded_once::<i8>(&roi, &unpool, seed)?;
    }
}

#[test]
fn half_precision_average_gradient_is_rounded_once_not_per_contribution() {
    // Three windows of 3, stride 1, overlap at x[2]: it receives dy_o / 3 from each. Find
    // upstream gradients where rounding each contribution to f16 as it is added differs
    // from rounding the f64 sum once, and check the library rounds once.
    let step = |dy: [f16; 3]| {
        dy.iter()
            .fold(f16::ZERO, |acc, &d| acc + f16::from_f64(d.to_f64() / 3.0))
    };
    let once = |dy: [f16; 3]| f16::from_f64(dy.iter().map(|d| d.to_f64() / 3.0).sum());
    let candidate = |k: usize| f16::from_f64((1 + k % 40) as f64 / 8.0);
    let dy = (0..40 * 40 * 40)
        .map(|k| [candidate(k), candidate(k / 40), candidate(k / 1600)])
        .find(|&dy| step(dy) != once(dy))
        .expect("some upstream gradient tells the two roundings apart");
    let plan = PoolPlan::new(
        &PoolSpec::avg(WindowSpec::new(&[3]).strides(&[1])),
        &[1, 1, 5],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let x = [f16::ZERO; 5];
    let dx = pool_backward(
        &plan,
        &TensorView::new(&x, &[1, 1, 5]).unwrap(),
        &TensorView::new(&dy, &[1, 1, 3]).unwrap(),
    )
    .unwrap();
    assert_eq!(dx.data()[2], once(dy), "dy = {dy:?}");
}

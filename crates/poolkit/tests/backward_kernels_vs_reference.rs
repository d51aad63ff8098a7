//! The threaded backward tiles against the reference: the same bits for every reduction,
//! region, layout and element type, and for 1, 2 and 7 threads (determinism).

use poolkit::{
    bf16, f16, max_pool_backward_from_indices, max_pool_with_indices, pool_backward_into_with,
    reference, Element, ExecOptions, IndexConvention, Layout, Padding, PoolPlan, PoolSpec,
    StorageOrder, TensorView, WindowSpec,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    spec: PoolSpec,
    shape: Vec<usize>,
    layout: Layout,
    x: Vec<f64>,
    dy_seed: u64,
}

fn window_strategy(rank: usize) -> impl Strategy<Value = WindowSpec> {
    (
        prop::collection::vec(1usize..4, rank),
        prop::collection::vec(1usize..4, rank),
        prop::collection::vec(1usize..3, rank),
        prop::collection::vec(0usize..2, rank),
        prop::collection::vec(0usize..2, rank),
        0u8..4,
        any::<bool>(),
    )
        .prop_map(|(k, s, d, b, e, pad_kind, ceil)| {
            let padding = match pad_kind {
                0 => Padding::Explicit { begin: b, end: e },
                1 => Padding::SameUpper,
                2 => Padding::SameLower,
                _ => Padding::zero(),
            };
            WindowSpec::new(&k)
                .strides(&s)
                .dilations(&d)
                .padding(padding)
                .ceil_mode(ceil)
        })
}

fn spec_strategy(rank: usize) -> impl Strategy<Value = PoolSpec> {
    let window = window_strategy(rank);
    let adaptive = prop::collection::vec(1usize..4, rank);
    (window, adaptive, 0u8..8, any::<bool>(), 0usize..4).prop_map(
        move |(w, out, which, include_pad, divisor)| match which {
            0 | 1 => PoolSpec::max(w),
            2 => PoolSpec::avg(w)
                .count_include_pad(include_pad)
                .divisor_override((divisor > 0).then_some(divisor)),
            3 => PoolSpec::lp(w, [1.5, 2.0, 3.0, 7.5][divisor]),
            4 => PoolSpec::adaptive_max(&out),
            5 => PoolSpec::adaptive_avg(&out),
            6 => PoolSpec::global_avg(),
            _ => PoolSpec::global_max(),
        },
    )
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (1usize..4)
        .prop_flat_map(|rank| {
            (
                spec_strategy(rank),
                prop::collection::vec(1usize..8, rank),
                1usize..3,
                1usize..4,
                any::<bool>(),
                any::<u64>(),
            )
        })
        .prop_flat_map(|(spec, spatial, n, c, last, dy_seed)| {
            let layout = if last {
                Layout::ChannelsLast
            } else {
                Layout::ChannelsFirst
            };
            let shape = layout.full_shape(n, c, &spatial);
            let len: usize = shape.iter().product();
            // Small integers make ties common; a few NaNs and signed zeros ride along.
            let value = prop_oneof![
                8 => (-4i32..5).prop_map(f64::from),
                1 => Just(f64::NAN),
                1 => Just(-0.0),
            ];
            prop::collection::vec(value, len).prop_map(move |x| Case {
                spec: spec.clone(),
                shape: shape.clone(),
                layout,
                x,
                dy_seed,
            })
        })
}

/// Upstream gradients with signed zeros and fractions, from a seed.
fn upstream(len: usize, seed: u64) -> Vec<f64> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 7 {
                0 => -0.0,
                k => (k as f64 - 3.5) / 4.0,
            }
        })
        .collect()
}

fn check<T: Element>(case: &Case) -> Result<(), TestCaseError> {
    let Ok(plan) = PoolPlan::new(&case.spec, &case.shape, case.layout) else {
        return Ok(());
    };
    if matches!(case.spec.reduction, poolkit::Reduction::Lp { .. }) && !T::DTYPE.is_float() {
        return Ok(());
    }
    let x: Vec<T> = case.x.iter().map(|&v| T::from_f64(v)).collect();
    let dy: Vec<T> = upstream(plan.output_len(), case.dy_seed)
        .into_iter()
        .map(T::from_f64)
        .collect();
    let xv = TensorView::new(&x, &case.shape).unwrap();
    let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
    let mut want = vec![T::ZERO; plan.input_len()];
    reference::pool_backward(&plan, &xv, &dyv, &mut want);
    for threads in [1, 2, 7] {
        // NaN canaries catch elements the fast path forgets to write.
        let canary = T::from_f64(f64::NAN);
        let mut got = vec![canary; plan.input_len()];
        pool_backward_into_with(
            &plan,
            &xv,
            &dyv,
            &mut got,
            &ExecOptions::new().threads(threads),
        )
        .unwrap();
        let same = got.iter().zip(&want).all(|(a, b)| {
            a.to_f64().to_bits() == b.to_f64().to_bits() || (a.is_nan() && b.is_nan())
        });
        prop_assert!(
            same,
            "{threads} threads, {:?}: fast {:?} vs reference {:?}",
            T::DTYPE,
            got,
            want
        );
    }
    Ok(())
}

fn check_from_indices(case: &Case) -> Result<(), TestCaseError> {
    let spec = PoolSpec {
        reduction: poolkit::Reduction::Max,
        region: case.spec.region.clone(),
    };
    let Ok(plan) = PoolPlan::new(&spec, &case.shape, case.layout) else {
        return Ok(());
    };
    let xv = TensorView::new(&case.x, &case.shape).unwrap();
    let dy = upstream(plan.output_len(), case.dy_seed);
    let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
    for convention in [
        IndexConvention::Torch,
        IndexConvention::Onnx(StorageOrder::RowMajor),
        IndexConvention::Onnx(StorageOrder::ColumnMajor),
    ] {
        let (_, idx) = max_pool_with_indices(&plan, &xv, convention).unwrap();
        let mut want = vec![0.0; plan.input_len()];
        reference::max_pool_backward_from_indices(&plan, &dyv, &idx.view(), convention, &mut want)
            .unwrap();
        let got = max_pool_backward_from_indices(&plan, &dyv, &idx.view(), convention).unwrap();
        let same = got
            .data()
            .iter()
            .zip(&want)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        prop_assert!(
            same,
            "{convention:?}: fast {:?} vs reference {:?}",
            got.data(),
            want
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn backward_from_indices_matches_the_reference_bit_for_bit(case in case_strategy()) {
        check_from_indices(&case)?;
    }

    #[test]
    fn backward_tiles_match_the_reference_bit_for_bit(case in case_strategy()) {
        check::<f64>(&case)?;
        check::<f32>(&case)?;
        check::<f16>(&case)?;
        check::<bf16>(&case)?;
        check::<i8>(&case)?;
    }
}

#[test]
fn exactly_tiling_windows_turn_negative_zero_into_zero_as_the_reference_does() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let dy = [-0.0f32, -0.0];
    for spec in [
        PoolSpec::max(WindowSpec::new(&[2])),
        PoolSpec::avg(WindowSpec::new(&[2])),
    ] {
        let plan = PoolPlan::new(&spec, &[1, 1, 4], Layout::ChannelsFirst).unwrap();
        let mut got = [f32::NAN; 4];
        pool_backward_into_with(
            &plan,
            &TensorView::new(&x, &[1, 1, 4]).unwrap(),
            &TensorView::new(&dy, &[1, 1, 2]).unwrap(),
            &mut got,
            &ExecOptions::new().threads(2),
        )
        .unwrap();
        assert!(got.iter().all(|v| v.to_bits() == 0), "{got:?}");
    }
}

#[test]
fn large_plane_backward_is_identical_for_1_2_and_7_threads() {
    // Overlapping 3x3/s2 windows with padding: inputs shared by up to four windows.
    let shape = [2, 5, 33, 31];
    let len: usize = shape.iter().product();
    let x: Vec<f32> = (0..len).map(|i| ((i * 7919) % 23) as f32 - 11.0).collect();
    let window = WindowSpec::new(&[3, 3])
        .strides(&[2, 2])
        .padding(Padding::symmetric(&[1, 1]));
    for spec in [
        PoolSpec::max(window.clone()),
        PoolSpec::avg(window.clone()).count_include_pad(true),
        PoolSpec::lp(window, 2.0),
    ] {
        let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
        let dy: Vec<f32> = (0..plan.output_len())
            .map(|i| (i % 5) as f32 * 0.3)
            .collect();
        let xv = TensorView::new(&x, &shape).unwrap();
        let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
        let run = |threads| {
            let mut dx = vec![0f32; len];
            pool_backward_into_with(
                &plan,
                &xv,
                &dyv,
                &mut dx,
                &ExecOptions::new().threads(threads),
            )
            .unwrap();
            dx.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(7));
    }
}

#[test]
fn an_index_outside_its_plane_still_gets_the_references_answer() {
    // ONNX indices may point into another plane; the tiles leave such calls to the reference.
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2])),
        &[1, 2, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dy = [1.0f64, 2.0, 3.0, 4.0];
    let idx = [5i64, 0, 1, 7];
    let dyv = TensorView::new(&dy, &[1, 2, 2]).unwrap();
    let iv = TensorView::new(&idx, &[1, 2, 2]).unwrap();
    let conv = IndexConvention::Onnx(StorageOrder::RowMajor);
    let got = max_pool_backward_from_indices(&plan, &dyv, &iv, conv).unwrap();
    assert_eq!(got.data(), &[2.0, 3.0, 0.0, 0.0, 0.0, 1.0, 0.0, 4.0]);
    let bad = [8i64, 0, 1, 7];
    let err = max_pool_backward_from_indices(
        &plan,
        &dyv,
        &TensorView::new(&bad, &[1, 2, 2]).unwrap(),
        conv,
    )
    .unwrap_err();
    assert!(err.message().contains("index 8"), "{err}");
}

#[test]
fn windows_that_tile_the_input_match_the_reference_with_ties_nan_and_signed_zeros() {
    for (spatial, kernel) in [
        (vec![8], vec![2]),
        (vec![6, 9], vec![2, 3]),
        (vec![6, 8], vec![2, 2]),
        (vec![4, 4, 6], vec![2, 2, 3]),
    ] {
        for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
            let shape = layout.full_shape(2, 3, &spatial);
            let len: usize = shape.iter().product();
            // Few distinct values: ties in most windows, a NaN and -0.0 here and there.
            let x: Vec<f32> = (0..len)
                .map(|i| match (i * 37) % 11 {
                    0 => f32::NAN,
                    1 => -0.0,
                    k => (k % 3) as f32,
                })
                .collect();
            let window = WindowSpec::new(&kernel).strides(&kernel);
            for spec in [PoolSpec::max(window.clone()), PoolSpec::avg(window)] {
                let plan = PoolPlan::new(&spec, &shape, layout).unwrap();
                let dy = upstream(plan.output_len(), 7);
                let dy: Vec<f32> = dy.iter().map(|&v| v as f32).collect();
                let xv = TensorView::new(&x, &shape).unwrap();
                let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
                let mut want = vec![0f32; len];
                reference::pool_backward(&plan, &xv, &dyv, &mut want);
                let mut got = vec![f32::NAN; len];
                pool_backward_into_with(&plan, &xv, &dyv, &mut got, &ExecOptions::new().threads(2))
                    .unwrap();
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{spec:?} {layout:?} {spatial:?}");
            }
        }
    }
}

// ---- 2×2/s2 windows that tile the plane (the VGG case): the SIMD rows, their scalar
// tails and fallbacks, on every instruction set this CPU has.

use poolkit::{max_pool_backward_from_indices_into_with, Isa};

/// Input widths: 1, 3, 17 and 113 windows per row (tails after blocks of 8), and odd
/// widths whose windows do not tile the row.
const WIDTHS: [usize; 6] = [2, 6, 34, 226, 3, 17];

/// Every instruction set this CPU has, with 1, 2 and 7 threads.
fn every_exec() -> Vec<(Isa, usize, ExecOptions)> {
    let mut all = Vec::new();
    for isa in Isa::supported() {
        for threads in [1, 2, 7] {
            all.push((isa, threads, ExecOptions::new().isa(isa).threads(threads)));
        }
    }
    all
}

/// Small integers (ties in most windows), with a NaN or two in some windows and -0.0; whole
/// NaN-free stretches so that SIMD blocks run too.
fn tie_heavy(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| match (i * 7919 + seed * 104_729) % 97 {
            0 => f32::NAN,
            1 | 2 => -0.0,
            3 => 0.0,
            k => (k % 4) as f32 - 1.0,
        })
        .collect()
}

/// Upstream gradients with -0.0, +0.0, fractions, NaN, infinities and subnormals whose
/// quarter underflows (to -0.0 for the negative ones, as the reference gives).
fn awkward_gradients(len: usize, seed: usize) -> Vec<f32> {
    let tiny = f32::from_bits(1);
    (0..len)
        .map(|i| match (i * 31 + seed) % 13 {
            0 => -0.0,
            1 => 0.0,
            2 => -tiny,
            3 => tiny,
            4 => -3.0 * tiny,
            5 => f32::MIN_POSITIVE * -1.5,
            6 => f32::INFINITY,
            7 if i % 5 == 0 => f32::NAN,
            k => (k as f32 - 6.5) * 0.375,
        })
        .collect()
}

fn same_bits(got: &[f32], want: &[f32]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
}

/// Channels-first shapes with 2×2 windows: 2-D (some tiling, some not) and 3-D with a
/// depth-1 kernel.
fn two_by_two_cases() -> Vec<(Vec<usize>, WindowSpec)> {
    let mut cases = Vec::new();
    for w in WIDTHS {
        for h in [2, 4, 5] {
            cases.push((vec![2, 3, h, w], WindowSpec::new(&[2, 2]).strides(&[2, 2])));
        }
    }
    for w in [6, 34] {
        let window = WindowSpec::new(&[1, 2, 2]).strides(&[1, 2, 2]);
        cases.push((vec![1, 2, 3, 4, w], window));
    }
    cases
}

#[test]
fn two_by_two_recompute_and_average_match_the_reference_on_every_isa_and_thread_count() {
    for (shape, window) in two_by_two_cases() {
        let len: usize = shape.iter().product();
        let x = tie_heavy(len, shape[3] + shape.len());
        let specs = [
            PoolSpec::max(window.clone()),
            PoolSpec::avg(window.clone()),
            // Power-of-two divisors multiply exactly; 3 takes the scalar division.
            PoolSpec::avg(window.clone()).divisor_override(Some(2)),
            PoolSpec::avg(window.clone()).divisor_override(Some(8)),
            PoolSpec::avg(window.clone()).divisor_override(Some(3)),
        ];
        for spec in specs {
            let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
            let dy = awkward_gradients(plan.output_len(), len);
            let xv = TensorView::new(&x, &shape).unwrap();
            let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
            let mut want = vec![0f32; len];
            reference::pool_backward(&plan, &xv, &dyv, &mut want);
            for (isa, threads, exec) in every_exec() {
                let mut got = vec![f32::NAN; len];
                pool_backward_into_with(&plan, &xv, &dyv, &mut got, &exec).unwrap();
                assert!(
                    same_bits(&got, &want),
                    "{isa} {threads} threads {shape:?} {spec:?}:\n fast {got:?}\n want {want:?}"
                );
            }
            // The generic scalar rows for another element type.
            let x64: Vec<f64> = x.iter().map(|&v| v.into()).collect();
            let dy64: Vec<f64> = dy.iter().map(|&v| v.into()).collect();
            let xv = TensorView::new(&x64, &shape).unwrap();
            let dyv = TensorView::new(&dy64, plan.output_shape()).unwrap();
            let mut want = vec![0f64; len];
            reference::pool_backward(&plan, &xv, &dyv, &mut want);
            let mut got = vec![f64::NAN; len];
            pool_backward_into_with(&plan, &xv, &dyv, &mut got, &ExecOptions::new().threads(2))
                .unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "f64 {shape:?} {spec:?}");
        }
    }
}

#[test]
fn max_ties_go_to_the_first_corner_and_nan_wins_in_every_block_position() {
    // One row pair: a NaN-free block of 8 windows (the SIMD compares decide), a block
    // with NaNs (redone by the scalar code), then a tail window. Every corner wins
    // somewhere, by tie order or by a NaN.
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let patterns: [[f32; 4]; 17] = [
        [1.0, 1.0, 1.0, 1.0],
        [0.0, 2.0, 2.0, 2.0],
        [0.0, 1.0, 3.0, 3.0],
        [0.0, 1.0, 2.0, 9.0],
        [-0.0, 0.0, 0.0, -0.0],
        [-inf, -inf, -inf, -inf],
        [1.0, 0.0, 1.0, 1.0],
        [0.0, 0.0, 1.0, 1.0],
        [1.0, nan, 5.0, nan],
        [5.0, 4.0, nan, 6.0],
        [0.0, 0.0, 0.0, nan],
        [nan, 1.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0],
        [0.0, 3.0, 3.0, 3.0],
        [0.0, 0.0, 2.0, 2.0],
        [0.0, 0.0, 0.0, 1.0],
        [2.0, 2.0, 3.0, 3.0],
    ];
    let w = 2 * patterns.len();
    let mut x = vec![0f32; 2 * w];
    for (k, p) in patterns.iter().enumerate() {
        x[2 * k] = p[0];
        x[2 * k + 1] = p[1];
        x[w + 2 * k] = p[2];
        x[w + 2 * k + 1] = p[3];
    }
    let shape = [1, 1, 2, w];
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2])),
        &shape,
        Layout::ChannelsFirst,
    )
    .unwrap();
    let dy: Vec<f32> = (0..patterns.len()).map(|k| -(k as f32) - 0.5).collect();
    let xv = TensorView::new(&x, &shape).unwrap();
    let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
    let mut want = vec![0f32; x.len()];
    reference::pool_backward(&plan, &xv, &dyv, &mut want);
    let winners: Vec<usize> = (0..patterns.len())
        .map(|k| {
            [2 * k, 2 * k + 1, w + 2 * k, w + 2 * k + 1]
                .iter()
                .position(|&p| want[p] != 0.0)
                .unwrap()
        })
        .collect();
    assert_eq!(winners, [0, 1, 2, 3, 0, 0, 0, 2, 1, 2, 3, 0, 0, 1, 2, 3, 2]);
    for (isa, threads, exec) in every_exec() {
        let mut got = vec![f32::NAN; x.len()];
        pool_backward_into_with(&plan, &xv, &dyv, &mut got, &exec).unwrap();
        assert!(
            same_bits(&got, &want),
            "{isa} {threads}: {got:?} vs {want:?}"
        );
    }
}

/// The reference's answer (or error) for a gradient from indices.
fn reference_from_indices(
    plan: &PoolPlan,
    dy: &TensorView<f32>,
    idx: &[i64],
    convention: IndexConvention,
) -> Result<Vec<f32>, String> {
    let iv = TensorView::new(idx, plan.output_shape()).unwrap();
    let mut want = vec![0f32; plan.input_len()];
    reference::max_pool_backward_from_indices(plan, dy, &iv, convention, &mut want)
        .map(|()| want)
        .map_err(|e| e.to_string())
}

/// Checks the allocating call and the `_into_with` call on every ISA and thread count
/// against the reference; on an error, the buffer must be left as it was (NaN canaries).
fn check_from_indices_everywhere(
    plan: &PoolPlan,
    dy: &TensorView<f32>,
    idx: &[i64],
    convention: IndexConvention,
    what: &str,
) {
    let want = reference_from_indices(plan, dy, idx, convention);
    let iv = TensorView::new(idx, plan.output_shape()).unwrap();
    let alloc = max_pool_backward_from_indices(plan, dy, &iv, convention);
    match (&want, &alloc) {
        (Ok(w), Ok(g)) => assert!(same_bits(g.data(), w), "{what} alloc: {:?}", g.data()),
        (Err(w), Err(g)) => assert_eq!(w, &g.to_string(), "{what} alloc"),
        _ => panic!(
            "{what} alloc: reference {want:?}, fast {:?}",
            alloc.map(|_| ())
        ),
    }
    for (isa, threads, exec) in every_exec() {
        let mut got = vec![f32::NAN; plan.input_len()];
        let result =
            max_pool_backward_from_indices_into_with(plan, dy, &iv, convention, &mut got, &exec);
        match (&want, result) {
            (Ok(w), Ok(())) => {
                assert!(
                    same_bits(&got, w),
                    "{what} {isa} {threads}: {got:?} vs {w:?}"
                )
            }
            (Err(w), Err(g)) => {
                assert_eq!(w, &g.to_string(), "{what} {isa} {threads}");
                assert!(
                    got.iter().all(|v| v.is_nan()),
                    "{what} {isa} {threads}: an error must leave the buffer unwritten"
                );
            }
            (w, g) => panic!("{what} {isa} {threads}: reference {w:?}, fast {g:?}"),
        }
    }
}

#[test]
fn two_by_two_from_indices_matches_the_reference_on_every_isa_and_thread_count() {
    for (shape, window) in two_by_two_cases() {
        let plan = PoolPlan::new(&PoolSpec::max(window), &shape, Layout::ChannelsFirst).unwrap();
        let x = tie_heavy(plan.input_len(), shape[3]);
        let xv = TensorView::new(&x, &shape).unwrap();
        let dy = awkward_gradients(plan.output_len(), 5);
        let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
        let plane_in: usize = plan.input_spatial().iter().product();
        let plane_out: usize = plan.output_spatial().iter().product();
        let planes = plan.output_len() / plane_out.max(1);
        for convention in [
            IndexConvention::Torch,
            IndexConvention::Onnx(StorageOrder::RowMajor),
        ] {
            let (_, idx) = max_pool_with_indices(&plan, &xv, convention).unwrap();
            let idx = idx.data().to_vec();
            check_from_indices_everywhere(&plan, &dyv, &idx, convention, "forward's indices");
            if idx.is_empty() {
                continue;
            }
            let base = |plane: usize| match convention {
                IndexConvention::Torch => 0,
                _ => (plane * plane_in) as i64,
            };
            // Out of its window but inside its plane, in the last plane: two windows send
            // their gradients to the same input (scratch fallback for that tile only).
            let last = planes - 1;
            let mut moved = idx.clone();
            moved[last * plane_out] = base(last) + plane_in as i64 - 1;
            moved[last * plane_out + plane_out - 1] = base(last) + plane_in as i64 - 1;
            check_from_indices_everywhere(&plan, &dyv, &moved, convention, "out of window");
            // Out of its plane in the last plane: past the input for Torch (an error,
            // nothing written), into the first plane for ONNX (the reference's answer).
            let mut outside = idx.clone();
            outside[plan.output_len() - 1] = match convention {
                IndexConvention::Torch => plane_in as i64,
                _ => 0,
            };
            check_from_indices_everywhere(&plan, &dyv, &outside, convention, "out of plane");
            let mut negative = idx.clone();
            negative[plan.output_len() / 2] = -1;
            check_from_indices_everywhere(&plan, &dyv, &negative, convention, "negative");
        }
    }
}

#[test]
fn large_two_by_two_gradients_with_streaming_stores_match_the_scalar_variant() {
    // 64 MiB of f32 gradient: the SIMD rows stream it. The scalar variant (checked
    // against the reference above) never streams. Offsets into a larger buffer move the
    // gradient's alignment through 32-byte, 16-byte and unaligned starts.
    let shape = [1, 4, 2048, 2050];
    let len: usize = shape.iter().product();
    let x = tie_heavy(len, 1);
    let xv = TensorView::new(&x, &shape).unwrap();
    let window = WindowSpec::new(&[2, 2]).strides(&[2, 2]);
    let scalar = ExecOptions::new().isa(Isa::Scalar).threads(2);
    let widest = ExecOptions::new().threads(2);
    let mut buffer = vec![f32::NAN; len + 8];
    for spec in [PoolSpec::max(window.clone()), PoolSpec::avg(window.clone())] {
        let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
        let dy = awkward_gradients(plan.output_len(), 3);
        let dyv = TensorView::new(&dy, plan.output_shape()).unwrap();
        let mut want = vec![0f32; len];
        pool_backward_into_with(&plan, &xv, &dyv, &mut want, &scalar).unwrap();
        for offset in [0, 1, 4] {
            let got = &mut buffer[offset..offset + len];
            got.fill(f32::NAN);
            pool_backward_into_with(&plan, &xv, &dyv, got, &widest).unwrap();
            assert!(same_bits(got, &want), "{spec:?} offset {offset}");
        }
        if matches!(spec.reduction, poolkit::Reduction::Max) {
            let (_, idx) = max_pool_with_indices(&plan, &xv, IndexConvention::Torch).unwrap();
            for offset in [0, 1, 4] {
                let got = &mut buffer[offset..offset + len];
                got.fill(f32::NAN);
                max_pool_backward_from_indices_into_with(
                    &plan,
                    &dyv,
                    &idx.view(),
                    IndexConvention::Torch,
                    got,
                    &widest,
                )
                .unwrap();
                assert!(same_bits(got, &want), "from indices, offset {offset}");
            }
            let fresh =
                max_pool_backward_from_indices(&plan, &dyv, &idx.view(), IndexConvention::Torch)
                    .unwrap();
            assert!(same_bits(fresh.data(), &want), "from indices, allocated");
        }
    }
}

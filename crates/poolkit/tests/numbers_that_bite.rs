//! Numbers that bite: NaN and ±Inf through every operator (the results `docs/reliability.md`
//! and the crate docs promise), subnormals, float16 sums beyond float16's range, windows
//! larger than the input, empty batch and channel axes, argmax indices past 2^32, and
//! results too large to allocate. Fast paths are checked on every instruction set this CPU
//! has, since they must keep the same promises as the reference.

mod common;

use common::isas;
use poolkit::{
    bf16, f16, max_pool_backward_from_indices, max_pool_with_indices, max_roi_pool,
    max_roi_pool_backward, max_unpool, max_unpool_backward, pool, pool_backward, pool_with,
    Element, ErrorKind, ExecOptions, IndexConvention, Layout, Padding, PoolPlan, PoolSpec, RoiPlan,
    RoiPoolSpec, StorageOrder, TensorView, UnpoolPlan, UnpoolSpec, WindowSpec,
};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// Compares as the docs state results: NaN equals NaN, everything else exactly.
fn same(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g.is_nan() && w.is_nan()) || g == w)
}

fn to_f64<T: Element>(values: &[T]) -> Vec<f64> {
    values.iter().map(|v| v.to_f64()).collect()
}

fn from_f64<T: Element>(values: &[f64]) -> Vec<T> {
    values.iter().map(|&v| T::from_f64(v)).collect()
}

/// Four windows of two (kernel 2, stride 2): `[NaN, 1]`, `[+Inf, 1]`, `[-Inf, -Inf]`,
/// `[+Inf, -Inf]`.
const SPECIALS: [f64; 8] = [NAN, 1.0, INF, 1.0, -INF, -INF, INF, -INF];

fn window2() -> WindowSpec {
    WindowSpec::new(&[2]).strides(&[2])
}

/// Forward pooling of [`SPECIALS`] as `[1, 1, 8]`, on every instruction set.
fn forward<T: Element>(spec: &PoolSpec) -> Vec<f64> {
    let x: Vec<T> = from_f64(&SPECIALS);
    let view = TensorView::new(&x, &[1, 1, 8]).unwrap();
    let plan = PoolPlan::new(spec, &[1, 1, 8], Layout::ChannelsFirst).unwrap();
    let reference = to_f64(pool(&plan, &view).unwrap().data());
    for isa in isas() {
        for threads in [1, 3] {
            let options = ExecOptions::new().isa(isa).threads(threads);
            let fast = to_f64(pool_with(&plan, &view, &options).unwrap().data());
            assert!(
                same(&fast, &reference),
                "{spec:?} {} on {isa} with {threads} threads: {fast:?}, default dispatch {reference:?}",
                T::DTYPE.name()
            );
        }
    }
    reference
}

fn nan_and_inf_forward_table<T: Element>() {
    let name = T::DTYPE.name();
    let table: [(PoolSpec, [f64; 4]); 5] = [
        (PoolSpec::max(window2()), [NAN, INF, -INF, INF]),
        (PoolSpec::avg(window2()), [NAN, INF, -INF, NAN]),
        (PoolSpec::lp(window2(), 2.0), [NAN, INF, INF, INF]),
        (PoolSpec::adaptive_max(&[4]), [NAN, INF, -INF, INF]),
        (PoolSpec::adaptive_avg(&[4]), [NAN, INF, -INF, NAN]),
    ];
    for (spec, want) in table {
        let got = forward::<T>(&spec);
        assert!(same(&got, &want), "{name} {spec:?}: {got:?}, want {want:?}");
    }
    // Global pooling over all eight: the NaN decides both.
    assert!(forward::<T>(&PoolSpec::global_max())[0].is_nan(), "{name}");
    assert!(forward::<T>(&PoolSpec::global_avg())[0].is_nan(), "{name}");
}

#[test]
fn nan_and_inf_forward_results_follow_the_documented_table() {
    nan_and_inf_forward_table::<f32>();
    nan_and_inf_forward_table::<f64>();
    nan_and_inf_forward_table::<f16>();
    nan_and_inf_forward_table::<bf16>();
}

#[test]
fn global_pooling_without_nan_sees_the_infinities() {
    let x = [INF, 1.0, -INF, -INF];
    let view = TensorView::new(&x, &[1, 1, 4]).unwrap();
    let run = |spec: PoolSpec| {
        let plan = PoolPlan::new(&spec, &[1, 1, 4], Layout::ChannelsFirst).unwrap();
        pool(&plan, &view).unwrap().data()[0]
    };
    assert_eq!(run(PoolSpec::global_max()), INF);
    assert!(run(PoolSpec::global_avg()).is_nan(), "+Inf + -Inf is NaN");
    assert_eq!(run(PoolSpec::lp(WindowSpec::new(&[4]), 3.0)), INF);
    let all_minus_inf = [-INF; 4];
    let view = TensorView::new(&all_minus_inf, &[1, 1, 4]).unwrap();
    let plan = PoolPlan::new(&PoolSpec::global_max(), &[1, 1, 4], Layout::ChannelsFirst).unwrap();
    assert_eq!(pool(&plan, &view).unwrap().data(), &[-INF]);
}

#[test]
fn max_indices_point_at_the_first_nan_and_the_first_of_tied_infinities() {
    let plan = PoolPlan::new(&PoolSpec::max(window2()), &[1, 1, 8], Layout::ChannelsFirst).unwrap();
    let x: Vec<f32> = from_f64(&SPECIALS);
    let (_, idx) = max_pool_with_indices(
        &plan,
        &TensorView::new(&x, &[1, 1, 8]).unwrap(),
        IndexConvention::Torch,
    )
    .unwrap();
    assert_eq!(idx.data(), &[0, 2, 4, 6]);
    // A NaN after the maximum still wins: NaN propagates wherever it stands.
    let late = [1.0f32, f32::NAN, 2.0, f32::NAN];
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[4])),
        &[1, 1, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let (y, idx) = max_pool_with_indices(
        &plan,
        &TensorView::new(&late, &[1, 1, 4]).unwrap(),
        IndexConvention::Torch,
    )
    .unwrap();
    assert!(y.data()[0].is_nan());
    assert_eq!(idx.data(), &[1]);
}

#[test]
fn nan_and_inf_backward_results_follow_the_documented_table() {
    let x: Vec<f64> = SPECIALS.to_vec();
    let dy = [1.0, 2.0, 3.0, 4.0];
    let xv = TensorView::new(&x, &[1, 1, 8]).unwrap();
    let dyv = TensorView::new(&dy, &[1, 1, 4]).unwrap();
    let backward = |spec: PoolSpec| {
        let plan = PoolPlan::new(&spec, &[1, 1, 8], Layout::ChannelsFirst).unwrap();
        pool_backward(&plan, &xv, &dyv).unwrap().into_vec()
    };
    // Max: each dy goes to its window's argmax (the first NaN, the first of tied infinities).
    let max = backward(PoolSpec::max(window2()));
    assert_eq!(max, [1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0]);
    // Average: the values do not enter the gradient, only the divisor.
    let avg = backward(PoolSpec::avg(window2()));
    assert_eq!(avg, [0.5, 0.5, 1.0, 1.0, 1.5, 1.5, 2.0, 2.0]);
    // Lp: a window whose norm is NaN gives NaN to all its inputs; a window whose norm is
    // infinite gives NaN to its infinite inputs (Inf/Inf) and 0 to its finite ones.
    let lp = backward(PoolSpec::lp(window2(), 2.0));
    assert!(
        same(&lp, &[NAN, NAN, NAN, 0.0, NAN, NAN, NAN, NAN]),
        "{lp:?}"
    );
    // The same for max from indices: the gradient follows the indices, whatever the values.
    let plan = PoolPlan::new(&PoolSpec::max(window2()), &[1, 1, 8], Layout::ChannelsFirst).unwrap();
    let (_, idx) = max_pool_with_indices(&plan, &xv, IndexConvention::Torch).unwrap();
    let from_idx =
        max_pool_backward_from_indices(&plan, &dyv, &idx.view(), IndexConvention::Torch).unwrap();
    assert_eq!(from_idx.data(), max.as_slice());
}

#[test]
fn unpool_and_roi_pool_carry_nan_and_inf_through() {
    // Unpooling places values as they are, NaN and infinities included.
    let values = [NAN, INF, -INF];
    let indices = [0i64, 3, 5];
    let plan = UnpoolPlan::new(&UnpoolSpec::new(&[2]), &[1, 1, 3], Layout::ChannelsFirst).unwrap();
    let out = max_unpool(
        &plan,
        &TensorView::new(&values, &[1, 1, 3]).unwrap(),
        &TensorView::new(&indices, &[1, 1, 3]).unwrap(),
        IndexConvention::Torch,
    )
    .unwrap();
    assert!(same(out.data(), &[NAN, 0.0, 0.0, INF, 0.0, -INF]));
    // RoI max: a bin holding a NaN is NaN, a bin holding +Inf is +Inf.
    let map = [NAN, 1.0, 2.0, INF];
    let plan = RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: [1, 2],
            spatial_scale: 1.0,
        },
        &[1, 1, 1, 4],
        &[1, 5],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let rois = [0.0, 0.0, 0.0, 3.0, 0.0];
    let out = max_roi_pool(
        &plan,
        &TensorView::new(&map, &[1, 1, 1, 4]).unwrap(),
        &TensorView::new(&rois, &[1, 5]).unwrap(),
    )
    .unwrap();
    assert!(same(out.data(), &[NAN, INF]), "{:?}", out.data());
}

#[test]
fn subnormals_are_neither_flushed_nor_rounded_away() {
    // f32: the smallest subnormals, 1 and 3 ulps; their mean is exactly 2 ulps.
    let tiny = |bits: u32| f32::from_bits(bits);
    let x = [
        tiny(1),
        tiny(3),
        tiny(5),
        tiny(5),
        tiny(0x007f_ffff),
        tiny(1),
    ];
    let view = TensorView::new(&x, &[1, 1, 6]).unwrap();
    let max = PoolPlan::new(&PoolSpec::max(window2()), &[1, 1, 6], Layout::ChannelsFirst).unwrap();
    let avg = PoolPlan::new(&PoolSpec::avg(window2()), &[1, 1, 6], Layout::ChannelsFirst).unwrap();
    for isa in isas() {
        let options = ExecOptions::new().isa(isa);
        let bits = |plan: &PoolPlan| -> Vec<u32> {
            pool_with(plan, &view, &options)
                .unwrap()
                .data()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        };
        assert_eq!(bits(&max), [3, 5, 0x007f_ffff], "max on {isa}");
        assert_eq!(bits(&avg), [2, 5, 0x0040_0000], "avg on {isa}");
    }
    // f64 and f16 subnormals, through the default dispatch.
    let d = [f64::from_bits(2), f64::from_bits(4)];
    let plan = PoolPlan::new(&PoolSpec::avg(window2()), &[1, 1, 2], Layout::ChannelsFirst).unwrap();
    let y = pool(&plan, &TensorView::new(&d, &[1, 1, 2]).unwrap()).unwrap();
    assert_eq!(y.data()[0].to_bits(), 3);
    let h = [f16::from_bits(1), f16::from_bits(3)];
    let y = pool(&plan, &TensorView::new(&h, &[1, 1, 2]).unwrap()).unwrap();
    assert_eq!(y.data()[0].to_bits(), 2);
    // Lp of subnormals stays finite and non-zero thanks to the max-magnitude scaling.
    let lp = PoolPlan::new(
        &PoolSpec::lp(window2(), 2.0),
        &[1, 1, 2],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let y = pool(&lp, &TensorView::new(&d, &[1, 1, 2]).unwrap()).unwrap();
    assert!(y.data()[0] > 0.0 && y.data()[0] < 1e-300);
}

#[test]
fn float16_averages_do_not_overflow_where_float16_sums_would() {
    // 4 × 60000 = 240000 is far beyond float16's largest finite value, 65504.
    let big = f16::from_f32(60000.0);
    let x = vec![big; 16];
    let view = TensorView::new(&x, &[1, 1, 4, 4]).unwrap();
    let specs = [
        PoolSpec::avg(WindowSpec::new(&[2, 2]).strides(&[2, 2])),
        PoolSpec::avg(WindowSpec::new(&[3, 3]).strides(&[1, 1])),
        PoolSpec::global_avg(),
        PoolSpec::adaptive_avg(&[3, 3]),
    ];
    for spec in &specs {
        let plan = PoolPlan::new(spec, &[1, 1, 4, 4], Layout::ChannelsFirst).unwrap();
        for isa in isas() {
            let y = pool_with(&plan, &view, &ExecOptions::new().isa(isa)).unwrap();
            assert!(
                y.data().iter().all(|&v| v == big),
                "{spec:?} on {isa}: {:?}",
                y.data()
            );
        }
    }
    // Lp norms of large float16 values: the scaled formula keeps intermediate powers in range.
    let plan = PoolPlan::new(
        &PoolSpec::lp(WindowSpec::new(&[2, 2]).strides(&[2, 2]), 2.0),
        &[1, 1, 4, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let y = pool(&plan, &view).unwrap();
    // sqrt(4 · 60000²) = 120000 is above 65504: the true result rounds to +Inf in float16.
    assert!(y.data().iter().all(|v| v.to_f64() == INF), "{:?}", y.data());
    let small = vec![f16::from_f32(30000.0); 16];
    let y = pool(&plan, &TensorView::new(&small, &[1, 1, 4, 4]).unwrap()).unwrap();
    assert!(
        y.data().iter().all(|v| v.to_f64() == 60000.0),
        "{:?}",
        y.data()
    );
    // The gradient of an average over float16 is accumulated in f64 too.
    let dy = vec![big; 4];
    let plan = PoolPlan::new(&specs[0], &[1, 1, 4, 4], Layout::ChannelsFirst).unwrap();
    let dx = pool_backward(&plan, &view, &TensorView::new(&dy, &[1, 1, 2, 2]).unwrap()).unwrap();
    assert!(dx.data().iter().all(|v| v.to_f64() == 15000.0));
}

#[test]
fn windows_larger_than_the_input_are_refused() {
    for (spec, shape) in [
        (PoolSpec::max(WindowSpec::new(&[5])), vec![1, 1, 4]),
        (
            PoolSpec::avg(WindowSpec::new(&[3, 3]).strides(&[1, 1]).ceil_mode(true)),
            vec![1, 1, 2, 8],
        ),
        (
            PoolSpec::lp(WindowSpec::new(&[2, 2, 2]).dilations(&[1, 1, 4]), 2.0),
            vec![1, 1, 2, 2, 4],
        ),
    ] {
        let err = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::EmptyOutput, "{spec:?}: {err}");
        assert!(err.message().contains("axis"), "{err}");
    }
    // Padding that makes room is accepted: the window then covers the input and padding.
    let padded = WindowSpec::new(&[5])
        .strides(&[1])
        .padding(Padding::symmetric(&[2]));
    let plan = PoolPlan::new(&PoolSpec::max(padded), &[1, 1, 4], Layout::ChannelsFirst).unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, 4]);
    // So does ceil mode, by up to stride - 1 (PyTorch and ONNX): a 3x3/s3 window on 2 rows
    // overhangs by one, and the average divides by the taps inside the input.
    let ceil = PoolSpec::avg(WindowSpec::new(&[3, 3]).ceil_mode(true));
    let plan = PoolPlan::new(&ceil, &[1, 1, 2, 8], Layout::ChannelsFirst).unwrap();
    let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let y = pool(&plan, &TensorView::new(&x, &[1, 1, 2, 8]).unwrap()).unwrap();
    assert_eq!(
        (y.shape(), y.data()),
        (&[1, 1, 1, 3][..], &[5.0, 8.0, 10.5][..])
    );
}

/// Every operator over shapes with an empty batch or channel axis: an empty result of the
/// right shape, forward and backward, in both layouts.
#[test]
fn empty_batch_or_channels_give_empty_results_forward_and_backward() {
    let specs = [
        PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2])),
        PoolSpec::avg(WindowSpec::new(&[3, 3]).padding(Padding::symmetric(&[1, 1]))),
        PoolSpec::lp(WindowSpec::new(&[2, 2]), 3.0),
        PoolSpec::global_max(),
        PoolSpec::global_avg(),
        PoolSpec::adaptive_max(&[3, 2]),
        PoolSpec::adaptive_avg(&[2, 3]),
    ];
    let empty: [f32; 0] = [];
    for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
        for (batch, channels) in [(0, 3), (2, 0), (0, 0)] {
            let shape = layout.full_shape(batch, channels, &[4, 5]);
            let x = TensorView::new(&empty, &shape).unwrap();
            for spec in &specs {
                let plan = PoolPlan::new(spec, &shape, layout)
                    .unwrap_or_else(|e| panic!("{spec:?} on {shape:?}: {e}"));
                let y = pool(&plan, &x).unwrap();
                assert_eq!(y.shape(), plan.output_shape());
                assert!(y.data().is_empty());
                let dy = TensorView::new(&empty, plan.output_shape()).unwrap();
                let dx = pool_backward(&plan, &x, &dy).unwrap();
                assert_eq!(dx.shape(), shape.as_slice());
                assert!(dx.data().is_empty());
                for isa in isas() {
                    let y = pool_with(&plan, &x, &ExecOptions::new().isa(isa).threads(2)).unwrap();
                    assert_eq!(y.shape(), plan.output_shape(), "{spec:?} on {isa}");
                }
            }
            let plan = PoolPlan::new(&specs[0], &shape, layout).unwrap();
            let (y, idx) = max_pool_with_indices(&plan, &x, IndexConvention::Torch).unwrap();
            assert!(y.data().is_empty() && idx.data().is_empty());
            let dx = max_pool_backward_from_indices(
                &plan,
                &y.view(),
                &idx.view(),
                IndexConvention::Torch,
            )
            .unwrap();
            assert_eq!(dx.shape(), shape.as_slice());
            // Unpooling back to the input's shape.
            let unplan = UnpoolPlan::new(
                &UnpoolSpec::new(&[2, 2]).output_size(&[4, 5]),
                plan.output_shape(),
                layout,
            )
            .unwrap();
            let up = max_unpool(&unplan, &y.view(), &idx.view(), IndexConvention::Torch).unwrap();
            assert_eq!(up.shape(), shape.as_slice());
            let dup = max_unpool_backward(
                &unplan,
                &TensorView::new(&empty, &shape).unwrap(),
                &idx.view(),
                IndexConvention::Torch,
            )
            .unwrap();
            assert_eq!(dup.shape(), plan.output_shape());
        }
    }
    // RoI pooling of a map with no channels, and of no RoIs at all.
    let spec = RoiPoolSpec {
        pooled_shape: [2, 2],
        spatial_scale: 1.0,
    };
    let map = [0.0f64; 0];
    let plan = RoiPlan::new(spec, &[1, 0, 4, 4], &[1, 5], Layout::ChannelsFirst).unwrap();
    let rois = [0.0, 0.0, 0.0, 3.0, 3.0];
    let mapv = TensorView::new(&map, &[1, 0, 4, 4]).unwrap();
    let roisv = TensorView::new(&rois, &[1, 5]).unwrap();
    let y = max_roi_pool(&plan, &mapv, &roisv).unwrap();
    assert_eq!(y.shape(), &[1, 0, 2, 2]);
    let dx = max_roi_pool_backward(&plan, &mapv, &roisv, &y.view()).unwrap();
    assert_eq!(dx.shape(), &[1, 0, 4, 4]);
    let ones = [1.0f64; 16];
    let plan = RoiPlan::new(spec, &[1, 1, 4, 4], &[0, 5], Layout::ChannelsFirst).unwrap();
    let y = max_roi_pool(
        &plan,
        &TensorView::new(&ones, &[1, 1, 4, 4]).unwrap(),
        &TensorView::new(&map, &[0, 5]).unwrap(),
    )
    .unwrap();
    assert_eq!(y.shape(), &[0, 1, 2, 2]);
}

/// Found by fuzzing (`plan` target, input `09 00 59 fa 00 0f fe b8 b8 b8 b8 9d 9d 01 03 ff`):
/// global max pooling of an empty batch with spatial extents `[5, usize::MAX]` (global and
/// adaptive axes take any extent) overflowed in the fast path, which multiplied the
/// extents before seeing that there was nothing to pool.
#[test]
fn empty_batch_with_spatial_extents_beyond_usize_pools_to_empty() {
    let shape = [0, 3, 5, usize::MAX];
    let empty: [f32; 0] = [];
    let x = TensorView::new(&empty, &shape).unwrap();
    for spec in [
        PoolSpec::global_max(),
        PoolSpec::global_avg(),
        PoolSpec::adaptive_max(&[5, 1]),
        PoolSpec::adaptive_avg(&[1, 1]),
    ] {
        let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
        for isa in isas() {
            let y = pool_with(&plan, &x, &ExecOptions::new().isa(isa)).unwrap();
            assert_eq!(y.shape(), plan.output_shape(), "{spec:?} on {isa}");
            assert!(y.data().is_empty());
        }
        let (y, idx) = max_pool_with_indices(&plan, &x, IndexConvention::Torch)
            .map_or((None, None), |(y, i)| (Some(y), Some(i)));
        if let (Some(y), Some(idx)) = (y, idx) {
            assert!(y.data().is_empty() && idx.data().is_empty());
        }
    }
}

/// `2^32 + 1` columns: every index of the second row is past `u32::MAX`.
const WIDE: usize = (1 << 32) + 1;

/// A `[1, 1, 2, WIDE]` tensor that is 0 on row 0 and 5 on row 1, held in two elements
/// through zero strides.
fn wide_view(buffer: &[f32; 2]) -> TensorView<'_, f32> {
    TensorView::with_strides(buffer, &[1, 1, 2, WIDE], &[0, 0, 1, 0], 0).unwrap()
}

#[test]
fn argmax_indices_past_two_to_the_32_are_exact_i64() {
    let buffer = [0.0f32, 5.0];
    let x = wide_view(&buffer);
    // Kernel 2×1 and a column stride of 2^31: outputs at columns 0, 2^31 and 2^32.
    let spec = PoolSpec::max(WindowSpec::new(&[2, 1]).strides(&[2, 1 << 31]));
    let plan = PoolPlan::new(&spec, x.shape(), Layout::ChannelsFirst).unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, 1, 3]);
    let columns = [0i64, 1 << 31, 1 << 32];
    let wide = WIDE as i64;
    for (convention, want) in [
        (IndexConvention::Torch, columns.map(|w| wide + w)),
        (
            IndexConvention::Onnx(StorageOrder::RowMajor),
            columns.map(|w| wide + w),
        ),
        (
            IndexConvention::Onnx(StorageOrder::ColumnMajor),
            columns.map(|w| 1 + 2 * w),
        ),
    ] {
        let (y, idx) = max_pool_with_indices(&plan, &x, convention).unwrap();
        assert_eq!(y.data(), &[5.0; 3]);
        assert_eq!(idx.data(), &want, "{convention:?}");
        assert!(idx.data()[2] > u32::MAX as i64);
        // Each index decodes back to row 1 of its column.
        for (&i, &w) in idx.data().iter().zip(&columns) {
            let (plane, pos) = convention.decode(i, 0, 0, 1, 1, &[2, WIDE]).unwrap();
            assert_eq!((plane, pos), (0, vec![1, w as usize]));
        }
    }
}

#[test]
fn index_encode_and_decode_past_two_to_the_31_and_32() {
    let spatial = [3, 1 << 31, 5];
    let pos = [2, (1 << 31) - 1, 4];
    let row_major = (2 * (1i64 << 31) + (1 << 31) - 1) * 5 + 4;
    assert_eq!(
        IndexConvention::Torch.encode(0, 0, 1, &pos, &spatial),
        row_major
    );
    let plane = 3 * (1i64 << 31) * 5;
    let conventions = [
        (IndexConvention::Torch, row_major),
        (
            IndexConvention::Onnx(StorageOrder::RowMajor),
            7 * plane + row_major,
        ),
        (
            IndexConvention::Onnx(StorageOrder::ColumnMajor),
            7 * plane + 2 + 3 * ((1i64 << 31) - 1) + 3 * (1 << 31) * 4,
        ),
    ];
    // Batch 2, channels 4: plane (n=1, c=3) is the 8th, 7 planes of 2^32 · 7.5 before it.
    for (convention, want) in conventions {
        let index = convention.encode(1, 3, 4, &pos, &spatial);
        assert_eq!(index, want, "{convention:?}");
        assert!(index > i64::from(u32::MAX));
        let (plane_of, back) = convention.decode(index, 1, 3, 4, 2, &spatial).unwrap();
        assert_eq!((plane_of, back), (7, pos.to_vec()), "{convention:?}");
    }
    // One past the end is refused, and named.
    let end = 2 * 4 * plane;
    let err = IndexConvention::Onnx(StorageOrder::RowMajor)
        .decode(end, 0, 0, 4, 2, &spatial)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IndexOutOfRange);
    assert!(err.message().contains(&end.to_string()), "{err}");
}

#[test]
fn results_too_large_to_allocate_are_refused_before_allocating() {
    let one = [1.0f32];
    let x = TensorView::new(&one, &[1, 1, 1, 1]).unwrap();
    // 2^31 × 2^31 outputs of 4 bytes: 2^64 bytes, beyond any allocation.
    let plan = PoolPlan::new(
        &PoolSpec::adaptive_max(&[1 << 31, 1 << 31]),
        &[1, 1, 1, 1],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let err = pool(&plan, &x).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    assert!(err.message().contains("the output of shape"), "{err}");
    let err = max_pool_with_indices(&plan, &x, IndexConvention::Torch).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    // 2^40 × 2^20 = 2^60 outputs of 4 bytes: 2^62 bytes, under isize::MAX but more than
    // any machine's address space, so the allocator refuses and the call says so.
    let plan = PoolPlan::new(
        &PoolSpec::adaptive_avg(&[1 << 40, 1 << 20]),
        &[1, 1, 1, 1],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let err = pool(&plan, &x).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    assert!(err.message().contains("4611686018427387904 bytes"), "{err}");
    // Backward: the gradient of a 2^60-element zero-strided input would need 2^62 bytes.
    let shape = [1, 1, 1 << 40, 1 << 20];
    let big = TensorView::with_strides(&one, &shape, &[0, 0, 0, 0], 0).unwrap();
    let spec = PoolSpec::max(WindowSpec::new(&[1, 1]).strides(&[1 << 40, 1 << 20]));
    let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, 1, 1]);
    let dy = [1.0f32];
    let dyv = TensorView::new(&dy, &[1, 1, 1, 1]).unwrap();
    let err = pool_backward(&plan, &big, &dyv).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    assert!(err.message().contains("grad_input"), "{err}");
    let (_, idx) = max_pool_with_indices(&plan, &big, IndexConvention::Torch).unwrap();
    let err = max_pool_backward_from_indices(&plan, &dyv, &idx.view(), IndexConvention::Torch)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    // Unpooling into a requested output of 2^62 bytes.
    let unplan = UnpoolPlan::new(
        &UnpoolSpec::new(&[1, 1]).output_size(&[1 << 40, 1 << 20]),
        &[1, 1, 1, 1],
        Layout::ChannelsFirst,
    );
    if let Ok(unplan) = unplan {
        let zero = [0i64];
        let err = max_unpool(
            &unplan,
            &x,
            &TensorView::new(&zero, &[1, 1, 1, 1]).unwrap(),
            IndexConvention::Torch,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Overflow, "{err}");
    }
}

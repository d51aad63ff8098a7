//! Max-unpooling inverts max pooling where it can: every maximum goes back to the position
//! its index names, everything else is zero — in every index convention and layout — and
//! an index outside the output is an error that names it.

mod brute;

use brute::strategies::{case_with, layout, value};
use brute::tensors::{same_value, to_channels_first, to_channels_last};
use brute::{brute_pool, multi_indices, row_major_offset};
use poolkit::{
    max_pool_with_indices, max_unpool, ErrorKind, IndexConvention, Layout, PoolPlan, Reduction,
    Region, StorageOrder, TensorView, UnpoolPlan, UnpoolSpec,
};
use proptest::prelude::*;
use std::collections::HashSet;

const CONVENTIONS: [IndexConvention; 3] = [
    IndexConvention::Torch,
    IndexConvention::Onnx(StorageOrder::RowMajor),
    IndexConvention::Onnx(StorageOrder::ColumnMajor),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn unpooling_puts_each_max_back_and_zeros_elsewhere(
        case in case_with(Just(Reduction::Max).boxed(), value().boxed()),
        layout in layout(),
        convention in prop::sample::select(CONVENTIONS.to_vec()),
    ) {
        let Ok(brute) = brute_pool(&case.spec, &case.data, &case.shape) else { return Ok(()) };
        // Where the maxima are, from the brute force: (n*C + c, row-major spatial offset).
        let spatial = &case.shape[2..];
        let per_plane: usize = brute.out_spatial.iter().product();
        let chosen: HashSet<(usize, usize)> = brute
            .argmax
            .iter()
            .enumerate()
            .map(|(k, at)| (k / per_plane, row_major_offset(at, spatial)))
            .collect();

        let (data, shape) = match layout {
            Layout::ChannelsFirst => (case.data.clone(), case.shape.clone()),
            Layout::ChannelsLast => to_channels_last(&case.data, &case.shape),
        };
        let plan = PoolPlan::new(&case.spec, &shape, layout).unwrap();
        let (values, indices) =
            max_pool_with_indices(&plan, &TensorView::new(&data, &shape).unwrap(), convention).unwrap();
        let kernel = match &case.spec.region {
            Region::Window(w) => w.kernel.clone(),
            _ => vec![1; spatial.len()],
        };
        let unplan = UnpoolPlan::new(
            &UnpoolSpec::new(&kernel).output_size(spatial),
            values.shape(),
            layout,
        ).unwrap();
        prop_assert_eq!(unplan.output_shape(), &shape[..]);
        let restored = max_unpool(&unplan, &values.view(), &indices.view(), convention).unwrap();
        let restored = match layout {
            Layout::ChannelsFirst => restored.into_vec(),
            Layout::ChannelsLast => to_channels_first(restored.data(), restored.shape()).0,
        };
        let plane_len: usize = spatial.iter().product();
        for (flat, idx) in multi_indices(&case.shape).into_iter().enumerate() {
            let plane = idx[0] * case.shape[1] + idx[1];
            let got = restored[flat];
            if chosen.contains(&(plane, flat % plane_len)) {
                prop_assert!(same_value(got, case.data[flat]), "{:?}: {} != {}", idx, got, case.data[flat]);
            } else {
                prop_assert_eq!(got.to_bits(), 0.0f64.to_bits(), "{:?} was never a maximum", idx);
            }
        }
    }
}

/// Unpools a 1×1×2×2 input with `indices` into a 1×1×4×4 output.
fn unpool_2x2(indices: [i64; 4], convention: IndexConvention) -> poolkit::Result<Vec<f32>> {
    let plan = UnpoolPlan::new(
        &UnpoolSpec::new(&[2, 2]),
        &[1, 1, 2, 2],
        Layout::ChannelsFirst,
    )?;
    assert_eq!(plan.output_shape(), &[1, 1, 4, 4]);
    let values = [1.0f32, 2.0, 3.0, 4.0];
    let input = TensorView::new(&values, &[1, 1, 2, 2])?;
    let idx = TensorView::new(&indices, &[1, 1, 2, 2])?;
    Ok(max_unpool(&plan, &input, &idx, convention)?.into_vec())
}

#[test]
fn unpooling_writes_where_the_index_points() {
    let out = unpool_2x2([5, 2, 8, 15], IndexConvention::Torch).unwrap();
    let mut want = vec![0.0f32; 16];
    (want[5], want[2], want[8], want[15]) = (1.0, 2.0, 3.0, 4.0);
    assert_eq!(out, want);
    // Column-major ONNX indices: offset w*H + h, so 1 is (h 1, w 0) = row-major 4.
    let out = unpool_2x2(
        [1, 2, 8, 15],
        IndexConvention::Onnx(StorageOrder::ColumnMajor),
    )
    .unwrap();
    let mut want = vec![0.0f32; 16];
    (want[4], want[8], want[2], want[15]) = (1.0, 2.0, 3.0, 4.0);
    assert_eq!(out, want);
}

#[test]
fn out_of_range_index_is_an_error_naming_it() {
    let cases = [
        (16, IndexConvention::Torch),
        (-1, IndexConvention::Torch),
        (16, IndexConvention::Onnx(StorageOrder::RowMajor)),
        (-7, IndexConvention::Onnx(StorageOrder::ColumnMajor)),
        (i64::MAX, IndexConvention::Torch),
        (i64::MIN, IndexConvention::Onnx(StorageOrder::RowMajor)),
    ];
    for (bad, convention) in cases {
        let err = unpool_2x2([0, 1, bad, 3], convention).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IndexOutOfRange, "{err}");
        assert!(err.message().contains(&format!("index {bad}")), "{err}");
        assert!(err.message().contains("[0, 16)"), "{err}");
    }
}

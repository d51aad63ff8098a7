//! Pooling reads a tensor through its strides: a transposed, sliced or reversed view of the
//! same logical tensor — a `TensorView` or an `ndarray` view — pools to exactly the result
//! of its contiguous copy.

mod brute;

use brute::strategies::{arrangement, case, layout, Case};
use brute::tensors::{agree, arrange, finite_magnitude, same_value, to_channels_last};
use poolkit::{
    max_pool_with_indices, pool, IndexConvention, Layout, PoolPlan, Reduction, StorageOrder,
    TensorView,
};
use proptest::prelude::*;

/// A case in `layout`, and its plan when the geometry is valid.
fn laid_out(case: &Case, layout: Layout) -> (Vec<f64>, Vec<usize>, Option<PoolPlan>) {
    let (data, shape) = match layout {
        Layout::ChannelsFirst => (case.data.clone(), case.shape.clone()),
        Layout::ChannelsLast => to_channels_last(&case.data, &case.shape),
    };
    let plan = PoolPlan::new(&case.spec, &shape, layout).ok();
    (data, shape, plan)
}

/// Bit-equal for max; average and Lp within rounding of another summation order, which a
/// fast kernel may choose differently for strided and contiguous inputs.
fn all_agree(case: &Case, a: &[f64], b: &[f64]) -> bool {
    let scale = finite_magnitude(&case.data);
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| agree(case.spec.reduction, *x, *y, scale, 1e-12))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn strided_tensor_views_pool_like_their_contiguous_copy(
        (case, storage) in case().prop_flat_map(|c| {
            let rank = c.shape.len();
            (Just(c), arrangement(rank))
        }),
        layout in layout(),
    ) {
        let (data, shape, plan) = laid_out(&case, layout);
        let Some(plan) = plan else { return Ok(()) };
        // A canary that no pooling of the real values can produce.
        let stored = arrange(&data, &shape, &storage, 1.0e300);
        let view = TensorView::with_strides(&stored.buffer, &stored.shape, &stored.strides, stored.offset).unwrap();
        let contiguous = TensorView::new(&data, &shape).unwrap();
        let want = pool(&plan, &contiguous).unwrap();
        let got = pool(&plan, &view).unwrap();
        prop_assert_eq!(got.shape(), want.shape());
        prop_assert!(all_agree(&case, got.data(), want.data()), "{:?} vs {:?}", got.data(), want.data());
        if case.spec.reduction == Reduction::Max {
            let convention = IndexConvention::Onnx(StorageOrder::RowMajor);
            let (_, want_indices) = max_pool_with_indices(&plan, &contiguous, convention).unwrap();
            let (_, got_indices) = max_pool_with_indices(&plan, &view, convention).unwrap();
            prop_assert_eq!(got_indices.data(), want_indices.data());
        }
    }
}

#[cfg(feature = "ndarray")]
mod ndarray_views {
    use super::*;
    use ndarray::{ArrayD, Dimension, IxDyn, Slice};
    use poolkit::interop::{pool_array, view_of};

    /// A C-order array holding the logical tensor.
    fn array(data: &[f64], shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn non_contiguous_ndarray_views_pool_like_a_contiguous_copy(
            case in case(),
            layout in layout(),
            sliced_axis in 0usize..5,
            reverse in any::<bool>(),
        ) {
            let (data, shape, plan) = laid_out(&case, layout);
            let Some(plan) = plan else { return Ok(()) };
            let want = pool(&plan, &TensorView::new(&data, &shape).unwrap()).unwrap();

            // Stored with its axes in reverse order; `.reversed_axes()` gives back the
            // logical tensor as a Fortran-order view.
            let rev_shape: Vec<usize> = shape.iter().rev().copied().collect();
            let rev_perm: Vec<usize> = (0..shape.len()).rev().collect();
            let transposed = array(&data, &shape).permuted_axes(IxDyn(&rev_perm));
            let stored_reversed = ArrayD::from_shape_vec(
                IxDyn(&rev_shape),
                transposed.iter().copied().collect(),
            ).unwrap();
            let fortran = stored_reversed.view().reversed_axes();
            prop_assert_eq!(fortran.shape(), &shape[..]);
            prop_assert!(!fortran.is_standard_layout() || shape.iter().filter(|&&d| d > 1).count() <= 1);

            // Every other element along one axis, optionally walked backwards (negative stride).
            let axis = sliced_axis % shape.len();
            let mut doubled_shape = shape.clone();
            doubled_shape[axis] *= 2;
            let mut doubled = ArrayD::from_elem(IxDyn(&doubled_shape), 1.0e300);
            // ndarray walks a negative step from the end: slots 2n-1, 2n-3, ..., 1. Those odd
            // slots then hold the logical tensor reversed along `axis`.
            let (first_slot, step) = if reverse { (1, -2) } else { (0, 2) };
            let target = if reverse {
                let mut flipped = array(&data, &shape);
                flipped.invert_axis(ndarray::Axis(axis));
                flipped
            } else {
                array(&data, &shape)
            };
            doubled
                .slice_each_axis_mut(|ax| if ax.axis.index() == axis { Slice::new(first_slot, None, 2) } else { Slice::from(..) })
                .assign(&target);
            let stepped = doubled.slice_each_axis(|ax| {
                if ax.axis.index() == axis { Slice::new(0, None, step) } else { Slice::from(..) }
            });
            prop_assert_eq!(stepped.shape(), &shape[..]);

            for view in [fortran, stepped] {
                // The view read (borrowed where dense, else copied) addresses exactly the array's elements.
                let input = view_of(&view).unwrap();
                let borrowed = input.view();
                for (idx, v) in view.indexed_iter() {
                    prop_assert!(same_value(borrowed.get(idx.slice()), *v));
                }
                let copy = array(&view.iter().copied().collect::<Vec<_>>(), &shape);
                let from_view = pool_array(&case.spec, &view, layout).unwrap();
                let from_copy = pool_array(&case.spec, &copy.view(), layout).unwrap();
                prop_assert_eq!(from_view.shape(), want.shape());
                prop_assert!(all_agree(&case, from_view.as_slice().unwrap(), want.data()));
                prop_assert!(all_agree(&case, from_copy.as_slice().unwrap(), want.data()));
            }
        }
    }
}

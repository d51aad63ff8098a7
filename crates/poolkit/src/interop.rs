//! `ndarray` interop: pool `ArrayView`s (any strides, no copy) into `ArrayD`s.

use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::geometry::{PoolPlan, PoolSpec};
use crate::ops::pool;
use crate::tensor::{Layout, TensorView};
use ndarray::{ArrayD, ArrayView, Dimension, IxDyn};

/// Borrows an `ndarray` view as a [`TensorView`] without copying, whatever its strides.
pub fn view_of<'a, T, D: Dimension>(array: &ArrayView<'a, T, D>) -> Result<TensorView<'a, T>> {
    let shape = array.shape().to_vec();
    let strides = array.strides().to_vec();
    if shape.contains(&0) {
        return TensorView::with_strides(&[], &shape, &strides, 0);
    }
    // The lowest-addressed element and the span the view reaches from it.
    let (mut low, mut high) = (0isize, 0isize);
    for (&d, &s) in shape.iter().zip(&strides) {
        let reach = (d as isize - 1) * s;
        if reach < 0 {
            low += reach;
        } else {
            high += reach;
        }
    }
    let len = (high - low + 1) as usize;
    // SAFETY: an ndarray view guarantees every element at `ptr + Σ i*stride` is valid for
    // reads for the view's lifetime `'a`; `[ptr + low, ptr + high]` is exactly the
    // smallest range holding all of them, so the slice covers only memory the view owns.
    let data = unsafe { std::slice::from_raw_parts(array.as_ptr().offset(low), len) };
    TensorView::with_strides(data, &shape, &strides, (-low) as usize)
}

/// Pools an `ndarray` view (`[N, C, spatial...]` or `[N, spatial..., C]`).
pub fn pool_array<T: Element, D: Dimension>(
    spec: &PoolSpec,
    input: &ArrayView<'_, T, D>,
    layout: Layout,
) -> Result<ArrayD<T>> {
    let view = view_of(input)?;
    let plan = PoolPlan::new(spec, view.shape(), layout)?;
    let out = pool(&plan, &view)?;
    let shape = out.shape().to_vec();
    ArrayD::from_shape_vec(IxDyn(&shape), out.into_vec()).map_err(|e| {
        Error::new(
            ErrorKind::ShapeMismatch,
            format!("output shape {shape:?}: {e}"),
        )
    })
}

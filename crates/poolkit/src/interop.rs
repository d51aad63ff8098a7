//! `ndarray` interop: pool `ArrayView`s of any strides into `ArrayD`s, borrowing the view's
//! memory where its elements fill one block with no gaps, copying it where they do not.
//!
//! A slice may only cover memory the view owns: a view with gaps (every other column, say)
//! can sit beside another live view, even a mutable one, over the memory in between, so a
//! slice spanning the gaps would alias it. Such views are copied in logical order.

use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::geometry::{PoolPlan, PoolSpec};
use crate::ops::pool;
use crate::tensor::{Layout, Tensor, TensorView};
use ndarray::{ArrayD, ArrayView, Dimension, IxDyn};

/// An `ndarray` view as poolkit reads it: its own memory, or a copy.
#[derive(Debug)]
pub enum ArrayInput<'a, T> {
    /// The view's elements fill one block of memory: borrowed in place, whatever the order
    /// of its axes or the signs of its strides.
    Borrowed(TensorView<'a, T>),
    /// The view has gaps between its elements: its elements, copied in logical order.
    Copied(Tensor<T>),
}

impl<T: Copy> ArrayInput<'_, T> {
    /// The tensor to read.
    pub fn view(&self) -> TensorView<'_, T> {
        match self {
            ArrayInput::Borrowed(view) => view.clone(),
            ArrayInput::Copied(tensor) => tensor.view(),
        }
    }

    /// Whether the view's memory is read in place.
    pub fn is_borrowed(&self) -> bool {
        matches!(self, ArrayInput::Borrowed(_))
    }
}

/// Reads an `ndarray` view: borrowed without copying when its elements fill one block of
/// memory (C or Fortran order, permuted axes, negative strides, broadcast axes), copied
/// when they leave gaps.
pub fn view_of<'a, T: Copy, D: Dimension>(
    array: &ArrayView<'a, T, D>,
) -> Result<ArrayInput<'a, T>> {
    let shape = array.shape().to_vec();
    let strides = array.strides().to_vec();
    if shape.contains(&0) {
        return Ok(ArrayInput::Borrowed(TensorView::with_strides(
            &[],
            &shape,
            &strides,
            0,
        )?));
    }
    let Some((low, len)) = dense_block(&shape, &strides) else {
        let copied: Vec<T> = array.iter().copied().collect();
        return Ok(ArrayInput::Copied(Tensor::from_vec(copied, &shape)?));
    };
    // SAFETY: an ndarray view guarantees every element at `ptr + Σ i*stride` is valid for
    // reads for the view's lifetime `'a`. `dense_block` found that those addresses are
    // exactly `[ptr + low, ptr + low + len)` with no gap, so the slice covers the view's
    // own elements and nothing else.
    let data = unsafe { std::slice::from_raw_parts(array.as_ptr().offset(low), len) };
    Ok(ArrayInput::Borrowed(TensorView::with_strides(
        data,
        &shape,
        &strides,
        (-low) as usize,
    )?))
}

/// Where the elements of a non-empty view start (relative to its first element) and how many
/// addresses they cover, when they cover a block with no gap: sorted by stride size, the
/// axes that move (size > 1, stride ≠ 0) must step 1, then the product of the sizes below.
fn dense_block(shape: &[usize], strides: &[isize]) -> Option<(isize, usize)> {
    let mut moving: Vec<(usize, isize)> = shape
        .iter()
        .zip(strides)
        .filter(|&(&d, &s)| d > 1 && s != 0)
        .map(|(&d, &s)| (d, s))
        .collect();
    moving.sort_by_key(|&(_, s)| s.unsigned_abs());
    let mut block = 1usize;
    let mut low = 0isize;
    for (d, s) in moving {
        if s.unsigned_abs() != block {
            return None;
        }
        if s < 0 {
            low += (d as isize - 1) * s;
        }
        block *= d;
    }
    Some((low, block))
}

/// Pools an `ndarray` view (`[N, C, spatial...]` or `[N, spatial..., C]`).
pub fn pool_array<T: Element, D: Dimension>(
    spec: &PoolSpec,
    input: &ArrayView<'_, T, D>,
    layout: Layout,
) -> Result<ArrayD<T>> {
    let input = view_of(input)?;
    let view = input.view();
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2};

    #[test]
    fn dense_blocks_in_any_order_are_borrowed_and_gaps_are_copied() {
        let a = Array2::from_shape_fn((3, 4), |(r, c)| (r * 4 + c) as f64);
        assert!(view_of(&a.view()).unwrap().is_borrowed());
        assert!(view_of(&a.t()).unwrap().is_borrowed());
        assert!(view_of(&a.slice(s![..;-1, ..])).unwrap().is_borrowed());
        assert!(view_of(&a.slice(s![1..2, ..])).unwrap().is_borrowed());
        let every_other = a.slice(s![.., ..;2]);
        let copied = view_of(&every_other).unwrap();
        assert!(!copied.is_borrowed());
        assert_eq!(copied.view().get(&[2, 1]), 10.0);
        let first_row = a.slice(s![0..1, ..]);
        let broadcast = first_row.broadcast((5, 4)).unwrap();
        assert!(view_of(&broadcast).unwrap().is_borrowed());
    }

    /// Under Miri (`cargo +nightly miri test -p poolkit --lib interop`, a step of
    /// scripts/test.sh) a view whose slice spans the gaps fails here: the other half is
    /// written while the slice lives, and reading the whole slice (its Debug output) is then
    /// undefined behaviour ("trying to retag ... but that tag does not exist"), as Miri found
    /// for the borrowing view this module had before.
    #[test]
    fn a_view_with_gaps_never_aliases_its_live_neighbour() {
        let mut a = Array2::from_shape_fn((2, 6), |(r, c)| (r * 6 + c) as f32);
        let (even, mut odd) = a.multi_slice_mut((s![.., ..;2], s![.., 1..;2]));
        let read = view_of(&even.view()).unwrap();
        odd.fill(-1.0);
        assert!(format!("{read:?}").contains("10.0"));
        let view = read.view();
        assert_eq!(view.get(&[1, 2]), 10.0);
        assert_eq!(view.get(&[0, 1]), 2.0);
    }
}

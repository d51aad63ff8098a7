//! The walk shared by everything that follows argmax indices (unpooling, its gradient, max
//! pooling's gradient from indices): visit every index in row-major logical order and
//! decode it, stopping at the first that points outside its target.

use super::{for_each_index, planes};
use crate::error::Result;
use crate::indices::IndexConvention;
use crate::tensor::{Layout, TensorView};

/// Calls `f(at, (n, c, pos))` for every element of `indices` (shape `[N, C, walked...]` in
/// `layout`): `at` is the element's own multi-index, `(n, c, pos)` the plane and spatial
/// position it names in a tensor of spatial extents `target`.
pub(crate) fn for_each_decoded(
    layout: Layout,
    indices: &TensorView<i64>,
    target: &[usize],
    convention: IndexConvention,
    mut f: impl FnMut(&[usize], (usize, usize, &[usize])),
) -> Result<()> {
    let (batch, channels, walked) = layout.split_shape(indices.shape());
    for (n, c) in planes(batch, channels) {
        let mut failure = None;
        for_each_index(walked, |p| {
            if failure.is_some() {
                return;
            }
            let at = layout.full_shape(n, c, p);
            match convention.decode(indices.get(&at), n, c, channels, batch, target) {
                Ok((plane, pos)) => f(&at, (plane / channels, plane % channels, &pos)),
                Err(e) => failure = Some(e),
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(())
}

/// Rounds an `f64` accumulator once into the element type.
pub(crate) fn round_into<T: crate::element::Element>(dst: &mut [T], acc: &[f64]) {
    for (d, &v) in dst.iter_mut().zip(acc) {
        *d = T::from_f64(v);
    }
}

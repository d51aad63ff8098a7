//! Rearranging one logical tensor in memory (channels-last, transposed, sliced, reversed
//! storage) so the tests can check that pooling depends on the values, not on their layout.

use super::{multi_indices, row_major_offset};
use poolkit::Reduction;

/// Moves the channel axis of a row-major `[N, C, spatial...]` tensor to the end.
pub fn to_channels_last<T: Copy>(data: &[T], shape: &[usize]) -> (Vec<T>, Vec<usize>) {
    let mut perm: Vec<usize> = vec![0];
    perm.extend(2..shape.len());
    perm.push(1);
    permute(data, shape, &perm)
}

/// Moves the channel axis of a row-major `[N, spatial..., C]` tensor back to position 1.
pub fn to_channels_first<T: Copy>(data: &[T], shape: &[usize]) -> (Vec<T>, Vec<usize>) {
    let rank = shape.len();
    let mut perm = vec![0, rank - 1];
    perm.extend(1..rank - 1);
    permute(data, shape, &perm)
}

/// A row-major tensor whose axis `k` is axis `perm[k]` of the row-major input.
pub fn permute<T: Copy>(data: &[T], shape: &[usize], perm: &[usize]) -> (Vec<T>, Vec<usize>) {
    let new_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut src = vec![0; shape.len()];
    let out = multi_indices(&new_shape)
        .into_iter()
        .map(|idx| {
            for (k, &p) in perm.iter().enumerate() {
                src[p] = idx[k];
            }
            data[row_major_offset(&src, shape)]
        })
        .collect();
    (out, new_shape)
}

/// How a logical tensor is scattered into a larger buffer.
#[derive(Debug, Clone)]
pub struct Arrangement {
    /// Storage order: `storage_order[0]` is the slowest-varying logical axis in memory.
    pub storage_order: Vec<usize>,
    /// Distance, in storage cells, between neighbours along each logical axis (1 or 2).
    pub steps: Vec<usize>,
    /// Logical axes stored back to front (addressed with a negative stride).
    pub reversed: Vec<bool>,
    /// Unused cells before the first stored element.
    pub lead: usize,
}

/// A logical tensor stored according to an [`Arrangement`], with the strides and offset
/// that address it; every unused cell holds `canary`.
#[derive(Debug, Clone)]
pub struct Strided<T> {
    pub buffer: Vec<T>,
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: usize,
}

/// Stores the row-major tensor `data` of `shape` as `arrangement` says.
pub fn arrange<T: Copy>(
    data: &[T],
    shape: &[usize],
    arrangement: &Arrangement,
    canary: T,
) -> Strided<T> {
    let rank = shape.len();
    // Extents of the storage axes, slowest first.
    let stored: Vec<usize> = arrangement
        .storage_order
        .iter()
        .map(|&a| shape[a] * arrangement.steps[a])
        .collect();
    let mut cell_stride = vec![0isize; rank];
    let mut acc = 1isize;
    for (k, &a) in arrangement.storage_order.iter().enumerate().rev() {
        cell_stride[a] = acc;
        acc *= stored[k] as isize;
    }
    let total = arrangement.lead + acc as usize + 1;
    let mut buffer = vec![canary; total];
    let mut strides = vec![0isize; rank];
    let mut offset = arrangement.lead as isize;
    for a in 0..rank {
        let step = arrangement.steps[a] as isize * cell_stride[a];
        if arrangement.reversed[a] {
            strides[a] = -step;
            offset += (shape[a] as isize - 1) * step;
        } else {
            strides[a] = step;
        }
    }
    for idx in multi_indices(shape) {
        let at = offset
            + idx
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        buffer[at as usize] = data[row_major_offset(&idx, shape)];
    }
    Strided {
        buffer,
        shape: shape.to_vec(),
        strides,
        offset: offset as usize,
    }
}

/// Equal as stored values: same bits (so `-0.0 != 0.0`), or both NaN.
pub fn same_value(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Within `rel` relative error, or both NaN, or both the same infinity.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Whether two results of `reduction` agree: max bit for bit; average and Lp within `rel`
/// of `scale` (a magnitude of the window's inputs), so that summing in another order — as
/// a fast kernel may — passes, while any error of substance fails. A non-finite expected
/// value must be matched exactly.
pub fn agree(reduction: Reduction, got: f64, want: f64, scale: f64, rel: f64) -> bool {
    if same_value(got, want) {
        return true;
    }
    match reduction {
        Reduction::Max => false,
        _ => want.is_finite() && (got - want).abs() <= rel * scale.max(want.abs()),
    }
}

/// The largest finite magnitude in `data` (0 when there is none).
pub fn finite_magnitude(data: &[f64]) -> f64 {
    data.iter()
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

//! Borrowed strided input views and owned contiguous outputs, in either channel layout.
//!
//! A view addresses element `idx` at `offset + Σ idx[d] * strides[d]` of its slice, so
//! transposed, sliced or reversed inputs are pooled in place, without a copy. Outputs are
//! always contiguous in the layout of the plan that made them.

use crate::dims::Dims;
use crate::error::{bail, checked_product, Result};

/// Where the channel axis sits in a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// `[N, C, spatial...]` (NCHW, PyTorch's and ONNX's default).
    #[default]
    ChannelsFirst,
    /// `[N, spatial..., C]` (NHWC, TensorFlow's default, PyTorch's `channels_last`).
    ChannelsLast,
}

impl Layout {
    /// The position of the channel axis in a tensor of `rank` dimensions.
    pub fn channel_axis(self, rank: usize) -> usize {
        match self {
            Layout::ChannelsFirst => 1,
            Layout::ChannelsLast => rank - 1,
        }
    }

    /// The position of spatial axis `axis` in a tensor of `rank` dimensions.
    pub fn spatial_axis(self, axis: usize) -> usize {
        match self {
            Layout::ChannelsFirst => 2 + axis,
            Layout::ChannelsLast => 1 + axis,
        }
    }

    /// Assembles a full shape from batch, channels and spatial extents.
    pub fn full_shape(self, batch: usize, channels: usize, spatial: &[usize]) -> Vec<usize> {
        let mut shape = Vec::with_capacity(spatial.len() + 2);
        shape.push(batch);
        if self == Layout::ChannelsFirst {
            shape.push(channels);
        }
        shape.extend_from_slice(spatial);
        if self == Layout::ChannelsLast {
            shape.push(channels);
        }
        shape
    }

    /// Splits a full shape into `(batch, channels, spatial)`.
    pub fn split_shape(self, shape: &[usize]) -> (usize, usize, &[usize]) {
        let rank = shape.len();
        match self {
            Layout::ChannelsFirst => (shape[0], shape[1], &shape[2..]),
            Layout::ChannelsLast => (shape[0], shape[rank - 1], &shape[1..rank - 1]),
        }
    }
}

/// Row-major strides (in elements) of a contiguous tensor of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    Dims::contiguous(shape).to_vec()
}

/// A read-only, possibly strided view of a tensor held in a slice.
#[derive(Debug, Clone)]
pub struct TensorView<'a, T> {
    data: &'a [T],
    shape: Dims<usize>,
    strides: Dims<isize>,
    offset: usize,
}

impl<'a, T> TensorView<'a, T> {
    /// A contiguous row-major view; `data.len()` must equal the product of `shape`.
    pub fn new(data: &'a [T], shape: &[usize]) -> Result<Self> {
        buffer_matches(data.len(), shape)?;
        Ok(TensorView {
            data,
            shape: Dims::from_slice(shape),
            strides: Dims::contiguous(shape),
            offset: 0,
        })
    }

    /// A strided view: element `idx` lives at `offset + Σ idx[d] * strides[d]`.
    /// Every addressable element must lie inside `data`; strides may be negative or zero.
    pub fn with_strides(
        data: &'a [T],
        shape: &[usize],
        strides: &[isize],
        offset: usize,
    ) -> Result<Self> {
        if strides.len() != shape.len() {
            bail!(
                ShapeMismatch,
                "strides {:?} have {} entries but shape {:?} has rank {}",
                strides,
                strides.len(),
                shape,
                shape.len()
            );
        }
        checked_product(shape, "tensor shape")?;
        if !shape.contains(&0) {
            let (mut lo, mut hi) = (offset as i128, offset as i128);
            for (&d, &s) in shape.iter().zip(strides) {
                let span = (d as i128 - 1) * s as i128;
                if span < 0 {
                    lo += span;
                } else {
                    hi += span;
                }
            }
            if lo < 0 || hi >= data.len() as i128 {
                bail!(
                    InvalidBuffer,
                    "view with shape {:?}, strides {:?} and offset {} reaches elements {}..={} \
                     outside a buffer of {} elements",
                    shape,
                    strides,
                    offset,
                    lo,
                    hi,
                    data.len()
                );
            }
        }
        Ok(TensorView {
            data,
            shape: Dims::from_slice(shape),
            strides: Dims::from_slice(strides),
            offset,
        })
    }

    /// The logical shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Strides in elements, one per dimension.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// Position of element `[0, 0, ...]` in the slice.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The underlying slice.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// True when the view is row-major contiguous from offset 0 over its whole slice.
    pub fn is_contiguous(&self) -> bool {
        self.offset == 0
            && self.data.len() == self.shape.iter().product::<usize>()
            && self
                .shape
                .iter()
                .zip(self.strides.iter())
                .zip(Dims::contiguous(&self.shape).iter())
                .all(|((&d, &s), &c)| d <= 1 || s == c)
    }

    /// The slice position of the element at multi-index `idx` (unchecked rank).
    #[inline]
    pub fn position(&self, idx: &[usize]) -> usize {
        let mut pos = self.offset as isize;
        for (&i, &s) in idx.iter().zip(self.strides.iter()) {
            pos += i as isize * s;
        }
        pos as usize
    }
}

impl<T: Copy> TensorView<'_, T> {
    /// The element at multi-index `idx`.
    #[inline]
    pub fn get(&self, idx: &[usize]) -> T {
        self.data[self.position(idx)]
    }
}

/// An owned, contiguous, row-major tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<T> {
    data: Vec<T>,
    shape: Dims<usize>,
}

impl<T> Tensor<T> {
    /// Wraps a buffer; its length must equal the product of `shape`.
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        buffer_matches(data.len(), shape)?;
        Ok(Tensor {
            data,
            shape: Dims::from_slice(shape),
        })
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// Mutable access to the elements.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Gives up the buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// A contiguous view of this tensor.
    pub fn view(&self) -> TensorView<'_, T> {
        TensorView {
            data: &self.data,
            shape: self.shape.clone(),
            strides: Dims::contiguous(&self.shape),
            offset: 0,
        }
    }
}

/// A buffer of `len` elements must hold exactly the elements of `shape`.
fn buffer_matches(len: usize, shape: &[usize]) -> Result<()> {
    let want = checked_product(shape, "tensor shape")?;
    if len != want {
        bail!(
            InvalidBuffer,
            "buffer of {len} elements does not match shape {shape:?} ({want} elements)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_view_rejects_reach_outside_buffer() {
        let data = [0f32; 6];
        let err = TensorView::with_strides(&data, &[2, 3], &[3, 2], 0).unwrap_err();
        assert!(err.message().contains("outside a buffer of 6"), "{err}");
        assert!(TensorView::with_strides(&data, &[2, 3], &[1, 2], 0).is_ok());
    }

    #[test]
    fn negative_strides_address_reversed_rows() {
        let data = [1, 2, 3, 4, 5, 6];
        let v = TensorView::with_strides(&data, &[2, 3], &[-3, 1], 3).unwrap();
        assert_eq!(v.get(&[0, 0]), 4);
        assert_eq!(v.get(&[1, 2]), 3);
    }
}

//! Argmax index conventions: how a max-pooling index names the input element it chose.
//!
//! Indices always address the *logical* `[N, C, spatial...]` tensor, whatever its memory
//! layout, so a channels-last pooling yields the same indices as its channels-first twin.

use crate::error::{bail, Result};

/// The order in which ONNX flattens the spatial axes of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StorageOrder {
    /// ONNX `storage_order = 0`: the last spatial axis varies fastest.
    #[default]
    RowMajor,
    /// ONNX `storage_order = 1`: the first spatial axis varies fastest.
    ColumnMajor,
}

/// Which flat index a max-pooling index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IndexConvention {
    /// PyTorch: `h*W + w` within each (n, c) plane.
    #[default]
    Torch,
    /// ONNX: flat over the whole tensor, `(n*C + c) * plane + spatial`, the spatial part in
    /// the given storage order.
    Onnx(StorageOrder),
}

/// Row-major flat offset of `pos` in `shape`.
pub(crate) fn row_major(pos: &[usize], shape: &[usize]) -> usize {
    pos.iter().zip(shape).fold(0, |acc, (&p, &d)| acc * d + p)
}

/// Column-major flat offset of `pos` in `shape`.
fn column_major(pos: &[usize], shape: &[usize]) -> usize {
    pos.iter()
        .zip(shape)
        .rev()
        .fold(0, |acc, (&p, &d)| acc * d + p)
}

impl IndexConvention {
    /// The index of spatial position `pos` in plane `(n, c)` of a tensor with `channels`
    /// channels and spatial extents `spatial`.
    pub fn encode(
        self,
        n: usize,
        c: usize,
        channels: usize,
        pos: &[usize],
        spatial: &[usize],
    ) -> i64 {
        let plane: usize = spatial.iter().product();
        let flat = match self {
            IndexConvention::Torch => return row_major(pos, spatial) as i64,
            IndexConvention::Onnx(StorageOrder::RowMajor) => row_major(pos, spatial),
            IndexConvention::Onnx(StorageOrder::ColumnMajor) => column_major(pos, spatial),
        };
        ((n * channels + c) * plane + flat) as i64
    }

    /// Decodes `index`, read in plane `(n, c)`, into `(plane, spatial position)` where
    /// `plane = n*C + c` of the tensor it addresses. Errors when it points outside.
    pub fn decode(
        self,
        index: i64,
        n: usize,
        c: usize,
        channels: usize,
        batch: usize,
        spatial: &[usize],
    ) -> Result<(usize, Vec<usize>)> {
        let plane_len: usize = spatial.iter().product();
        let (limit, what) = match self {
            IndexConvention::Torch => (plane_len, "a plane"),
            IndexConvention::Onnx(_) => (plane_len * channels * batch, "the tensor"),
        };
        if index < 0 || index as u64 >= limit as u64 {
            bail!(
                IndexOutOfRange,
                "index {index} at batch {n}, channel {c} is outside {what} of {limit} elements \
                 (spatial shape {spatial:?}): indices must lie in [0, {limit})"
            );
        }
        let index = index as usize;
        let (plane, mut flat) = match self {
            IndexConvention::Torch => (n * channels + c, index),
            IndexConvention::Onnx(_) => (index / plane_len, index % plane_len),
        };
        let mut pos = vec![0; spatial.len()];
        match self {
            IndexConvention::Onnx(StorageOrder::ColumnMajor) => {
                for (p, &d) in pos.iter_mut().zip(spatial) {
                    *p = flat % d;
                    flat /= d;
                }
            }
            _ => {
                for (p, &d) in pos.iter_mut().zip(spatial).rev() {
                    *p = flat % d;
                    flat /= d;
                }
            }
        }
        Ok((plane, pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onnx_column_major_matches_onnx_example() {
        // test_maxpool_with_argmax_2d_precomputed_strides: 5x5 input, storage_order 1.
        let conv = IndexConvention::Onnx(StorageOrder::ColumnMajor);
        assert_eq!(conv.encode(0, 0, 1, &[1, 1], &[5, 5]), 6);
        assert_eq!(conv.encode(0, 0, 1, &[1, 3], &[5, 5]), 16);
    }

    #[test]
    fn decode_inverts_encode() {
        for conv in [
            IndexConvention::Torch,
            IndexConvention::Onnx(StorageOrder::RowMajor),
            IndexConvention::Onnx(StorageOrder::ColumnMajor),
        ] {
            let i = conv.encode(1, 2, 3, &[2, 1, 3], &[3, 2, 4]);
            assert_eq!(
                conv.decode(i, 1, 2, 3, 2, &[3, 2, 4]).unwrap(),
                (5, vec![2, 1, 3])
            );
        }
        assert!(IndexConvention::Torch
            .decode(24, 0, 0, 1, 1, &[4, 6])
            .is_err());
    }
}

//! Tensors flowing through a conformance graph, tagged with their memory layout, and the
//! transpositions between channels-first and channels-last that let one ONNX case prove
//! both of poolkit's layouts.

use super::tensor::{OnnxTensor, TensorData};
use poolkit::reference::for_each_index;
use poolkit::{contiguous_strides, Layout};

/// A tensor in a graph run. ONNX tensors are channels-first; a pooling node run in
/// channels-last mode yields channels-last values, which only pooling nodes may consume
/// as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub dims: Vec<usize>,
    pub data: TensorData,
    pub layout: Layout,
}

impl Value {
    pub fn channels_first(tensor: OnnxTensor) -> Value {
        Value {
            dims: tensor.dims,
            data: tensor.data,
            layout: Layout::ChannelsFirst,
        }
    }

    /// This value in `layout`, transposing when it differs. Tensors of rank below 3 have
    /// no spatial axes and are taken as they are.
    pub fn to_layout(&self, layout: Layout) -> Value {
        if self.layout == layout || self.dims.len() < 3 {
            return self.clone();
        }
        let rank = self.dims.len();
        let perm: Vec<usize> = match layout {
            // [N, C, S...] -> [N, S..., C]
            Layout::ChannelsLast => [0].into_iter().chain(2..rank).chain([1]).collect(),
            // [N, S..., C] -> [N, C, S...]
            Layout::ChannelsFirst => [0, rank - 1].into_iter().chain(1..rank - 1).collect(),
        };
        let (data, dims) = permute_data(&self.data, &self.dims, &perm);
        Value { dims, data, layout }
    }
}

/// Applies `$body` to the vector inside every variant of a `TensorData`, keeping the variant.
macro_rules! map_tensor_data {
    ($data:expr, |$v:ident| $body:expr) => {
        match $data {
            TensorData::F32($v) => TensorData::F32($body),
            TensorData::F64($v) => TensorData::F64($body),
            TensorData::F16($v) => TensorData::F16($body),
            TensorData::U8($v) => TensorData::U8($body),
            TensorData::I8($v) => TensorData::I8($body),
            TensorData::I64($v) => TensorData::I64($body),
        }
    };
}

fn permute_data(data: &TensorData, dims: &[usize], perm: &[usize]) -> (TensorData, Vec<usize>) {
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let data = map_tensor_data!(data, |v| permute(v, dims, perm));
    (data, out_dims)
}

/// Output axis `i` is input axis `perm[i]`; the result is contiguous.
pub fn permute<T: Copy>(data: &[T], dims: &[usize], perm: &[usize]) -> Vec<T> {
    let in_strides = contiguous_strides(dims);
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let mut out = Vec::with_capacity(data.len());
    for_each_index(&out_dims, |idx| {
        let at: isize = idx
            .iter()
            .zip(perm)
            .map(|(&i, &p)| i as isize * in_strides[p])
            .sum();
        out.push(data[at as usize]);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_last_round_trip_moves_the_channel_axis() {
        // [N=1, C=2, H=2, W=3]: channel 0 holds 0..6, channel 1 holds 10..16.
        let data: Vec<f32> = (0..6).chain(10..16).map(|v| v as f32).collect();
        let v = Value {
            dims: vec![1, 2, 2, 3],
            data: TensorData::F32(data.clone()),
            layout: Layout::ChannelsFirst,
        };
        let last = v.to_layout(Layout::ChannelsLast);
        assert_eq!(last.dims, vec![1, 2, 3, 2]);
        assert_eq!(
            last.data,
            TensorData::F32(vec![0., 10., 1., 11., 2., 12., 3., 13., 4., 14., 5., 15.])
        );
        assert_eq!(last.to_layout(Layout::ChannelsFirst), v);
    }
}

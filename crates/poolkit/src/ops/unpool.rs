//! Max-unpooling: the partial inverse of max pooling, through its indices.

use super::checks::{buffer_len, result_fits, same_shape};
use crate::element::Element;
use crate::error::Result;
use crate::geometry::UnpoolPlan;
use crate::indices::IndexConvention;
use crate::reference;
use crate::tensor::{Tensor, TensorView};

/// Writes each input element where its index points in a zero tensor of `plan.output_shape()`.
///
/// Indices are flat offsets into the *requested output* in the given convention (PyTorch's
/// and ONNX Runtime's reading). An index outside the output is an error naming it.
///
/// With an explicit output shape this departs from the ONNX reference implementation, which
/// scatters into the *inferred* shape and zero-pads that to the requested one (its test
/// `test_maxunpool_export_with_output_shape` expects so). An index from a max pool is an
/// offset into that pool's input, and an explicit output shape exists to restore exactly
/// that input (e.g. an odd extent the inferred shape misses), so the offsets are read in it.
pub fn max_unpool<T: Element>(
    plan: &UnpoolPlan,
    input: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
) -> Result<Tensor<T>> {
    result_fits::<T>("the output", plan.output_shape())?;
    let mut out = vec![T::ZERO; plan.output_shape().iter().product()];
    max_unpool_into(plan, input, indices, convention, &mut out)?;
    Tensor::from_vec(out, plan.output_shape())
}

/// Max-unpooling into a caller's buffer of `plan.output_shape()`.
pub fn max_unpool_into<T: Element>(
    plan: &UnpoolPlan,
    input: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    output: &mut [T],
) -> Result<()> {
    same_shape("input", input.shape(), plan.input_shape())?;
    same_shape("indices", indices.shape(), plan.input_shape())?;
    buffer_len("output", output.len(), plan.output_shape())?;
    reference::max_unpool_forward(plan, input, indices, convention, output)
}

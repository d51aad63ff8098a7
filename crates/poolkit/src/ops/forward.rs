//! Forward pooling: max, average and Lp over windows, global and adaptive regions.

use super::checks::{buffer_len, reduction_supports, same_shape};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::IndexConvention;
use crate::reference;
use crate::tensor::{Tensor, TensorView};

/// Pools `input` as `plan` says, into a new tensor of `plan.output_shape()`.
///
/// ```
/// use poolkit::{pool, Layout, PoolPlan, PoolSpec, TensorView, WindowSpec};
/// let x = [1.0f32, 2.0, 3.0, 4.0];
/// let plan = PoolPlan::new(&PoolSpec::max(WindowSpec::new(&[2])), &[1, 1, 4], Layout::ChannelsFirst)?;
/// let y = pool(&plan, &TensorView::new(&x, &[1, 1, 4])?)?;
/// assert_eq!(y.data(), &[2.0, 4.0]);
/// # Ok::<(), poolkit::Error>(())
/// ```
pub fn pool<T: Element>(plan: &PoolPlan, input: &TensorView<T>) -> Result<Tensor<T>> {
    let mut out = vec![T::ZERO; plan.output_len()];
    pool_into(plan, input, &mut out)?;
    Tensor::from_vec(out, plan.output_shape())
}

/// Pools `input` into `output`, a contiguous buffer of `plan.output_shape()`.
pub fn pool_into<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    output: &mut [T],
) -> Result<()> {
    same_shape("input", input.shape(), plan.input_shape())?;
    buffer_len("output", output.len(), plan.output_shape())?;
    reduction_supports::<T>(plan.reduction())?;
    reference::pool_forward(plan, input, output, None);
    Ok(())
}

/// Max pooling that also returns, for each output, the index of the input it took.
pub fn max_pool_with_indices<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: IndexConvention,
) -> Result<(Tensor<T>, Tensor<i64>)> {
    let mut out = vec![T::ZERO; plan.output_len()];
    let mut idx = vec![0i64; plan.output_len()];
    max_pool_with_indices_into(plan, input, convention, &mut out, &mut idx)?;
    Ok((
        Tensor::from_vec(out, plan.output_shape())?,
        Tensor::from_vec(idx, plan.output_shape())?,
    ))
}

/// Max pooling with indices into caller buffers of `plan.output_shape()`.
pub fn max_pool_with_indices_into<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: IndexConvention,
    output: &mut [T],
    indices: &mut [i64],
) -> Result<()> {
    if plan.reduction() != Reduction::Max {
        bail!(
            InvalidParameter,
            "indices requested from {:?} pooling: only max pooling has argmax indices",
            plan.reduction()
        );
    }
    same_shape("input", input.shape(), plan.input_shape())?;
    buffer_len("output", output.len(), plan.output_shape())?;
    buffer_len("indices", indices.len(), plan.output_shape())?;
    reference::pool_forward(plan, input, output, Some((indices, convention)));
    Ok(())
}

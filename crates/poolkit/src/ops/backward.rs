//! Backward passes: the gradient of every pooling operator with respect to its input.
//!
//! The same plan drives forward and backward. Every gradient is deterministic: contributions
//! to each input are summed in row-major output order (an ordered scatter) in `f64` and
//! rounded once, so the bits never depend on the run or the thread count. Contiguous
//! windowed, global and adaptive gradients run on threaded tiles (`kernels::backward`).

use super::checks::{result_fits, same_shape};
use super::prepared::{grad_output_shape, PreparedPool};
use crate::element::Element;
use crate::error::Result;
use crate::geometry::{PoolPlan, RoiPlan, UnpoolPlan};
use crate::indices::IndexConvention;
use crate::kernels::ExecOptions;
use crate::reference;
use crate::tensor::{Tensor, TensorView};

/// The input gradient of `pool(plan, input)` for the upstream gradient `grad_output`.
///
/// Max pooling recomputes each window's argmax (first maximum, first NaN) and routes the
/// gradient there; overlapping windows add up. Average spreads `dy / divisor` over each
/// window's in-bounds inputs. Lp gives `sign(x) · |x|^(p-1) / y^(p-1) · dy`, 0 where `y = 0`.
///
/// ```
/// use poolkit::{pool_backward, Layout, PoolPlan, PoolSpec, TensorView, WindowSpec};
/// let x = [1.0f32, 3.0, 2.0, 0.0];
/// let plan = PoolPlan::new(&PoolSpec::max(WindowSpec::new(&[2])), &[1, 1, 4], Layout::ChannelsFirst)?;
/// let dy = [10.0f32, 20.0];
/// let dx = pool_backward(&plan, &TensorView::new(&x, &[1, 1, 4])?, &TensorView::new(&dy, &[1, 1, 2])?)?;
/// assert_eq!(dx.data(), &[0.0, 10.0, 20.0, 0.0]);
/// # Ok::<(), poolkit::Error>(())
/// ```
pub fn pool_backward<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
) -> Result<Tensor<T>> {
    pool_backward_with(plan, input, grad_output, &ExecOptions::default())
}

/// [`pool_backward`] into a caller's contiguous buffer of `plan.input_shape()`.
pub fn pool_backward_into<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
    grad_input: &mut [T],
) -> Result<()> {
    pool_backward_into_with(
        plan,
        input,
        grad_output,
        grad_input,
        &ExecOptions::default(),
    )
}

/// [`pool_backward`] with explicit threads and instruction set. The result is the same
/// bits for every choice: each input's gradient is summed by one thread, in output order.
pub fn pool_backward_with<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
    options: &ExecOptions,
) -> Result<Tensor<T>> {
    PreparedPool::borrowing(plan, options)?.backward(input, grad_output)
}

/// [`pool_backward_into`] with explicit threads and instruction set.
pub fn pool_backward_into_with<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
    grad_input: &mut [T],
    options: &ExecOptions,
) -> Result<()> {
    PreparedPool::borrowing(plan, options)?.backward_into(input, grad_output, grad_input)
}

/// The input gradient of max pooling from the forward pass's `indices` (no input needed).
pub fn max_pool_backward_from_indices<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
) -> Result<Tensor<T>> {
    PreparedPool::borrowing(plan, &ExecOptions::default())?.backward_from_indices(
        grad_output,
        indices,
        convention,
    )
}

/// [`max_pool_backward_from_indices`] into a caller's contiguous buffer of
/// `plan.input_shape()`. Every element is written; on an error (an index outside the
/// input) none is.
pub fn max_pool_backward_from_indices_into<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
) -> Result<()> {
    max_pool_backward_from_indices_into_with(
        plan,
        grad_output,
        indices,
        convention,
        grad_input,
        &ExecOptions::default(),
    )
}

/// [`max_pool_backward_from_indices_into`] with explicit threads and instruction set. The
/// result is the same bits for every choice.
pub fn max_pool_backward_from_indices_into_with<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
    options: &ExecOptions,
) -> Result<()> {
    PreparedPool::borrowing(plan, options)?.backward_from_indices_into(
        grad_output,
        indices,
        convention,
        grad_input,
    )
}

/// The input gradient of max-unpooling: `dy` gathered through the indices.
pub fn max_unpool_backward<T: Element>(
    plan: &UnpoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
) -> Result<Tensor<T>> {
    grad_output_shape(grad_output.shape(), plan.output_shape())?;
    same_shape("indices", indices.shape(), plan.input_shape())?;
    result_fits::<T>("grad_input", plan.input_shape())?;
    let mut dx = vec![T::ZERO; plan.input_shape().iter().product()];
    reference::max_unpool_backward(plan, grad_output, indices, convention, &mut dx)?;
    Tensor::from_vec(dx, plan.input_shape())
}

/// The input gradient of max RoI pooling: each bin's `dy` goes to its argmax.
pub fn max_roi_pool_backward<T: Element>(
    plan: &RoiPlan,
    input: &TensorView<T>,
    rois: &TensorView<T>,
    grad_output: &TensorView<T>,
) -> Result<Tensor<T>> {
    same_shape("input", input.shape(), plan.input_shape())?;
    same_shape("rois", rois.shape(), &[plan.num_rois(), 5])?;
    grad_output_shape(grad_output.shape(), plan.output_shape())?;
    result_fits::<T>("grad_input", plan.input_shape())?;
    let mut dx = vec![T::ZERO; plan.input_shape().iter().product()];
    reference::max_roi_pool_backward(plan, input, rois, grad_output, &mut dx)?;
    Tensor::from_vec(dx, plan.input_shape())
}

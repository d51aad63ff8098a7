//! Forward pooling: max, average and Lp over windows, global and adaptive regions, as
//! one-call wrappers over [`PreparedPool`].

use super::prepared::PreparedPool;
use crate::element::Element;
use crate::error::Result;
use crate::geometry::PoolPlan;
use crate::indices::IndexConvention;
use crate::kernels::ExecOptions;
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
    pool_with(plan, input, &ExecOptions::default())
}

/// [`pool`] with explicit threads and instruction set.
pub fn pool_with<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    options: &ExecOptions,
) -> Result<Tensor<T>> {
    PreparedPool::borrowing(plan, options)?.forward(input)
}

/// Pools `input` into `output`, a contiguous buffer of `plan.output_shape()`.
pub fn pool_into<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    output: &mut [T],
) -> Result<()> {
    pool_into_with(plan, input, output, &ExecOptions::default())
}

/// [`pool_into`] with explicit threads and instruction set.
pub fn pool_into_with<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    output: &mut [T],
    options: &ExecOptions,
) -> Result<()> {
    PreparedPool::borrowing(plan, options)?.forward_into_slice(input, output)
}

/// Max pooling that also returns, for each output, the index of the input it took.
pub fn max_pool_with_indices<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: IndexConvention,
) -> Result<(Tensor<T>, Tensor<i64>)> {
    PreparedPool::borrowing(plan, &ExecOptions::default())?.forward_with_indices(input, convention)
}

/// Max pooling with indices into caller buffers of `plan.output_shape()`.
pub fn max_pool_with_indices_into<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: IndexConvention,
    output: &mut [T],
    indices: &mut [i64],
) -> Result<()> {
    let options = ExecOptions::default();
    max_pool_with_indices_into_with(plan, input, convention, output, indices, &options)
}

/// [`max_pool_with_indices_into`] with explicit threads and instruction set.
pub fn max_pool_with_indices_into_with<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: IndexConvention,
    output: &mut [T],
    indices: &mut [i64],
    options: &ExecOptions,
) -> Result<()> {
    PreparedPool::borrowing(plan, options)?
        .forward_with_indices_into(input, convention, output, indices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{PoolSpec, WindowSpec};
    use crate::tensor::Layout;

    /// Found by fuzzing (`plan` target): the loops walked a 2^63 batch of empty planes.
    #[test]
    fn zero_channels_with_huge_batch_pools_to_empty_output() {
        let shape = [usize::MAX / 2 + 1, 0, 3, 11];
        let plan = PoolPlan::new(
            &PoolSpec::max(WindowSpec::new(&[2, 2])),
            &shape,
            Layout::ChannelsFirst,
        )
        .unwrap();
        let out = pool(&plan, &TensorView::<f32>::new(&[], &shape).unwrap()).unwrap();
        assert_eq!(out.shape(), &[usize::MAX / 2 + 1, 0, 1, 5]);
        assert!(out.data().is_empty());
    }

    /// Found by fuzzing (`plan` target): with `count_include_pad` and vast padding the
    /// divisor, a product of per-axis counts, overflowed `usize`.
    #[test]
    fn count_include_pad_divisor_beyond_usize_does_not_overflow() {
        use crate::geometry::Padding;
        let big = 1usize << 40;
        let window = WindowSpec::new(&[big, big, big])
            .strides(&[big, big, big])
            .padding(Padding::symmetric(&[big - 1, big - 1, big - 1]));
        let spec = PoolSpec::avg(window).count_include_pad(true);
        let shape = [1, 1, 1, 1, 1];
        let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
        let out = pool(&plan, &TensorView::new(&[8.0f64], &shape).unwrap()).unwrap();
        assert_eq!(out.data(), &[8.0 / (big as f64).powi(3)]);
    }

    /// Found by fuzzing (`plan` target): the fast path multiplied the spatial extents of
    /// an empty batch, `6 × usize::MAX × 8`, and overflowed.
    #[test]
    fn empty_channels_with_overflowing_spatial_extents_pool_to_empty_output() {
        let shape = [1usize << 32, 0, 6, usize::MAX, 8];
        let plan = PoolPlan::new(&PoolSpec::global_max(), &shape, Layout::ChannelsFirst).unwrap();
        let out = pool(&plan, &TensorView::<f32>::new(&[], &shape).unwrap()).unwrap();
        assert!(out.data().is_empty());
    }
}

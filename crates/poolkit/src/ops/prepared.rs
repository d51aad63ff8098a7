//! The prepared operator: a plan, an element type and execution options resolved once
//! (instruction set, threads, the kernels' flattened geometry, the backward pass's taps
//! and divisors), then run on any number of tensors of the plan's shape; each call adds
//! only its views' pointers and strides and a route chosen in a few comparisons.
//! The free functions (`pool`, `pool_backward`, ...) are one-call wrappers over it.

use super::checks::{buffer_len, reduction_supports, result_fits, same_shape};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::IndexConvention;
use crate::kernels::{self, BackwardKernel, ExecOptions, ForwardKernel, Route};
use crate::reference;
use crate::tensor::{Tensor, TensorView};
use std::borrow::Borrow;
use std::mem::MaybeUninit;
use std::sync::OnceLock;

/// A pooling operator prepared for one plan, element type and execution options: what
/// does not depend on the data is worked out once, in [`PreparedPool::new`], and every
/// call after that only checks shapes and runs.
///
/// ```
/// use poolkit::{Layout, PoolPlan, PoolSpec, PreparedPool, Route, TensorView, WindowSpec};
/// let spec = PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2]));
/// let plan = PoolPlan::new(&spec, &[1, 1, 6, 6], Layout::ChannelsFirst)?;
/// let op = PreparedPool::<f32>::new(&plan, &Default::default())?;
/// assert_eq!(op.route(), Route::Tiny);
/// let grid = poolkit::teach::SEED_GRID.map(|v| v as f32);
/// let y = op.forward(&TensorView::new(&grid, &[1, 1, 6, 6])?)?;
/// assert_eq!(y.data(), &[9., 8., 7., 6., 7., 9., 8., 9., 6.]);
/// # Ok::<(), poolkit::Error>(())
/// ```
///
/// The operator owns a copy of its plan; [`PreparedPool::borrowing`] prepares one that
/// borrows the caller's plan instead (`P = &PoolPlan`), as the one-call functions do, so
/// that a call on a tiny tensor pays for no copy.
#[derive(Debug)]
pub struct PreparedPool<T: Element, P: Borrow<PoolPlan> = PoolPlan> {
    plan: P,
    kernel: ForwardKernel<T>,
    /// Built on the first backward call: forward-only users never pay for it.
    backward: OnceLock<Box<BackwardKernel>>,
}

impl<T: Element> PreparedPool<T> {
    /// Prepares `plan` for elements of type `T` under `options`. Refuses an instruction
    /// set the CPU lacks, a thread count of 0, and Lp pooling of an integer type.
    pub fn new(plan: &PoolPlan, options: &ExecOptions) -> Result<Self> {
        PreparedPool::with_plan(plan.clone(), options)
    }
}

impl<'p, T: Element> PreparedPool<T, &'p PoolPlan> {
    /// [`PreparedPool::new`] borrowing `plan` instead of copying it.
    pub fn borrowing(plan: &'p PoolPlan, options: &ExecOptions) -> Result<Self> {
        PreparedPool::with_plan(plan, options)
    }
}

impl<T: Element, P: Borrow<PoolPlan>> PreparedPool<T, P> {
    fn with_plan(plan: P, options: &ExecOptions) -> Result<Self> {
        let p = plan.borrow();
        reduction_supports::<T>(p.reduction())?;
        let exec = options.resolve()?;
        let kernel = ForwardKernel::new(p, exec);
        Ok(PreparedPool {
            plan,
            kernel,
            backward: OnceLock::new(),
        })
    }

    /// The plan.
    pub fn plan(&self) -> &PoolPlan {
        self.plan.borrow()
    }

    /// The code a forward call on a view in standard layout runs. A view whose innermost
    /// axis (W channels-first, C channels-last) is strided runs the reference.
    pub fn route(&self) -> Route {
        self.kernel.route(false)
    }

    /// The code a forward call with indices runs (the reference for other than max).
    pub fn route_with_indices(&self) -> Route {
        self.kernel.route(true)
    }

    /// The code a forward call on `input` runs, with or without indices: the reference
    /// where the view's innermost axis is strided, else [`route`](Self::route) or
    /// [`route_with_indices`](Self::route_with_indices).
    pub fn route_for_view(&self, input: &TensorView<T>, with_indices: bool) -> Route {
        self.kernel.route_for(input, with_indices)
    }

    /// Pools `input` into a new tensor of the plan's output shape.
    pub fn forward(&self, input: &TensorView<T>) -> Result<Tensor<T>> {
        result_fits::<T>("the output", self.plan().output_shape())?;
        let mut out = kernels::output_buffer::<T>(self.plan().output_len());
        let written = self.forward_into(input, out.spare_capacity_mut())?.len();
        // SAFETY: `forward_into` initialised the first `written` elements of the spare
        // capacity, which is the whole output.
        unsafe { out.set_len(written) };
        Tensor::from_vec(out, self.plan().output_shape())
    }

    /// Pools `input` into `output`, a caller's buffer of the plan's output length that
    /// need not be initialised; returns it initialised. Every element is written.
    pub fn forward_into<'o>(
        &self,
        input: &TensorView<T>,
        output: &'o mut [MaybeUninit<T>],
    ) -> Result<&'o mut [T]> {
        same_shape("input", input.shape(), self.plan().input_shape())?;
        buffer_len("output", output.len(), self.plan().output_shape())?;
        let route = self.kernel.route_for(input, false);
        if route.is_fast() {
            self.kernel.run(route, input, output, None);
            // SAFETY: the kernels wrote every element.
            Ok(unsafe { assume_init(output) })
        } else {
            let output = zeroed(output);
            reference::pool_forward(self.plan(), input, output, None);
            Ok(output)
        }
    }

    /// [`forward_into`](Self::forward_into) for an initialised buffer.
    pub fn forward_into_slice(&self, input: &TensorView<T>, output: &mut [T]) -> Result<()> {
        self.forward_into(input, as_uninit(output)).map(|_| ())
    }

    /// Max pooling that also returns, for each output, the index of the input it took.
    pub fn forward_with_indices(
        &self,
        input: &TensorView<T>,
        convention: IndexConvention,
    ) -> Result<(Tensor<T>, Tensor<i64>)> {
        let shape = self.plan().output_shape();
        result_fits::<T>("the output", shape)?;
        result_fits::<i64>("the indices", shape)?;
        let mut out = vec![T::ZERO; self.plan().output_len()];
        let mut idx = vec![0i64; self.plan().output_len()];
        self.forward_with_indices_into(input, convention, &mut out, &mut idx)?;
        Ok((Tensor::from_vec(out, shape)?, Tensor::from_vec(idx, shape)?))
    }

    /// [`forward_with_indices`](Self::forward_with_indices) into caller buffers of the
    /// plan's output length.
    pub fn forward_with_indices_into(
        &self,
        input: &TensorView<T>,
        convention: IndexConvention,
        output: &mut [T],
        indices: &mut [i64],
    ) -> Result<()> {
        self.require_max("indices requested from")?;
        same_shape("input", input.shape(), self.plan().input_shape())?;
        buffer_len("output", output.len(), self.plan().output_shape())?;
        buffer_len("indices", indices.len(), self.plan().output_shape())?;
        let route = self.kernel.route_for(input, true);
        if route.is_fast() {
            let indices = (as_uninit(indices), convention);
            self.kernel
                .run(route, input, as_uninit(output), Some(indices));
        } else {
            reference::pool_forward(self.plan(), input, output, Some((indices, convention)));
        }
        Ok(())
    }

    /// The input gradient of the forward pass for the upstream gradient `grad_output`.
    /// Max routes each output's gradient to its window's argmax (first maximum, first NaN)
    /// found again from `input`; see [`pool_backward`](crate::pool_backward).
    pub fn backward(
        &self,
        input: &TensorView<T>,
        grad_output: &TensorView<T>,
    ) -> Result<Tensor<T>> {
        same_shape("input", input.shape(), self.plan().input_shape())?;
        result_fits::<T>("grad_input", self.plan().input_shape())?;
        let mut dx = vec![T::ZERO; self.plan().input_len()];
        self.backward_into(input, grad_output, &mut dx)?;
        Tensor::from_vec(dx, self.plan().input_shape())
    }

    /// [`backward`](Self::backward) into a caller's buffer of the plan's input length.
    pub fn backward_into(
        &self,
        input: &TensorView<T>,
        grad_output: &TensorView<T>,
        grad_input: &mut [T],
    ) -> Result<()> {
        same_shape("input", input.shape(), self.plan().input_shape())?;
        grad_output_shape(grad_output.shape(), self.plan().output_shape())?;
        buffer_len("grad_input", grad_input.len(), self.plan().input_shape())?;
        let (plan, kernel) = (self.plan(), self.backward_kernel());
        if !kernels::backward::pool_backward(plan, input, grad_output, grad_input, kernel) {
            reference::pool_backward(plan, input, grad_output, grad_input);
        }
        Ok(())
    }

    /// The input gradient of max pooling from the forward pass's `indices` (no input
    /// needed).
    pub fn backward_from_indices(
        &self,
        grad_output: &TensorView<T>,
        indices: &TensorView<i64>,
        convention: IndexConvention,
    ) -> Result<Tensor<T>> {
        self.check_from_indices(grad_output, indices)?;
        result_fits::<T>("grad_input", self.plan().input_shape())?;
        let mut dx = kernels::zeroed_output_buffer(self.plan().input_len());
        self.run_from_indices(grad_output, indices, convention, &mut dx, true)?;
        Tensor::from_vec(dx, self.plan().input_shape())
    }

    /// [`backward_from_indices`](Self::backward_from_indices) into a caller's buffer of
    /// the plan's input length. Every element is written; on an error (an index outside
    /// the input) none is.
    pub fn backward_from_indices_into(
        &self,
        grad_output: &TensorView<T>,
        indices: &TensorView<i64>,
        convention: IndexConvention,
        grad_input: &mut [T],
    ) -> Result<()> {
        self.check_from_indices(grad_output, indices)?;
        buffer_len("grad_input", grad_input.len(), self.plan().input_shape())?;
        self.run_from_indices(grad_output, indices, convention, grad_input, false)
    }

    fn backward_kernel(&self) -> &BackwardKernel {
        self.backward
            .get_or_init(|| Box::new(BackwardKernel::new(self.plan(), self.kernel.exec())))
    }

    /// The fast path, else the reference; `fresh` as in `kernels::backward`.
    fn run_from_indices(
        &self,
        grad_output: &TensorView<T>,
        indices: &TensorView<i64>,
        convention: IndexConvention,
        grad_input: &mut [T],
        fresh: bool,
    ) -> Result<()> {
        let plan = self.plan();
        if !kernels::backward::max_backward_from_indices(
            plan,
            grad_output,
            indices,
            convention,
            grad_input,
            self.backward_kernel(),
            fresh,
        ) {
            reference::max_pool_backward_from_indices(
                plan,
                grad_output,
                indices,
                convention,
                grad_input,
            )?;
        }
        Ok(())
    }

    /// Argmax indices exist for max pooling only: `what` names the call refused.
    fn require_max(&self, what: &str) -> Result<()> {
        let reduction = self.plan().reduction();
        if reduction != Reduction::Max {
            bail!(
                InvalidParameter,
                "{what} {reduction:?} pooling: only max pooling has argmax indices"
            );
        }
        Ok(())
    }

    fn check_from_indices(
        &self,
        grad_output: &TensorView<T>,
        indices: &TensorView<i64>,
    ) -> Result<()> {
        self.require_max("backward from indices for")?;
        grad_output_shape(grad_output.shape(), self.plan().output_shape())?;
        same_shape("indices", indices.shape(), self.plan().output_shape())
    }
}

/// The upstream gradient must have the forward output's shape.
pub(crate) fn grad_output_shape(got: &[usize], want: &[usize]) -> Result<()> {
    if got != want {
        bail!(
            ShapeMismatch,
            "grad_output has shape {got:?} but the forward output has shape {want:?}: the upstream \
             gradient must have the output's shape"
        );
    }
    Ok(())
}

/// `buffer` as possibly uninitialised memory, for code that only ever writes initialised
/// values into it.
fn as_uninit<T>(buffer: &mut [T]) -> &mut [MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout; the only writers (the kernels) store
    // initialised values, so the buffer stays initialised for its owner.
    unsafe { &mut *(buffer as *mut [T] as *mut [MaybeUninit<T>]) }
}

/// `buffer` with every element written as zero.
fn zeroed<T: Element>(buffer: &mut [MaybeUninit<T>]) -> &mut [T] {
    buffer.fill(MaybeUninit::new(T::ZERO));
    // SAFETY: every element was just written.
    unsafe { assume_init(buffer) }
}

/// # Safety
/// Every element of `buffer` is initialised.
unsafe fn assume_init<T>(buffer: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: the caller guarantees every element is initialised; `MaybeUninit<T>` has
    // `T`'s layout.
    unsafe { &mut *(buffer as *mut [MaybeUninit<T>] as *mut [T]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{PoolSpec, WindowSpec};
    use crate::tensor::Layout;

    /// One operator serves many tensors, forward and backward, with the free functions'
    /// results; `forward_into` fills an uninitialised buffer on fast and reference routes.
    #[test]
    fn one_operator_serves_many_calls_as_the_free_functions_do() {
        let window = WindowSpec::new(&[3, 3]).strides(&[2, 2]);
        let shape = [2, 3, 9, 11];
        for spec in [PoolSpec::max(window.clone()), PoolSpec::lp(window, 2.0)] {
            let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
            let op = PreparedPool::<f32>::new(&plan, &ExecOptions::new().threads(2)).unwrap();
            assert_eq!(op.route().is_fast(), spec.reduction == Reduction::Max);
            let dy: Vec<f32> = (0..plan.output_len()).map(|i| (i % 7) as f32).collect();
            let dy = TensorView::new(&dy, plan.output_shape()).unwrap();
            for seed in [1usize, 2] {
                let data: Vec<f32> = (0..plan.input_len())
                    .map(|i| ((i * 31 + seed * 17) % 23) as f32 - 11.0)
                    .collect();
                let x = TensorView::new(&data, &shape).unwrap();
                let want = crate::pool(&plan, &x).unwrap();
                assert_eq!(op.forward(&x).unwrap().data(), want.data());
                let mut buffer = vec![MaybeUninit::<f32>::uninit(); plan.output_len()];
                assert_eq!(op.forward_into(&x, &mut buffer).unwrap(), want.data());
                let dx = crate::pool_backward(&plan, &x, &dy).unwrap();
                assert_eq!(op.backward(&x, &dy).unwrap().data(), dx.data());
                if spec.reduction == Reduction::Max {
                    let torch = IndexConvention::Torch;
                    let (y, idx) = op.forward_with_indices(&x, torch).unwrap();
                    assert_eq!(y.data(), want.data());
                    let from = op.backward_from_indices(&dy, &idx.view(), torch).unwrap();
                    assert_eq!(from.data(), dx.data());
                }
            }
            let wrong = TensorView::new(&[0f32; 4], &[1, 1, 2, 2]).unwrap();
            assert!(op
                .forward(&wrong)
                .unwrap_err()
                .message()
                .contains("[1, 1, 2, 2]"));
        }
    }
}

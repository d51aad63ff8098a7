//! Reference backward passes: the gradient with respect to the input, by an ordered scatter.
//!
//! Contributions are added in row-major output order into an `f64` accumulator and
//! rounded once into the element type, so the result is the same bits on every run.

use super::for_each_index;
use super::indexed::{for_each_decoded, round_into};
use super::pool::{first_max, flat_position, full_index, lp_norm, window_positions};
use crate::element::Element;
use crate::error::Result;
use crate::geometry::{PoolPlan, Reduction, RoiPlan, UnpoolPlan};
use crate::indices::IndexConvention;
use crate::tensor::TensorView;

/// `dx` for `pool(plan, input)` given `dy`; writes every element of the contiguous `grad_input`.
///
/// Max routes each `dy` to its window's first maximum (or first NaN); average spreads
/// `dy / divisor` over the in-bounds taps; Lp gives `sign(x) · (|x|/y)^(p-1) · dy`, and 0 where
/// the window's norm `y` is 0.
pub fn pool_backward<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
    grad_input: &mut [T],
) {
    let layout = plan.layout();
    let in_shape = plan.input_shape().to_vec();
    let out_spatial = plan.output_spatial();
    let mut acc = vec![0.0f64; grad_input.len()];
    for (n, c) in super::planes(plan.batch(), plan.channels()) {
        for_each_index(&out_spatial, |out| {
            let dy = grad_output.get(&full_index(layout, n, c, out)).to_f64();
            let positions = window_positions(plan, out);
            let at = |p: &[usize]| flat_position(layout, &in_shape, n, c, p);
            match plan.reduction() {
                Reduction::Max => {
                    let values: Vec<(T, &Vec<usize>)> = positions
                        .iter()
                        .map(|p| (input.get(&full_index(layout, n, c, p)), p))
                        .collect();
                    let (_, winner) = first_max(&values);
                    acc[at(winner)] += dy;
                }
                Reduction::Avg { .. } => {
                    let divisor = plan.avg_divisor(out).expect("avg plan has a divisor");
                    for p in &positions {
                        acc[at(p)] += dy / divisor;
                    }
                }
                Reduction::Lp { p: order } => {
                    let xs: Vec<f64> = positions
                        .iter()
                        .map(|p| input.get(&full_index(layout, n, c, p)).to_f64())
                        .collect();
                    let y = lp_norm(xs.iter().copied(), order);
                    if y == 0.0 {
                        return;
                    }
                    for (p, &x) in positions.iter().zip(&xs) {
                        acc[at(p)] += lp_partial(x, y, order) * dy;
                    }
                }
            }
        });
    }
    round_into(grad_input, &acc);
}

/// `∂y/∂x = sign(x) · (|x|/y)^(p-1)`, written with the ratio `|x|/y ≤ 1` so large `p` stays finite.
pub(crate) fn lp_partial(x: f64, y: f64, p: f64) -> f64 {
    if x == 0.0 {
        // p > 1: the derivative vanishes; p <= 1 at 0 is a kink, and 0 is the subgradient PyTorch uses.
        return 0.0;
    }
    // libm's pow, as the forward pass uses: the same bits on every target.
    x.signum() * libm::pow(x.abs() / y, p - 1.0)
}

/// `dx` for max pooling from the forward pass's indices: each `dy` goes where its index points.
pub fn max_pool_backward_from_indices<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
) -> Result<()> {
    let layout = plan.layout();
    let in_shape = plan.input_shape().to_vec();
    let mut acc = vec![0.0f64; grad_input.len()];
    for_each_decoded(
        layout,
        indices,
        &plan.input_spatial(),
        convention,
        |at, (n, c, pos)| {
            acc[flat_position(layout, &in_shape, n, c, pos)] += grad_output.get(at).to_f64();
        },
    )?;
    round_into(grad_input, &acc);
    Ok(())
}

/// `dx` for max-unpooling: each input's gradient is `dy` gathered at its index.
pub fn max_unpool_backward<T: Element>(
    plan: &UnpoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
) -> Result<()> {
    let layout = plan.layout();
    let out_spatial = layout.split_shape(plan.output_shape()).2.to_vec();
    let in_shape = plan.input_shape();
    for_each_decoded(
        layout,
        indices,
        &out_spatial,
        convention,
        |at, (n, c, pos)| {
            // `at` is the input element's own multi-index; its gradient gathers dy at the index.
            let (n0, c0, p) = layout.split_shape(at);
            grad_input[flat_position(layout, in_shape, n0, c0, p)] =
                grad_output.get(&full_index(layout, n, c, pos));
        },
    )
}

/// `dx` for max RoI pooling: each bin's `dy` goes to the bin's first maximum; empty bins add nothing.
pub fn max_roi_pool_backward<T: Element>(
    plan: &RoiPlan,
    input: &TensorView<T>,
    rois: &TensorView<T>,
    grad_output: &TensorView<T>,
    grad_input: &mut [T],
) -> Result<()> {
    let layout = plan.layout();
    let (_, channels, spatial) = layout.split_shape(plan.input_shape());
    let width = spatial[1];
    let mut argmax = vec![0i64; plan.output_shape().iter().product()];
    let mut pooled = vec![T::ZERO; argmax.len()];
    super::max_roi_pool_forward(plan, input, rois, &mut pooled, Some(&mut argmax))?;
    let mut acc = vec![0.0f64; grad_input.len()];
    let [ph, pw] = plan.spec().pooled_shape;
    for r in 0..plan.num_rois() {
        let row: [f64; 5] = std::array::from_fn(|k| rois.get(&[r, k]).to_f64());
        let (b, _) = plan.bins(r, row)?;
        for c in 0..channels {
            for i in 0..ph {
                for j in 0..pw {
                    let o = flat_position(layout, plan.output_shape(), r, c, &[i, j]);
                    if argmax[o] < 0 {
                        continue;
                    }
                    let a = argmax[o] as usize;
                    let dst =
                        flat_position(layout, plan.input_shape(), b, c, &[a / width, a % width]);
                    acc[dst] += grad_output.get(&full_index(layout, r, c, &[i, j])).to_f64();
                }
            }
        }
    }
    round_into(grad_input, &acc);
    Ok(())
}

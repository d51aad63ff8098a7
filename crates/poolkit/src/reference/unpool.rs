//! Reference max-unpooling: a zero tensor with each input written where its index points.

use super::indexed::for_each_decoded;
use super::pool::flat_position;
use crate::element::Element;
use crate::error::Result;
use crate::geometry::UnpoolPlan;
use crate::indices::IndexConvention;
use crate::tensor::TensorView;

/// Scatters `input` through `indices` into the zeroed `output`; inputs are visited in
/// row-major logical order, so where two indices coincide the later input wins.
pub fn max_unpool_forward<T: Element>(
    plan: &UnpoolPlan,
    input: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    output: &mut [T],
) -> Result<()> {
    let layout = plan.layout();
    let out_spatial = layout.split_shape(plan.output_shape()).2.to_vec();
    output.fill(T::ZERO);
    for_each_decoded(
        layout,
        indices,
        &out_spatial,
        convention,
        |at, (n, c, pos)| {
            output[flat_position(layout, plan.output_shape(), n, c, pos)] = input.get(at);
        },
    )
}

//! Reference max-unpooling: a zero tensor with each input written where its index points.

use super::for_each_index;
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
    let (batch, channels, in_spatial) = layout.split_shape(plan.input_shape());
    let out_spatial = layout.split_shape(plan.output_shape()).2.to_vec();
    output.fill(T::ZERO);
    for (n, c) in super::planes(batch, channels) {
        let mut failure = None;
        for_each_index(in_spatial, |p| {
            if failure.is_some() {
                return;
            }
            let at = layout.full_shape(n, c, p);
            match convention.decode(indices.get(&at), n, c, channels, batch, &out_spatial) {
                Ok((plane, pos)) => {
                    let dst = flat_position(
                        layout,
                        plan.output_shape(),
                        plane / channels,
                        plane % channels,
                        &pos,
                    );
                    output[dst] = input.get(&at);
                }
                Err(e) => failure = Some(e),
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(())
}

//! Max RoI pooling (ONNX `MaxRoiPool`): a fixed grid of max-pooled bins per region of interest.

use super::checks::{buffer_len, result_fits, same_shape};
use crate::element::Element;
use crate::error::Result;
use crate::geometry::RoiPlan;
use crate::reference;
use crate::tensor::{Tensor, TensorView};

/// Pools every RoI of `rois` (`[num_rois, 5]`: batch index, x1, y1, x2, y2) from `input`.
pub fn max_roi_pool<T: Element>(
    plan: &RoiPlan,
    input: &TensorView<T>,
    rois: &TensorView<T>,
) -> Result<Tensor<T>> {
    result_fits::<T>("the output", plan.output_shape())?;
    let mut out = vec![T::ZERO; plan.output_shape().iter().product()];
    max_roi_pool_into(plan, input, rois, &mut out, None)?;
    Tensor::from_vec(out, plan.output_shape())
}

/// Max RoI pooling into a caller's buffer; `argmax`, when given, receives each bin's
/// winning `h*W + w` within its plane, or -1 for an empty bin.
pub fn max_roi_pool_into<T: Element>(
    plan: &RoiPlan,
    input: &TensorView<T>,
    rois: &TensorView<T>,
    output: &mut [T],
    argmax: Option<&mut [i64]>,
) -> Result<()> {
    same_shape("input", input.shape(), plan.input_shape())?;
    same_shape("rois", rois.shape(), &[plan.num_rois(), 5])?;
    buffer_len("output", output.len(), plan.output_shape())?;
    if let Some(a) = argmax.as_deref() {
        buffer_len("argmax", a.len(), plan.output_shape())?;
    }
    reference::max_roi_pool_forward(plan, input, rois, output, argmax)
}

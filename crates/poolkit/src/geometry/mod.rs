//! Geometry: from a spec and an input shape to a plan with every size resolved.
//!
//! Sizes follow PyTorch and ONNX: `out = floor((in + pb + pe - ((k-1)*d + 1)) / s) + 1`
//! (ceil in ceil mode, dropping a last window that would start in the end padding), and
//! `out = ceil(in / s)` for `SAME_*` padding.

mod axis;
mod padding;
pub(crate) mod plan;
mod spec;

pub use axis::{AxisMode, AxisPlan, AxisWindow};
pub use padding::Padding;
pub use plan::{output_shape, output_shape_in_format, PoolPlan, MAX_SPATIAL_RANK};
pub use spec::{PoolSpec, Reduction, Region, WindowSpec};

mod roi;
mod unpool;

pub use roi::{RoiBin, RoiPlan, RoiPoolSpec};
pub use unpool::{UnpoolPlan, UnpoolSpec};

//! # poolkit
//!
//! The pooling layers of convolutional networks — max, average, Lp, global, adaptive,
//! max-unpooling and max RoI pooling — in 1, 2 and 3 spatial dimensions, to the letter of
//! PyTorch and ONNX.
//!
//! Pooling has **no learnable parameters**: a [`PoolSpec`] (what to reduce, over which
//! region) is all there is to a pooling layer. A spec is checked against an input shape
//! once, into a [`PoolPlan`]; the plan then pools any tensor of that shape.
//!
//! ## The seed's 6×6 explorer grid
//!
//! A 2×2 window with stride 2 halves H and W; max pooling keeps the strongest activation
//! of each window, average pooling its mean, and max is never below average:
//!
//! ```
//! use poolkit::{pool, Layout, PoolPlan, PoolSpec, TensorView, WindowSpec};
//!
//! let grid = poolkit::teach::SEED_GRID.map(|v| v as f32); // the seed's 6×6 grid
//! let x = TensorView::new(&grid, &[1, 1, 6, 6])?;
//! let window = WindowSpec::new(&[2, 2]).strides(&[2, 2]);
//!
//! let max_plan = PoolPlan::new(&PoolSpec::max(window.clone()), x.shape(), Layout::ChannelsFirst)?;
//! let avg_plan = PoolPlan::new(&PoolSpec::avg(window), x.shape(), Layout::ChannelsFirst)?;
//! let max = pool(&max_plan, &x)?;
//! let avg = pool(&avg_plan, &x)?;
//!
//! assert_eq!(max.shape(), &[1, 1, 3, 3]);
//! assert_eq!(max.data(), &[9., 8., 7., 6., 7., 9., 8., 9., 6.]);
//! assert_eq!(avg.data(), &[6., 4.5, 4.5, 3.5, 3.75, 6., 4.5, 5.75, 3.5]);
//! assert!(max.data().iter().zip(avg.data()).all(|(m, a)| m >= a));
//! # Ok::<(), poolkit::Error>(())
//! ```
//!
//! ## The seed's checkpoint
//!
//! A `[14, 14, 32]` feature map (height, width, channels) through a 2×2, stride-2 max pool:
//!
//! ```
//! use poolkit::{output_shape_in_format, PoolSpec, WindowSpec};
//! let spec = PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2]));
//! assert_eq!(output_shape_in_format(&spec, &[14, 14, 32], "hwc")?, vec![7, 7, 32]);
//! # Ok::<(), poolkit::Error>(())
//! ```
//!
//! ## Exactness
//!
//! - **Max** compares exactly. Ties go to the first maximum in row-major window order.
//!   NaN propagates, as in PyTorch: a window holding a NaN yields NaN, and its index is
//!   the first NaN's. Padding counts as `-inf` (it never wins).
//! - **Average** sums in `f64` and rounds once into the element type; integer types
//!   (u8, i8, u16) round the exact mean half to even. Padding inside
//!   `[-pad_begin, in + pad_end)` counts in the divisor only with `count_include_pad`;
//!   the ceil-mode overhang never counts; `divisor_override` replaces the divisor.
//! - **Lp** is `(Σ |x|^p)^(1/p)` over the in-bounds elements, computed as
//!   `m · (Σ (|x|/m)^p)^(1/p)` with `m = max |x|` so that large `p` stays finite. Float types only.
//! - A geometry whose window would read only padding is refused: such an output has no value.
//!
//! ## NaN, infinities and other numbers that bite
//!
//! Every operator and every instruction-set variant gives these results (tested in
//! `tests/numbers_that_bite.rs`):
//!
//! | operator | window holds NaN | +Inf (no NaN) | only -Inf | +Inf and -Inf |
//! | --- | --- | --- | --- | --- |
//! | max, global max, adaptive max, RoI max | NaN (index: first NaN) | +Inf | -Inf (index: first) | +Inf |
//! | average, global / adaptive average | NaN | +Inf | -Inf | NaN |
//! | Lp | NaN | +Inf | +Inf | +Inf |
//! | max backward (and from indices) | dy to the first NaN | dy to the first +Inf | dy to the first | dy to the +Inf |
//! | average backward | dy / divisor to every input: values do not enter | same | same | same |
//! | Lp backward | NaN to every input | NaN to each ±Inf, 0 to finite inputs | NaN | NaN |
//!
//! Max-unpooling copies values as they are. Subnormals are kept exactly (no flush to
//! zero). Sums are taken in `f64`, so averages of `f16` values whose sum exceeds `f16`'s
//! range (65504) are exact. An empty batch or channel axis gives an empty result, forward
//! and backward; a window larger than its padded axis is an [`ErrorKind::EmptyOutput`]
//! error. Indices are `i64`, exact past 2^32 elements. An allocating call whose result
//! cannot be allocated (over `isize::MAX` bytes, or refused by the allocator when tried
//! for results of 1 GiB and more) is an [`ErrorKind::Overflow`] error before any work.
//!
//! ## Indices
//!
//! [`IndexConvention::Torch`] gives `h*W + w` within each (n, c) plane;
//! [`IndexConvention::Onnx`] gives a flat offset over the whole tensor, row- or
//! column-major in the spatial axes. Both address the logical `[N, C, spatial...]`
//! tensor, whatever the memory layout.

pub mod bench;
mod dims;
mod element;
mod error;
pub mod geometry;
mod indices;
#[cfg(feature = "ndarray")]
pub mod interop;
mod kernels;
mod ops;
pub mod reference;
pub mod teach;
mod tensor;

pub use element::{DType, Element};
pub use error::{Error, ErrorKind, GeometryRule, Result};
pub use geometry::{
    output_shape, output_shape_in_format, AxisMode, AxisPlan, AxisWindow, Padding, PoolPlan,
    PoolSpec, Reduction, Region, RoiPlan, RoiPoolSpec, UnpoolPlan, UnpoolSpec, WindowSpec,
};
pub use half::{bf16, f16};
pub use indices::{IndexConvention, StorageOrder};
#[doc(hidden)]
pub use kernels::RouteExample;
pub use kernels::{ExecOptions, Isa, Parallelism, Route};
pub use ops::{
    max_pool_backward_from_indices, max_pool_backward_from_indices_into,
    max_pool_backward_from_indices_into_with, max_pool_with_indices, max_pool_with_indices_into,
    max_roi_pool, max_roi_pool_backward, max_roi_pool_into, max_unpool, max_unpool_backward,
    max_unpool_into, pool, pool_backward, pool_backward_into, pool_backward_into_with,
    pool_backward_with, pool_into,
};
pub use ops::{max_pool_with_indices_into_with, pool_into_with, pool_with, PreparedPool};
pub use tensor::{contiguous_strides, Layout, Tensor, TensorView};

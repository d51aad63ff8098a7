//! A spec checked against an input shape, once: every size resolved, every rule enforced.
//! Kernels and the reference implementation trust a plan and re-check nothing.

use super::axis::{AxisPads, AxisPlan, AxisRequest};
use super::padding::Padding;
use super::spec::{PoolSpec, Reduction, Region};
use crate::error::{bail, checked_product, Result};
use crate::tensor::Layout;

/// Spatial ranks poolkit accepts (1-D, 2-D, 3-D pooling).
pub const MAX_SPATIAL_RANK: usize = 3;

/// A validated pooling of one input shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPlan {
    reduction: Reduction,
    layout: Layout,
    batch: usize,
    channels: usize,
    axes: Vec<AxisPlan>,
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
}

impl PoolPlan {
    /// Checks `spec` against a full input shape (`[N, C, spatial...]` or `[N, spatial..., C]`).
    pub fn new(spec: &PoolSpec, input_shape: &[usize], layout: Layout) -> Result<PoolPlan> {
        let rank = input_shape.len();
        if !(3..=MAX_SPATIAL_RANK + 2).contains(&rank) {
            bail!(
                ShapeMismatch,
                "input shape {input_shape:?} has rank {rank}: pooling takes [N, C, spatial...] with \
                 1 to {MAX_SPATIAL_RANK} spatial axes (rank 3 to {})",
                MAX_SPATIAL_RANK + 2
            );
        }
        checked_product(input_shape, "input shape")?;
        let (batch, channels, spatial) = layout.split_shape(input_shape);
        let axes = resolve_axes(spec, spatial)?;
        let out_spatial: Vec<usize> = axes.iter().map(|a| a.output).collect();
        let output_shape = layout.full_shape(batch, channels, &out_spatial);
        checked_product(&output_shape, "output shape")?;
        Ok(PoolPlan {
            reduction: spec.reduction,
            layout,
            batch,
            channels,
            axes,
            input_shape: input_shape.to_vec(),
            output_shape,
        })
    }

    /// The reduction.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }
    /// The layout of input and output.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// Batch size N.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// Channel count C.
    pub fn channels(&self) -> usize {
        self.channels
    }
    /// The resolved spatial axes.
    pub fn axes(&self) -> &[AxisPlan] {
        &self.axes
    }
    /// The full input shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    /// The full output shape.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    /// Input spatial extents.
    pub fn input_spatial(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.input).collect()
    }
    /// Output spatial extents.
    pub fn output_spatial(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.output).collect()
    }
    /// Number of output elements.
    pub fn output_len(&self) -> usize {
        self.output_shape.iter().product()
    }
    /// Number of input elements.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }
    /// The divisor of an average at output multi-index `out` (spatial), or `None` for
    /// other reductions. An `f64`: with `count_include_pad` and vast padding the exact
    /// product of per-axis counts can exceed `usize`; below 2^53 it is exact.
    pub fn avg_divisor(&self, out: &[usize]) -> Option<f64> {
        match self.reduction {
            Reduction::Avg {
                divisor_override: Some(d),
                ..
            } => Some(d as f64),
            Reduction::Avg {
                count_include_pad, ..
            } => Some(
                self.axes
                    .iter()
                    .zip(out)
                    .map(|(a, &o)| {
                        if count_include_pad {
                            a.padded_taps(o) as f64
                        } else {
                            a.in_bounds_taps(o) as f64
                        }
                    })
                    .product(),
            ),
            _ => None,
        }
    }
}

/// Resolves every spatial axis of `spec` for the given input extents.
pub(crate) fn resolve_axes(spec: &PoolSpec, spatial: &[usize]) -> Result<Vec<AxisPlan>> {
    check_reduction(&spec.reduction)?;
    let rank = spatial.len();
    if rank == 0 || rank > MAX_SPATIAL_RANK {
        bail!(
            ShapeMismatch,
            "{rank} spatial axes: pooling works on 1 to {MAX_SPATIAL_RANK} spatial axes"
        );
    }
    match &spec.region {
        Region::Global => (0..rank)
            .map(|axis| AxisPlan::resolve_global(axis, spatial[axis]))
            .collect(),
        Region::Adaptive { output_size } => {
            check_len("output size", output_size.len(), rank)?;
            (0..rank)
                .map(|axis| AxisPlan::resolve_adaptive(axis, spatial[axis], output_size[axis]))
                .collect()
        }
        Region::Window(w) => {
            check_len("kernel", w.kernel.len(), rank)?;
            let strides = w.strides.clone().unwrap_or_else(|| w.kernel.clone());
            let dilations = w.dilations.clone().unwrap_or_else(|| vec![1; rank]);
            check_len("strides", strides.len(), rank)?;
            check_len("dilations", dilations.len(), rank)?;
            let pads: Vec<AxisPads> = match &w.padding {
                Padding::Explicit { begin, end } => {
                    let begin = if begin.is_empty() {
                        vec![0; rank]
                    } else {
                        begin.clone()
                    };
                    let end = if end.is_empty() {
                        vec![0; rank]
                    } else {
                        end.clone()
                    };
                    check_len("begin pads", begin.len(), rank)?;
                    check_len("end pads", end.len(), rank)?;
                    begin
                        .iter()
                        .zip(&end)
                        .map(|(&b, &e)| AxisPads::Explicit(b, e))
                        .collect()
                }
                Padding::Valid => vec![AxisPads::Explicit(0, 0); rank],
                Padding::SameUpper => vec![AxisPads::SameUpper; rank],
                Padding::SameLower => vec![AxisPads::SameLower; rank],
            };
            (0..rank)
                .map(|axis| {
                    AxisPlan::resolve_window(AxisRequest {
                        axis,
                        input: spatial[axis],
                        kernel: w.kernel[axis],
                        stride: strides[axis],
                        dilation: dilations[axis],
                        pads: pads[axis],
                        ceil_mode: w.ceil_mode,
                    })
                })
                .collect()
        }
    }
}

fn check_len(what: &str, got: usize, rank: usize) -> Result<()> {
    if got != rank {
        bail!(
            ShapeMismatch,
            "{what} has {got} entries but the input has {rank} spatial axes: give one per spatial axis"
        );
    }
    Ok(())
}

fn check_reduction(reduction: &Reduction) -> Result<()> {
    match *reduction {
        Reduction::Lp { p } if !(p.is_finite() && p > 0.0) => {
            bail!(InvalidParameter, "p = {p}: Lp pooling needs a finite p > 0")
        }
        Reduction::Avg {
            divisor_override: Some(0),
            ..
        } => bail!(
            InvalidParameter,
            "divisor_override 0: the divisor must be positive"
        ),
        _ => Ok(()),
    }
}

/// The output shape of pooling a tensor of `shape` laid out as `format`.
///
/// `format` names each axis with a letter: `n` batch, `c` channels, any other letter a
/// spatial axis (`hwc`, `nchw`, `ndhwc`, `cl`, ...). Batch and channel axes pass through.
///
/// ```
/// use poolkit::{output_shape_in_format, PoolSpec, WindowSpec};
/// // The seed's checkpoint: [14, 14, 32] through a 2x2, stride-2 max pool.
/// let spec = PoolSpec::max(WindowSpec::new(&[2, 2]).strides(&[2, 2]));
/// assert_eq!(output_shape_in_format(&spec, &[14, 14, 32], "hwc").unwrap(), vec![7, 7, 32]);
/// ```
pub fn output_shape_in_format(
    spec: &PoolSpec,
    shape: &[usize],
    format: &str,
) -> Result<Vec<usize>> {
    let letters: Vec<char> = format.to_ascii_lowercase().chars().collect();
    if letters.len() != shape.len() {
        bail!(
            ShapeMismatch,
            "format {format:?} names {} axes but shape {shape:?} has {}",
            letters.len(),
            shape.len()
        );
    }
    for (i, &l) in letters.iter().enumerate() {
        if !l.is_ascii_alphabetic() {
            bail!(
                InvalidParameter,
                "format {format:?}: axis names must be letters, found {l:?}"
            );
        }
        if letters[..i].contains(&l) {
            bail!(InvalidParameter, "format {format:?} names axis {l:?} twice");
        }
    }
    let spatial_at: Vec<usize> = (0..shape.len())
        .filter(|&i| letters[i] != 'n' && letters[i] != 'c')
        .collect();
    let spatial: Vec<usize> = spatial_at.iter().map(|&i| shape[i]).collect();
    let axes = resolve_axes(spec, &spatial)?;
    let mut out = shape.to_vec();
    for (&i, a) in spatial_at.iter().zip(&axes) {
        out[i] = a.output;
    }
    Ok(out)
}

/// The output shape of pooling a full `[N, C, spatial...]` / `[N, spatial..., C]` input.
pub fn output_shape(spec: &PoolSpec, input_shape: &[usize], layout: Layout) -> Result<Vec<usize>> {
    Ok(PoolPlan::new(spec, input_shape, layout)?.output_shape)
}

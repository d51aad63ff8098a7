//! Max RoI pooling geometry (ONNX `MaxRoiPool`, Fast R-CNN): which input cells each bin reads.

use crate::error::{bail, checked_product, Result};
use crate::tensor::Layout;

/// A max RoI pooling request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoiPoolSpec {
    /// Output bins per RoI, `[height, width]`.
    pub pooled_shape: [usize; 2],
    /// Scale from RoI coordinates to input coordinates (ONNX default 1.0).
    pub spatial_scale: f64,
}

/// One RoI's bin bounds, clipped to the input: rows `[h0, h1)`, columns `[w0, w1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoiBin {
    pub h0: usize,
    pub h1: usize,
    pub w0: usize,
    pub w1: usize,
}

impl RoiBin {
    /// True when the bin reads nothing (its output is 0).
    pub fn is_empty(&self) -> bool {
        self.h0 >= self.h1 || self.w0 >= self.w1
    }
}

/// A validated RoI pooling of one input shape and RoI count.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiPlan {
    spec: RoiPoolSpec,
    layout: Layout,
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    num_rois: usize,
}

impl RoiPlan {
    /// Checks the spec against a 4-D input and a RoI tensor of shape `[num_rois, 5]`.
    pub fn new(
        spec: RoiPoolSpec,
        input_shape: &[usize],
        rois_shape: &[usize],
        layout: Layout,
    ) -> Result<RoiPlan> {
        if input_shape.len() != 4 {
            bail!(
                ShapeMismatch,
                "input shape {input_shape:?} has rank {}: RoI pooling takes a 2-D feature map [N, C, H, W]",
                input_shape.len()
            );
        }
        if rois_shape.len() != 2 || rois_shape[1] != 5 {
            bail!(
                ShapeMismatch,
                "rois shape {rois_shape:?}: RoIs are [num_rois, 5] rows of (batch_index, x1, y1, x2, y2)"
            );
        }
        let [ph, pw] = spec.pooled_shape;
        if ph == 0 || pw == 0 {
            bail!(
                InvalidParameter,
                "pooled_shape {:?}: bins per RoI must be positive",
                spec.pooled_shape
            );
        }
        if !(spec.spatial_scale.is_finite() && spec.spatial_scale > 0.0) {
            bail!(
                InvalidParameter,
                "spatial_scale {}: it must be a finite number > 0",
                spec.spatial_scale
            );
        }
        let (_, channels, _) = layout.split_shape(input_shape);
        let output_shape = layout.full_shape(rois_shape[0], channels, &[ph, pw]);
        checked_product(&output_shape, "output shape")?;
        Ok(RoiPlan {
            spec,
            layout,
            input_shape: input_shape.to_vec(),
            output_shape,
            num_rois: rois_shape[0],
        })
    }

    /// The spec.
    pub fn spec(&self) -> RoiPoolSpec {
        self.spec
    }
    /// The layout of input and output.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// The input's full shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    /// The output's full shape, `[num_rois, C, ph, pw]` in the plan's layout.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    /// Number of RoIs.
    pub fn num_rois(&self) -> usize {
        self.num_rois
    }

    /// Validates one RoI row and returns its batch index and every bin, row-major.
    ///
    /// Corners are scaled, then rounded half away from zero; the RoI is at least 1×1;
    /// bin `i` covers `[floor(i*size/ph), ceil((i+1)*size/ph))` from the RoI's start,
    /// clipped to the input.
    pub fn bins(&self, roi_index: usize, roi: [f64; 5]) -> Result<(usize, Vec<RoiBin>)> {
        let (batch, _, spatial) = self.layout.split_shape(&self.input_shape);
        let (height, width) = (spatial[0], spatial[1]);
        if roi.iter().any(|v| !v.is_finite()) {
            bail!(
                InvalidParameter,
                "RoI {roi_index} = {roi:?}: RoI values must be finite"
            );
        }
        let b = roi[0];
        if b < 0.0 || b.fract() != 0.0 || b >= batch as f64 {
            bail!(
                IndexOutOfRange,
                "RoI {roi_index} has batch index {b}: it must be an integer in [0, {batch})"
            );
        }
        let scale = self.spec.spatial_scale;
        let x1 = (roi[1] * scale).round();
        let y1 = (roi[2] * scale).round();
        let x2 = (roi[3] * scale).round();
        let y2 = (roi[4] * scale).round();
        let roi_w = (x2 - x1 + 1.0).max(1.0);
        let roi_h = (y2 - y1 + 1.0).max(1.0);
        let [ph, pw] = self.spec.pooled_shape;
        let bin_h = roi_h / ph as f64;
        let bin_w = roi_w / pw as f64;
        let clip = |v: f64, hi: usize| v.clamp(0.0, hi as f64) as usize;
        let mut bins = Vec::with_capacity(ph * pw);
        for i in 0..ph {
            for j in 0..pw {
                bins.push(RoiBin {
                    h0: clip((i as f64 * bin_h).floor() + y1, height),
                    h1: clip(((i + 1) as f64 * bin_h).ceil() + y1, height),
                    w0: clip((j as f64 * bin_w).floor() + x1, width),
                    w1: clip(((j + 1) as f64 * bin_w).ceil() + x1, width),
                });
            }
        }
        Ok((b as usize, bins))
    }
}

//! Max-unpooling geometry: where the inverse of a max pool writes, and how big its output is.

use super::padding::Padding;
use super::plan::MAX_SPATIAL_RANK;
use crate::error::{bail, checked_product, Result};
use crate::tensor::Layout;

/// A max-unpooling request (ONNX `MaxUnpool`, PyTorch `MaxUnpoolNd`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnpoolSpec {
    /// The kernel of the max pool being inverted.
    pub kernel: Vec<usize>,
    /// Its strides; `None` means the kernel.
    pub strides: Option<Vec<usize>>,
    /// Its explicit padding (`Padding::Explicit` only).
    pub padding: Padding,
    /// The output's spatial extents, or its full shape; `None` infers
    /// `(in - 1) * stride + kernel - pad_begin - pad_end` per axis.
    pub output_size: Option<Vec<usize>>,
}

impl UnpoolSpec {
    /// Inverts a max pool of `kernel` with stride = kernel and no padding.
    pub fn new(kernel: &[usize]) -> Self {
        UnpoolSpec {
            kernel: kernel.to_vec(),
            strides: None,
            padding: Padding::zero(),
            output_size: None,
        }
    }
    /// Sets the strides.
    pub fn strides(mut self, strides: &[usize]) -> Self {
        self.strides = Some(strides.to_vec());
        self
    }
    /// Sets the padding.
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }
    /// Sets the output size (spatial extents or the full shape).
    pub fn output_size(mut self, size: &[usize]) -> Self {
        self.output_size = Some(size.to_vec());
        self
    }
}

/// A validated max-unpooling of one input shape.
#[derive(Debug, Clone, PartialEq)]
pub struct UnpoolPlan {
    layout: Layout,
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
}

impl UnpoolPlan {
    /// Checks `spec` against the pooled input's full shape.
    pub fn new(spec: &UnpoolSpec, input_shape: &[usize], layout: Layout) -> Result<UnpoolPlan> {
        let rank = input_shape.len();
        if !(3..=MAX_SPATIAL_RANK + 2).contains(&rank) {
            bail!(
                ShapeMismatch,
                "input shape {input_shape:?} has rank {rank}: unpooling takes [N, C, spatial...] \
                 with 1 to {MAX_SPATIAL_RANK} spatial axes"
            );
        }
        let (batch, channels, spatial) = layout.split_shape(input_shape);
        let srank = spatial.len();
        let check = |what: &str, len: usize| -> Result<()> {
            if len != srank {
                bail!(
                    ShapeMismatch,
                    "{what} has {len} entries but the input has {srank} spatial axes: give one per spatial axis"
                );
            }
            Ok(())
        };
        check("kernel", spec.kernel.len())?;
        let strides = spec.strides.clone().unwrap_or_else(|| spec.kernel.clone());
        check("strides", strides.len())?;
        let (begin, end) = match &spec.padding {
            Padding::Explicit { begin, end } => (
                if begin.is_empty() {
                    vec![0; srank]
                } else {
                    begin.clone()
                },
                if end.is_empty() {
                    vec![0; srank]
                } else {
                    end.clone()
                },
            ),
            Padding::Valid => (vec![0; srank], vec![0; srank]),
            other => bail!(
                InvalidParameter,
                "padding {other:?}: max-unpooling takes explicit pads only"
            ),
        };
        check("begin pads", begin.len())?;
        check("end pads", end.len())?;
        let out_spatial: Vec<usize> = match &spec.output_size {
            Some(size) if size.len() == rank => layout.split_shape(size).2.to_vec(),
            Some(size) => {
                check("output size", size.len())?;
                size.clone()
            }
            None => {
                let mut out = Vec::with_capacity(srank);
                for axis in 0..srank {
                    let (k, s) = (spec.kernel[axis], strides[axis]);
                    if k == 0 || s == 0 {
                        bail!(
                            InvalidParameter,
                            "kernel {k} / stride {s} on axis {axis}: kernel sizes and strides must be positive"
                        );
                    }
                    let full = spatial[axis]
                        .saturating_sub(1)
                        .checked_mul(s)
                        .and_then(|v| v.checked_add(k))
                        .ok_or_else(|| {
                            crate::error::Error::new(
                                crate::error::ErrorKind::Overflow,
                                format!("axis {axis}: unpooled size overflows usize"),
                            )
                        })?;
                    // Pads larger than any unpooled size leave nothing, however large.
                    let pads = begin[axis].saturating_add(end[axis]);
                    if full <= pads || spatial[axis] == 0 {
                        bail!(
                            EmptyOutput,
                            "axis {axis}: unpooled size ({}-1)*{s}+{k}-{}-{} is not positive",
                            spatial[axis],
                            begin[axis],
                            end[axis]
                        );
                    }
                    out.push(full - pads);
                }
                out
            }
        };
        if let Some(axis) = out_spatial.iter().position(|&d| d == 0) {
            bail!(
                EmptyOutput,
                "output size 0 on axis {axis}: unpooled extents must be positive"
            );
        }
        let output_shape = layout.full_shape(batch, channels, &out_spatial);
        checked_product(&output_shape, "output shape")?;
        Ok(UnpoolPlan {
            layout,
            input_shape: input_shape.to_vec(),
            output_shape,
        })
    }

    /// The layout of input, indices and output.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// The pooled input's full shape (also the indices' shape).
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    /// The unpooled output's full shape.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the never-panic property test: begin + end pads overflowed `usize`.
    #[test]
    fn huge_unpool_pads_are_an_error_not_an_overflow() {
        let spec = UnpoolSpec::new(&[1, 2]).padding(Padding::Explicit {
            begin: vec![2, 0],
            end: vec![usize::MAX, 0],
        });
        let err = UnpoolPlan::new(&spec, &[1, 1, 3, 3], Layout::ChannelsFirst).unwrap_err();
        assert!(err.message().contains("is not positive"), "{err}");
    }
}

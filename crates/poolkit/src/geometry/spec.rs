//! What a caller asks for: the reduction (max, average, Lp) and the region it reduces over
//! (a sliding window, the whole map, or an adaptive grid). Specs hold no shapes; a plan does.

use super::padding::Padding;

/// The geometry of a sliding window, shared by max, average and Lp pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    /// Kernel extent per spatial axis.
    pub kernel: Vec<usize>,
    /// Stride per axis; `None` means the kernel (PyTorch's default; ONNX's default is 1).
    pub strides: Option<Vec<usize>>,
    /// Dilation per axis; `None` means 1.
    pub dilations: Option<Vec<usize>>,
    /// Padding of the spatial axes.
    pub padding: Padding,
    /// Round the output size up instead of down (a last, partial window is kept).
    pub ceil_mode: bool,
}

impl WindowSpec {
    /// A window of `kernel`, stride = kernel, no dilation, no padding, floor mode.
    pub fn new(kernel: &[usize]) -> Self {
        WindowSpec {
            kernel: kernel.to_vec(),
            strides: None,
            dilations: None,
            padding: Padding::zero(),
            ceil_mode: false,
        }
    }

    /// Sets the strides.
    pub fn strides(mut self, strides: &[usize]) -> Self {
        self.strides = Some(strides.to_vec());
        self
    }

    /// Sets the dilations.
    pub fn dilations(mut self, dilations: &[usize]) -> Self {
        self.dilations = Some(dilations.to_vec());
        self
    }

    /// Sets the padding.
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// Sets ceil mode.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }
}

/// What a pooling window is reduced to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduction {
    /// The largest element; ties go to the first in row-major window order, NaN wins.
    Max,
    /// The mean.
    Avg {
        /// Count padding inside `[-pad_begin, in + pad_end)` in the divisor.
        count_include_pad: bool,
        /// Divide by this instead of the window's count (PyTorch's `divisor_override`).
        divisor_override: Option<usize>,
    },
    /// `(Σ |x|^p)^(1/p)` over the in-bounds elements.
    Lp {
        /// The norm's order, a finite float > 0.
        p: f64,
    },
}

/// The region each output reduces over.
#[derive(Debug, Clone, PartialEq)]
pub enum Region {
    /// A sliding window.
    Window(WindowSpec),
    /// Every spatial position at once: one output per (n, c).
    Global,
    /// PyTorch adaptive pooling to a requested spatial output size.
    Adaptive {
        /// Output extent per spatial axis.
        output_size: Vec<usize>,
    },
}

/// A complete pooling request without shapes: a reduction over a region.
///
/// Pooling has no learnable parameters: a spec is all there is to a pooling layer.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// What each window becomes.
    pub reduction: Reduction,
    /// Which inputs each output reads.
    pub region: Region,
}

impl PoolSpec {
    /// Max pooling over a sliding window.
    pub fn max(window: WindowSpec) -> Self {
        PoolSpec {
            reduction: Reduction::Max,
            region: Region::Window(window),
        }
    }

    /// Average pooling over a sliding window, padding excluded from the divisor.
    pub fn avg(window: WindowSpec) -> Self {
        PoolSpec {
            reduction: Reduction::Avg {
                count_include_pad: false,
                divisor_override: None,
            },
            region: Region::Window(window),
        }
    }

    /// Lp pooling over a sliding window.
    pub fn lp(window: WindowSpec, p: f64) -> Self {
        PoolSpec {
            reduction: Reduction::Lp { p },
            region: Region::Window(window),
        }
    }

    /// Global max pooling.
    pub fn global_max() -> Self {
        PoolSpec {
            reduction: Reduction::Max,
            region: Region::Global,
        }
    }

    /// Global average pooling.
    pub fn global_avg() -> Self {
        PoolSpec {
            reduction: Reduction::Avg {
                count_include_pad: false,
                divisor_override: None,
            },
            region: Region::Global,
        }
    }

    /// Global Lp pooling.
    pub fn global_lp(p: f64) -> Self {
        PoolSpec {
            reduction: Reduction::Lp { p },
            region: Region::Global,
        }
    }

    /// Adaptive max pooling to `output_size`.
    pub fn adaptive_max(output_size: &[usize]) -> Self {
        PoolSpec {
            reduction: Reduction::Max,
            region: Region::Adaptive {
                output_size: output_size.to_vec(),
            },
        }
    }

    /// Adaptive average pooling to `output_size`.
    pub fn adaptive_avg(output_size: &[usize]) -> Self {
        PoolSpec {
            reduction: Reduction::Avg {
                count_include_pad: false,
                divisor_override: None,
            },
            region: Region::Adaptive {
                output_size: output_size.to_vec(),
            },
        }
    }

    /// For average pooling: count padding in the divisor. No effect on other reductions.
    pub fn count_include_pad(mut self, include: bool) -> Self {
        if let Reduction::Avg {
            count_include_pad, ..
        } = &mut self.reduction
        {
            *count_include_pad = include;
        }
        self
    }

    /// For average pooling: divide by `divisor` always. No effect on other reductions.
    pub fn divisor_override(mut self, divisor: Option<usize>) -> Self {
        if let Reduction::Avg {
            divisor_override, ..
        } = &mut self.reduction
        {
            *divisor_override = divisor;
        }
        self
    }

    /// The number of spatial axes the spec names, if it names any (global specs fit any rank).
    pub fn spatial_rank(&self) -> Option<usize> {
        match &self.region {
            Region::Window(w) => Some(w.kernel.len()),
            Region::Global => None,
            Region::Adaptive { output_size } => Some(output_size.len()),
        }
    }
}

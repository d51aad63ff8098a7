//! What the kernels need of a plan, in a form they can trust without re-checking: one
//! window axis as plain numbers, raw source and destination pointers, divisors and the
//! index arithmetic of each convention.

use crate::geometry::{AxisMode, AxisPlan};
use crate::indices::{IndexConvention, StorageOrder};

/// One sliding-window axis: output `o` taps `o*stride - pad_begin + t*dilation`, `t < kernel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub input: usize,
    pub output: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_begin: usize,
    pub pad_end: usize,
}

impl Line {
    /// A window axis of a plan; `None` for adaptive axes.
    pub fn of(axis: &AxisPlan) -> Option<Line> {
        match axis.mode {
            AxisMode::Window {
                kernel,
                stride,
                dilation,
                pad_begin,
                pad_end,
            } => Some(Line {
                input: axis.input,
                output: axis.output,
                kernel,
                stride,
                dilation,
                pad_begin,
                pad_end,
            }),
            AxisMode::Adaptive => None,
        }
    }

    /// An axis of extent 1 pooled by a window of 1: how lower ranks pass as 3-D.
    pub const UNIT: Line = Line {
        input: 1,
        output: 1,
        kernel: 1,
        stride: 1,
        dilation: 1,
        pad_begin: 0,
        pad_end: 0,
    };

    /// Input position of output `o`'s first tap (negative inside the begin padding).
    #[inline(always)]
    pub fn start(&self, o: usize) -> isize {
        (o * self.stride) as isize - self.pad_begin as isize
    }

    /// The taps `t` of output `o` whose position lies in `[lo, hi)`.
    #[inline(always)]
    fn taps_within(&self, o: usize, lo: isize, hi: isize) -> (usize, usize) {
        let s = self.start(o);
        let d = self.dilation as isize;
        // Rows are set up per output row: no integer division for the common dilation 1.
        let (first, last) = if d == 1 {
            ((lo - s).max(0), (hi - s).max(0))
        } else {
            (
                if s < lo { (lo - s + d - 1) / d } else { 0 },
                if s < hi { (hi - 1 - s) / d + 1 } else { 0 },
            )
        };
        let first = first as usize;
        let end = (last as usize).min(self.kernel);
        (first, end.max(first))
    }

    /// The taps of output `o` inside the input: `first..end`.
    #[inline(always)]
    pub fn taps_in(&self, o: usize) -> (usize, usize) {
        self.taps_within(o, 0, self.input as isize)
    }

    /// The divisor factor of output `o`: taps inside the input, or with `include_pad`,
    /// inside `[-pad_begin, input + pad_end)` (the ceil-mode overhang never counts).
    #[inline(always)]
    pub fn count(&self, o: usize, include_pad: bool) -> usize {
        let (first, end) = if include_pad {
            self.taps_within(
                o,
                -(self.pad_begin as isize),
                (self.input + self.pad_end) as isize,
            )
        } else {
            self.taps_in(o)
        };
        end - first
    }

    /// Outputs `lo..hi` whose every tap lies inside the input (empty when `lo >= hi`).
    pub fn interior(&self) -> (usize, usize) {
        let lo = self.pad_begin.div_ceil(self.stride);
        let span = (self.kernel - 1) * self.dilation;
        let room = self.input as isize - 1 + self.pad_begin as isize - span as isize;
        let hi = if room < 0 {
            0
        } else {
            (room as usize / self.stride + 1).min(self.output)
        };
        (lo.min(self.output), hi.max(lo.min(self.output)))
    }

    /// True when every output's window is the whole axis: global pooling.
    pub fn is_whole(&self) -> bool {
        self.output == 1
            && self.pad_begin == 0
            && self.pad_end == 0
            && (self.kernel - 1) * self.dilation + 1 == self.input
            && (self.dilation == 1 || self.kernel == 1)
    }
}

/// One in-bounds tap of an output's window: where its row (channels-first) or its
/// channels (channels-last) start relative to the plane or batch item, and its part of
/// the argmax index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tap {
    pub offset: isize,
    pub term: i32,
}

/// How an average divides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mean {
    /// Always by this.
    Override(f64),
    /// By the number of taps counted by [`Line::count`].
    Count { include_pad: bool },
}

/// What a window is reduced to, as far as the kernels go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Max,
    Avg(Mean),
}

/// The flat index each convention gives spatial position `(d, h, w)` of plane `(n, c)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexMap {
    /// Weight of each spatial axis (D, H, W; unit axes weigh 0).
    pub weights: [i64; 3],
    /// Elements per plane.
    pub plane_len: i64,
    /// ONNX indices count whole planes before this one.
    pub whole_tensor: bool,
}

impl IndexMap {
    /// The map of `convention` for spatial extents `dhw` (unit axes padded to 1 in front).
    pub fn new(convention: IndexConvention, dhw: [usize; 3]) -> IndexMap {
        let [d, h, w] = dhw.map(|x| x as i64);
        let (weights, whole_tensor) = match convention {
            IndexConvention::Torch => ([h * w, w, 1], false),
            IndexConvention::Onnx(StorageOrder::RowMajor) => ([h * w, w, 1], true),
            // First spatial axis fastest; leading unit axes have extent 1 so their weight
            // never matters, and the real axes keep their column-major weights.
            IndexConvention::Onnx(StorageOrder::ColumnMajor) => ([1, d, d * h], true),
        };
        IndexMap {
            weights,
            plane_len: d * h * w,
            whole_tensor,
        }
    }

    /// The offset ONNX adds for plane `(n, c)` of a tensor with `channels` channels.
    #[inline(always)]
    pub fn plane_offset(&self, n: usize, c: usize, channels: usize) -> i64 {
        if self.whole_tensor {
            (n * channels + c) as i64 * self.plane_len
        } else {
            0
        }
    }

    /// The index offset between neighbouring channels (channels-last lanes).
    #[inline(always)]
    pub fn channel_step(&self) -> i64 {
        if self.whole_tensor {
            self.plane_len
        } else {
            0
        }
    }
}

/// What every forward kernel shares: the input's (n, c) planes, what a window reduces
/// to, and where results go.
#[derive(Debug)]
pub(crate) struct Planes<T> {
    /// Element `[0, 0, ...]` of the input.
    pub src: Src<T>,
    pub batch: usize,
    pub channels: usize,
    pub batch_stride: isize,
    /// 1 channels-last: channels are the unit-stride axis there.
    pub channel_stride: isize,
    pub kind: Kind,
    /// The contiguous output, in the layout's order.
    pub out: Dst<T>,
    pub indices: Option<Dst<i64>>,
    pub index_map: IndexMap,
    /// Outputs too large for the caches: streaming stores.
    pub stream: bool,
    /// Elements read and written in all.
    pub elements: usize,
}

impl<T> Clone for Planes<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Planes<T> {}

impl<T> Planes<T> {
    /// Where plane `(n, c)` starts (channels-first: all of it; channels-last: its first
    /// element).
    #[inline(always)]
    pub fn plane(&self, n: usize, c: usize) -> *const T {
        let offset = n as isize * self.batch_stride + c as isize * self.channel_stride;
        self.src.0.wrapping_offset(offset)
    }

    /// `(n, c)` of plane number `p`, counted batch-major.
    #[inline(always)]
    pub fn split(&self, p: usize) -> (usize, usize) {
        (p / self.channels, p % self.channels)
    }
}

/// A read-only pointer the kernels share between threads.
#[derive(Debug)]
pub(crate) struct Src<T>(pub *const T);

/// A pointer to an output the kernels' threads write in disjoint parts.
#[derive(Debug)]
pub(crate) struct Dst<T>(pub *mut T);

impl<T> Clone for Src<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Src<T> {}
impl<T> Clone for Dst<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Dst<T> {}

// SAFETY: `Src` only reads memory the caller keeps borrowed and unchanged for the call.
unsafe impl<T: Sync> Send for Src<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Src<T> {}
// SAFETY: every thread writes a disjoint set of elements (each kernel's task split).
unsafe impl<T: Send> Send for Dst<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Dst<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        input: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        pb: usize,
        pe: usize,
    ) -> Line {
        Line {
            input,
            output: (input + pb + pe - ((kernel - 1) * dilation + 1)) / stride + 1,
            kernel,
            stride,
            dilation,
            pad_begin: pb,
            pad_end: pe,
        }
    }

    #[test]
    fn taps_clip_to_input() {
        let l = line(112, 3, 2, 1, 1, 1);
        assert_eq!(l.output, 56);
        assert_eq!(l.taps_in(0), (1, 3));
        assert_eq!(l.taps_in(55), (0, 3));
        assert_eq!(l.count(0, true), 3);
        assert_eq!(l.count(0, false), 2);
        assert_eq!(l.interior(), (1, 56));
        let d = line(10, 3, 1, 3, 3, 3);
        assert_eq!(d.taps_in(0), (1, 3));
        assert_eq!(d.interior(), (3, 7));
    }

    #[test]
    fn interior_is_empty_when_no_window_fits_inside() {
        let l = line(2, 3, 1, 1, 1, 1);
        let (lo, hi) = l.interior();
        assert!(lo >= hi);
    }
}

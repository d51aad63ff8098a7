//! One spatial axis of a plan: where each output's window starts, which inputs it taps,
//! and how many of them an average divides by.

use crate::error::{bail, Error, ErrorKind, GeometryRule, Result};

/// The largest extent (input, padding, effective kernel) on one axis: positions stay far
/// from `isize` overflow even after padding and striding are added (2^48 on 64-bit
/// targets, 2^28 on 32-bit ones such as wasm32, where four extents still fit in `isize`).
pub const MAX_EXTENT: usize = if usize::BITS >= 64 { 1 << 48 } else { 1 << 28 };

/// Windows checked one by one when dilation exceeds the input (see `resolve_window`).
const MAX_STRADDLE_CHECKED_WINDOWS: usize = 1 << 20;

/// How an axis maps outputs to input windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AxisMode {
    /// A sliding window: output `o` taps `o*stride - pad_begin + t*dilation` for `t < kernel`.
    Window {
        kernel: usize,
        stride: usize,
        dilation: usize,
        pad_begin: usize,
        pad_end: usize,
    },
    /// PyTorch adaptive pooling: output `o` covers `[floor(o*in/out), ceil((o+1)*in/out))`.
    Adaptive,
}

/// A resolved spatial axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AxisPlan {
    /// Input extent.
    pub input: usize,
    /// Output extent.
    pub output: usize,
    /// The mapping from outputs to windows.
    pub mode: AxisMode,
}

/// The unclipped window of one output on one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisWindow {
    /// Input position of the first tap; negative inside the begin padding.
    pub start: isize,
    /// Number of taps.
    pub taps: usize,
    /// Distance between taps.
    pub dilation: usize,
}

impl AxisWindow {
    /// Input position of tap `t`.
    #[inline]
    pub fn tap(&self, t: usize) -> isize {
        self.start + (t * self.dilation) as isize
    }
}

/// What the caller asked for on one axis, before resolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisRequest {
    pub axis: usize,
    pub input: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pads: AxisPads,
    pub ceil_mode: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum AxisPads {
    Explicit(usize, usize),
    SameUpper,
    SameLower,
}

impl AxisPlan {
    /// Resolves a sliding-window axis: output size and the padding actually used.
    pub(crate) fn resolve_window(r: AxisRequest) -> Result<AxisPlan> {
        let AxisRequest {
            axis,
            input,
            kernel,
            stride,
            dilation,
            ..
        } = r;
        if kernel == 0 {
            bail!(
                InvalidParameter,
                "kernel 0 on axis {axis}: kernel sizes must be positive"
            );
        }
        if stride == 0 {
            bail!(
                InvalidParameter,
                "stride 0 on axis {axis}: strides must be positive"
            );
        }
        if dilation == 0 {
            bail!(
                InvalidParameter,
                "dilation 0 on axis {axis}: dilations must be positive"
            );
        }
        // A single tap never uses its dilation (PyTorch and ONNX Runtime accept any).
        let dilation = if kernel == 1 { 1 } else { dilation };
        // An effective kernel past usize is longer than any input: saturating keeps it so.
        let exact_span = (kernel - 1)
            .checked_mul(dilation)
            .and_then(|v| v.checked_add(1));
        let span = exact_span.unwrap_or(usize::MAX);
        let span_text = exact_span.map_or(format!("more than {}", usize::MAX), |s| s.to_string());
        if input > MAX_EXTENT {
            bail!(
                Overflow,
                "axis {axis}: input {input} exceeds {MAX_EXTENT}, the largest extent poolkit indexes"
            );
        }
        let (output, pad_begin, pad_end) = match r.pads {
            AxisPads::Explicit(pb, pe) => {
                let padded = input
                    .checked_add(pb)
                    .and_then(|v| v.checked_add(pe))
                    .ok_or_else(|| overflow(axis, "padded input"))?;
                // PyTorch's and ONNX's rule, in signed arithmetic: floor or ceil of
                // (padded - span) / stride, plus one. In ceil mode a window may overhang the
                // padded input by up to stride - 1 elements, even the first one.
                let slack = if r.ceil_mode { stride - 1 } else { 0 };
                if padded.saturating_add(slack) < span {
                    let rule = if r.ceil_mode {
                        format!(
                            "; ceil mode lets a window overhang by at most stride-1 = {slack}, \
                             and this one would overhang by {}",
                            span - padded
                        )
                    } else {
                        String::new()
                    };
                    return Err(Error::new(
                        ErrorKind::EmptyOutput,
                        format!(
                            "axis {axis}: padded input {input}+{pb}+{pe} = {padded} is smaller than \
                             the effective kernel (kernel-1)*dilation+1 = ({kernel}-1)*{dilation}+1 \
                             = {span_text}, so no window fits{rule}"
                        ),
                    )
                    .on_axis(axis, GeometryRule::NoWindowFits));
                }
                let mut out = (padded.saturating_add(slack) - span) / stride + 1;
                // A ceil-mode window that would start inside the end padding is dropped.
                if r.ceil_mode && (out - 1) * stride >= input + pb {
                    out -= 1;
                }
                (out, pb, pe)
            }
            AxisPads::SameUpper | AxisPads::SameLower => {
                let out = input.div_ceil(stride);
                let needed = (out.max(1) - 1)
                    .checked_mul(stride)
                    .and_then(|v| v.checked_add(span))
                    .ok_or_else(|| overflow(axis, "SAME padding"))?;
                let total = needed.saturating_sub(input);
                let small = total / 2;
                let large = total - small;
                match r.pads {
                    AxisPads::SameUpper => (out, small, large),
                    _ => (out, large, small),
                }
            }
        };
        if output == 0 {
            bail!(EmptyOutput, "axis {axis}: input extent 0 leaves no output");
        }
        // A stride that leaves room for one window only is never used (both peers accept any).
        let stride = if output == 1 {
            stride.min(MAX_EXTENT)
        } else {
            stride
        };
        if stride > MAX_EXTENT || dilation > MAX_EXTENT || span > MAX_EXTENT {
            bail!(
                Overflow,
                "axis {axis}: stride {stride}, dilation {dilation} or effective kernel {span} \
                 exceeds {MAX_EXTENT}, the largest extent poolkit indexes"
            );
        }
        if pad_begin > MAX_EXTENT || pad_end > MAX_EXTENT {
            bail!(
                Overflow,
                "axis {axis}: padding {pad_begin}/{pad_end} exceeds {MAX_EXTENT}, the largest extent \
                 poolkit indexes"
            );
        }
        let plan = AxisPlan {
            input,
            output,
            mode: AxisMode::Window {
                kernel,
                stride,
                dilation,
                pad_begin,
                pad_end,
            },
        };
        for o in [0, output - 1] {
            if plan.in_bounds_taps(o) == 0 {
                let w = plan.window(o);
                let message = format!(
                    "axis {axis}: output {o}'s window (taps at {}..={} step {dilation}) lies wholly \
                     in padding: padding must leave every window at least one input element",
                    w.start,
                    w.tap(kernel - 1)
                );
                let rule = GeometryRule::WindowInPadding {
                    before: w.start < 0,
                };
                return Err(Error::new(ErrorKind::EmptyOutput, message).on_axis(axis, rule));
            }
        }
        if dilation > input {
            // Taps farther apart than the input is long can straddle it: a window in the
            // middle may skip every input element. Checking costs one step per window.
            if output > MAX_STRADDLE_CHECKED_WINDOWS {
                bail!(
                    Overflow,
                    "axis {axis}: dilation {dilation} exceeds the input extent {input} with {output} \
                     windows; such geometries are limited to {MAX_STRADDLE_CHECKED_WINDOWS} windows"
                );
            }
            if let Some(o) = (0..output).find(|&o| plan.in_bounds_taps(o) == 0) {
                let w = plan.window(o);
                let message = format!(
                    "axis {axis}: output {o}'s window (taps at {}..={} step {dilation}) has no tap \
                     inside the input: padding must leave every window at least one input element",
                    w.start,
                    w.tap(kernel - 1)
                );
                let rule = GeometryRule::NoTapInside;
                return Err(Error::new(ErrorKind::EmptyOutput, message).on_axis(axis, rule));
            }
        }
        Ok(plan)
    }

    /// Resolves an adaptive axis.
    pub(crate) fn resolve_adaptive(axis: usize, input: usize, output: usize) -> Result<AxisPlan> {
        if output == 0 {
            bail!(
                InvalidParameter,
                "output size 0 on axis {axis}: adaptive output sizes must be positive"
            );
        }
        if input == 0 {
            bail!(
                EmptyOutput,
                "axis {axis}: adaptive pooling of an empty axis has no values to pool"
            );
        }
        input
            .checked_mul(output)
            .ok_or_else(|| overflow(axis, "adaptive window bounds"))?;
        Ok(AxisPlan {
            input,
            output,
            mode: AxisMode::Adaptive,
        })
    }

    /// Resolves a global axis: one window spanning the whole input.
    pub(crate) fn resolve_global(axis: usize, input: usize) -> Result<AxisPlan> {
        if input == 0 {
            bail!(
                EmptyOutput,
                "axis {axis}: global pooling of an empty axis has no values to pool"
            );
        }
        Ok(AxisPlan {
            input,
            output: 1,
            mode: AxisMode::Window {
                kernel: input,
                stride: 1,
                dilation: 1,
                pad_begin: 0,
                pad_end: 0,
            },
        })
    }

    /// The unclipped window of output `o`.
    #[inline]
    pub fn window(&self, o: usize) -> AxisWindow {
        match self.mode {
            AxisMode::Window {
                kernel,
                stride,
                dilation,
                pad_begin,
                ..
            } => AxisWindow {
                start: (o * stride) as isize - pad_begin as isize,
                taps: kernel,
                dilation,
            },
            AxisMode::Adaptive => {
                let start = o * self.input / self.output;
                let end = ((o + 1) * self.input).div_ceil(self.output);
                AxisWindow {
                    start: start as isize,
                    taps: end - start,
                    dilation: 1,
                }
            }
        }
    }

    /// The tap numbers `t` of output `o` whose position lies in `[lo, hi)`, computed in
    /// O(1) so that huge kernels cost nothing to plan.
    fn taps_within(&self, o: usize, lo: isize, hi: isize) -> std::ops::Range<usize> {
        let w = self.window(o);
        if w.taps == 0 || hi <= lo {
            return 0..0;
        }
        let d = w.dilation as i128;
        let (start, lo, hi) = (w.start as i128, lo as i128, hi as i128);
        // First t with start + t*d >= lo, last t with start + t*d <= hi - 1.
        let first = if start >= lo {
            0
        } else {
            (lo - start + d - 1) / d
        };
        if start > hi - 1 {
            return 0..0;
        }
        let last = ((hi - 1 - start) / d).min(w.taps as i128 - 1);
        if first > last {
            return 0..0;
        }
        first as usize..last as usize + 1
    }

    /// Input positions read by output `o`, in increasing order.
    pub fn taps(&self, o: usize) -> impl Iterator<Item = usize> {
        let w = self.window(o);
        self.taps_within(o, 0, self.input as isize)
            .map(move |t| w.tap(t) as usize)
    }

    /// Number of input positions read by output `o`.
    pub fn in_bounds_taps(&self, o: usize) -> usize {
        self.taps_within(o, 0, self.input as isize).len()
    }

    /// Number of taps of output `o` inside `[-pad_begin, input + pad_end)`: the divisor
    /// factor of `count_include_pad` (the ceil-mode overhang past the end padding never counts).
    pub fn padded_taps(&self, o: usize) -> usize {
        let (pad_begin, pad_end) = self.pads();
        let hi = self.input.saturating_add(pad_end).min(isize::MAX as usize) as isize;
        self.taps_within(o, -(pad_begin.min(isize::MAX as usize) as isize), hi)
            .len()
    }

    /// `(pad_begin, pad_end)` for window axes, zeros for adaptive ones.
    pub fn pads(&self) -> (usize, usize) {
        match self.mode {
            AxisMode::Window {
                pad_begin, pad_end, ..
            } => (pad_begin, pad_end),
            AxisMode::Adaptive => (0, 0),
        }
    }
}

fn overflow(axis: usize, what: &str) -> crate::error::Error {
    crate::error::Error::new(
        crate::error::ErrorKind::Overflow,
        format!("axis {axis}: {what} overflows usize"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(
        input: usize,
        k: usize,
        s: usize,
        d: usize,
        pb: usize,
        pe: usize,
        ceil: bool,
    ) -> Result<AxisPlan> {
        AxisPlan::resolve_window(AxisRequest {
            axis: 0,
            input,
            kernel: k,
            stride: s,
            dilation: d,
            pads: AxisPads::Explicit(pb, pe),
            ceil_mode: ceil,
        })
    }

    fn same(input: usize, k: usize, s: usize, d: usize, upper: bool) -> AxisPlan {
        AxisPlan::resolve_window(AxisRequest {
            axis: 0,
            input,
            kernel: k,
            stride: s,
            dilation: d,
            pads: if upper {
                AxisPads::SameUpper
            } else {
                AxisPads::SameLower
            },
            ceil_mode: false,
        })
        .unwrap()
    }

    #[test]
    fn output_sizes_table() {
        // (input, kernel, stride, dilation, pad_begin, pad_end, ceil) -> output
        let table = [
            ((6, 2, 2, 1, 0, 0, false), 3),
            ((14, 2, 2, 1, 0, 0, false), 7),
            ((112, 3, 2, 1, 1, 1, false), 56),
            ((5, 2, 2, 1, 0, 0, false), 2),
            ((5, 2, 2, 1, 0, 0, true), 3),
            ((4, 3, 2, 1, 0, 0, true), 2),
            ((32, 2, 2, 2, 0, 0, false), 15),
        ];
        for ((i, k, s, d, pb, pe, c), want) in table {
            assert_eq!(
                window(i, k, s, d, pb, pe, c).unwrap().output,
                want,
                "{:?}",
                (i, k, s, d, pb, pe, c)
            );
        }
    }

    #[test]
    fn ceil_mode_last_window_starting_in_padding_is_dropped() {
        // in 5, k 2, s 2, pad 1/1: ceil((5+2-2)/2)+1 = 4, but window 3 starts at 6-1 = 5 >= in.
        assert_eq!(window(5, 2, 2, 1, 1, 1, true).unwrap().output, 3);
    }

    #[test]
    fn same_padding_puts_odd_pixel_by_mode() {
        let up = same(5, 2, 1, 1, true);
        assert_eq!((up.output, up.pads()), (5, (0, 1)));
        let low = same(5, 2, 1, 1, false);
        assert_eq!((low.output, low.pads()), (5, (1, 0)));
        // Dilation enters the total: k 3, d 2 -> span 5, in 7, s 2 -> out 4, total (3*2+5)-7 = 4.
        assert_eq!(same(7, 3, 2, 2, true).pads(), (2, 2));
    }

    #[test]
    fn count_include_pad_excludes_ceil_overhang() {
        let a = window(5, 3, 2, 1, 1, 1, true).unwrap();
        assert_eq!(a.output, 3);
        assert_eq!(a.padded_taps(0), 3);
        // last window taps 3,4,5: 5 is the end padding (counts); nothing past it.
        assert_eq!(a.padded_taps(2), 3);
        let b = window(6, 3, 2, 1, 0, 0, true).unwrap();
        // taps 4,5,6: 6 is overhang, never counted.
        assert_eq!((b.output, b.padded_taps(2), b.in_bounds_taps(2)), (3, 2, 2));
    }

    #[test]
    fn adaptive_windows_follow_pytorch() {
        let a = AxisPlan::resolve_adaptive(0, 10, 3).unwrap();
        let spans: Vec<_> = (0..3).map(|o| a.taps(o).collect::<Vec<_>>()).collect();
        assert_eq!(
            spans,
            vec![vec![0, 1, 2, 3], vec![3, 4, 5, 6], vec![6, 7, 8, 9]]
        );
    }

    #[test]
    fn errors_name_value_and_rule() {
        assert_eq!(
            window(4, 2, 0, 1, 0, 0, false).unwrap_err().message(),
            "stride 0 on axis 0: strides must be positive"
        );
        let err = window(1, 3, 1, 1, 0, 0, false).unwrap_err();
        assert!(err.message().contains("no window fits"));
        assert_eq!(err.geometry(), Some((0, GeometryRule::NoWindowFits)));
        let err = window(4, 2, 1, 1, 3, 0, false).unwrap_err();
        assert!(err.message().contains("wholly in padding"));
        let before = GeometryRule::WindowInPadding { before: true };
        assert_eq!(err.geometry(), Some((0, before)));
    }

    /// Found by fuzzing (`plan` target): counting taps one by one made planning a
    /// u32::MAX-wide SAME window take minutes.
    #[test]
    fn huge_kernel_same_padding_plans_without_iterating_taps() {
        let a = AxisPlan::resolve_window(AxisRequest {
            axis: 0,
            input: 8,
            kernel: u32::MAX as usize,
            stride: u32::MAX as usize,
            dilation: 1,
            pads: AxisPads::SameUpper,
            ceil_mode: false,
        })
        .unwrap();
        assert_eq!((a.output, a.in_bounds_taps(0)), (1, 8));
        assert_eq!(a.padded_taps(0), u32::MAX as usize);
    }

    #[test]
    fn dilation_straddling_the_input_is_refused() {
        // in 2, k 2, d 5, pads 3/3: window 0 taps -3, 2 (both outside [0,2)).
        let err = window(2, 2, 1, 5, 3, 3, false).unwrap_err();
        assert!(
            err.message().contains("no tap inside the input")
                || err.message().contains("wholly in padding"),
            "{err}"
        );
    }

    /// Found by fuzzing (`plan` target): a kernel of 1 with dilation 2^63 passed planning,
    /// and the kernels' dilation × input-stride step overflowed. A single tap now ignores its
    /// dilation, and a stride that leaves room for one window is never used, as in PyTorch
    /// and ONNX Runtime: both plan as their small equivalents.
    #[test]
    fn huge_dilation_or_stride_plans_as_its_small_equivalent() {
        let one_tap = window(4, 1, 1, (usize::MAX >> 1) + 1, 0, 0, false).unwrap();
        assert_eq!(one_tap, window(4, 1, 1, 1, 0, 0, false).unwrap());
        let one_window = window(4, 2, usize::MAX, 1, 0, 0, false).unwrap();
        assert_eq!(
            one_window,
            window(4, 2, MAX_EXTENT, 1, 0, 0, false).unwrap()
        );
        assert_eq!(one_window.output, 1);
        let err = window(4, 2, 1, usize::MAX, 0, 0, false).unwrap_err();
        assert!(err.message().contains("no window fits"), "{err}");
    }
}

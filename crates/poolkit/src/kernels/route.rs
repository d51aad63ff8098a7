//! Which kernel family runs a prepared forward call: the public [`Route`], and the rule
//! that chooses it from a plan flattened to three spatial axes.
//!
//! Covered: max and average over sliding windows and global regions, 1-, 2- and 3-D,
//! both layouts, any element type (SIMD as `kernels` lists). Left to the reference: Lp
//! pooling, adaptive regions, empty tensors, argmax of planes too large for 32-bit index
//! terms, and views whose innermost axis (W channels-first, C channels-last) is strided.

use super::framed::Framed;
use super::geom::Line;
use super::small;
use crate::element::Element;
use crate::tensor::Layout;
use std::fmt;

/// The code that runs a forward call, as [`PreparedPool::route`](crate::PreparedPool::route)
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `poolkit::reference`: Lp, adaptive regions, empty tensors, strided rows.
    Reference,
    /// Plain loops on the calling thread for calls of a few thousand taps (automatic
    /// parallelism only), such as the seed's 6×6 grid.
    Tiny,
    /// Global pooling of channels-first planes.
    Global,
    /// Global pooling of channels-last items, without indices.
    GlobalChannelsLast,
    /// Large channels-first windows: a sliding max per dilation phase, prefix sums for
    /// averages.
    Sliding,
    /// Channels-first windows whose rows have a border, through padded row frames.
    Framed,
    /// Channels-first windows, vectorised along W.
    ChannelsFirst,
    /// Channels-last windows, vectorised along C.
    ChannelsLast,
}

impl Route {
    /// Every route, in declaration order.
    pub const ALL: [Route; 8] = [
        Route::Reference,
        Route::Tiny,
        Route::Global,
        Route::GlobalChannelsLast,
        Route::Sliding,
        Route::Framed,
        Route::ChannelsFirst,
        Route::ChannelsLast,
    ];

    /// The route's name in reports: `"reference"`, `"tiny"`, `"global"`,
    /// `"global-channels-last"`, `"sliding"`, `"framed"`, `"channels-first"`,
    /// `"channels-last"`.
    pub fn name(self) -> &'static str {
        match self {
            Route::Reference => "reference",
            Route::Tiny => "tiny",
            Route::Global => "global",
            Route::GlobalChannelsLast => "global-channels-last",
            Route::Sliding => "sliding",
            Route::Framed => "framed",
            Route::ChannelsFirst => "channels-first",
            Route::ChannelsLast => "channels-last",
        }
    }

    /// True for the fast kernels, false for the reference.
    pub fn is_fast(self) -> bool {
        self != Route::Reference
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel family for windows `lines` (D, H, W) in `layout`, with or without indices;
/// `tiny` when the call is small enough for the plain loops.
pub(crate) fn choose<T: Element>(
    lines: &[Line; 3],
    layout: Layout,
    indices: bool,
    tiny: bool,
) -> Route {
    match layout {
        _ if tiny => Route::Tiny,
        Layout::ChannelsFirst if lines.iter().all(Line::is_whole) => Route::Global,
        Layout::ChannelsFirst if !indices && prefers_sliding(lines) => Route::Sliding,
        Layout::ChannelsFirst
            if !indices && lines[0] == Line::UNIT && Framed::<T>::suits(&lines[1], &lines[2]) =>
        {
            Route::Framed
        }
        Layout::ChannelsFirst => Route::ChannelsFirst,
        Layout::ChannelsLast if !indices && lines.iter().all(Line::is_whole) => {
            Route::GlobalChannelsLast
        }
        Layout::ChannelsLast => Route::ChannelsLast,
    }
}

/// True when a call of `outputs` outputs over windows `lines` is small enough for the
/// tiny loops (only chosen under automatic parallelism).
pub(crate) fn is_tiny(lines: &[Line; 3], outputs: usize) -> bool {
    let taps: usize = lines.iter().map(|l| l.kernel.min(l.input)).product();
    outputs.saturating_mul(taps) <= small::MAX_TAPS
}

/// True when the separable sliding passes cost less than visiting every tap: 2-D or 1-D
/// windows of many taps.
fn prefers_sliding(lines: &[Line; 3]) -> bool {
    let [d, h, w] = lines;
    // Its scratch grows with the kernel: only for kernels within the input.
    if d.output != 1 || d.kernel != 1 || h.kernel > h.input || w.kernel > w.input {
        return false;
    }
    let [ho, wo, hk, wk] = [h.output, w.output, h.kernel, w.kernel].map(|v| v as f64);
    let [hi, wi, hd, wd] = [h.input, w.input, h.dilation, w.dilation].map(|v| v as f64);
    let direct = ho * wo * hk * wk;
    let sliding = 3.0 * hi * (wi + wd * wk) + 3.0 * (hi + hd * hk) * wo;
    hk * wk >= 16.0 && direct > 2.0 * sliding
}

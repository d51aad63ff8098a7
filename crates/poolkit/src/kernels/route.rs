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
use crate::geometry::{Padding, PoolSpec, WindowSpec};
use crate::tensor::Layout;
use std::fmt;

/// The kernel table: each route's variant, name, what it covers, the kernel family that
/// runs it and a geometry that takes it. It generates [`Route`], [`Route::ALL`],
/// [`Route::name`], the dispatch ([`Families`], [`Route::launch`]: a route without a
/// kernel does not compile) and [`Route::example`], the case the test matrix runs on every
/// route, instruction set and element type.
macro_rules! routes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $run:ident, $example:expr;)*) => {
        /// One method per row of the kernel table: what running a job on that route means.
        pub(crate) trait Families {
            $(
                #[doc = concat!("Runs the job on the `", $name, "` route.")]
                fn $run(&self);
            )*
        }

        /// The code that runs a forward call, as
        /// [`PreparedPool::route`](crate::PreparedPool::route) reports it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Route {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Route {
            /// Every route, in the table's order.
            pub const ALL: &'static [Route] = &[$(Route::$variant),*];

            /// The route's name in reports (`"channels-first"`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(Route::$variant => $name,)*
                }
            }

            /// Runs `families`' kernel for this route.
            pub(crate) fn launch(self, families: &impl Families) {
                match self {
                    $(Route::$variant => families.$run(),)*
                }
            }

            /// A call that takes this route: the test matrix's case for it.
            #[doc(hidden)]
            pub fn example(self) -> RouteExample {
                match self {
                    $(Route::$variant => $example,)*
                }
            }
        }
    };
}

routes! {
    /// `poolkit::reference`: Lp, adaptive regions, empty tensors, strided rows.
    Reference = "reference", reference, example(PoolSpec::adaptive_avg(&[3, 3]), &[2, 3, 8, 8], CF, false);
    /// Plain loops on the calling thread for calls of a few thousand taps (automatic
    /// parallelism only), such as the seed's 6×6 grid.
    Tiny = "tiny", tiny, RouteExample {
        threads: None,
        ..example(PoolSpec::max(window(2, 2, 0)), &[1, 1, 6, 6], CF, true)
    };
    /// Global pooling of channels-first planes.
    Global = "global", global, example(PoolSpec::global_avg(), &[2, 3, 8, 8], CF, false);
    /// Global pooling of channels-last items, without indices.
    GlobalChannelsLast = "global-channels-last", global_channels_last,
        example(PoolSpec::global_max(), &[2, 7, 7, 19], CL, false);
    /// Large channels-first windows: a sliding max per dilation phase, prefix sums for
    /// averages.
    Sliding = "sliding", sliding, example(
        PoolSpec::max(WindowSpec::new(&[6, 7]).strides(&[1, 1]).dilations(&[3, 3])),
        &[1, 2, 40, 50],
        CF,
        false,
    );
    /// Channels-first windows whose rows have a border, through padded row frames.
    Framed = "framed", framed, example(PoolSpec::max(window(3, 2, 1)), &[2, 3, 41, 40], CF, false);
    /// Channels-first windows, vectorised along W.
    ChannelsFirst = "channels-first", channels_first,
        example(PoolSpec::max(window(3, 2, 1)), &[2, 3, 41, 40], CF, true);
    /// Channels-last windows, vectorised along C.
    ChannelsLast = "channels-last", channels_last,
        example(PoolSpec::avg(window(2, 2, 0)), &[2, 9, 8, 37], CL, false);
}

/// A call of one route in the kernel table.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct RouteExample {
    pub spec: PoolSpec,
    pub shape: Vec<usize>,
    pub layout: Layout,
    pub with_indices: bool,
    /// `None` for automatic parallelism, else this many threads.
    pub threads: Option<usize>,
}

const CF: Layout = Layout::ChannelsFirst;
const CL: Layout = Layout::ChannelsLast;

fn example(spec: PoolSpec, shape: &[usize], layout: Layout, with_indices: bool) -> RouteExample {
    RouteExample {
        spec,
        shape: shape.to_vec(),
        layout,
        with_indices,
        threads: Some(2),
    }
}

/// A square 2-D window of `kernel`, `stride` and symmetric `pad`.
fn window(kernel: usize, stride: usize, pad: usize) -> WindowSpec {
    WindowSpec::new(&[kernel, kernel])
        .strides(&[stride, stride])
        .padding(Padding::symmetric(&[pad, pad]))
}

impl Route {
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

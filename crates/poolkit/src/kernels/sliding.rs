//! Large windows at a cost that does not grow with the kernel: separable passes (along W,
//! then down H), each a sliding-window max (van Herk / Gil-Werman) or a difference of
//! prefix sums, run once per dilation phase.
//!
//! Max: the taps of a dilated window are consecutive elements of one phase sequence, cut
//! into blocks of `kernel`; a window is the suffix-max of one block joined with the
//! prefix-max of the next. Every join keeps window order, so the value is the reference's
//! (first NaN, else first maximum), bit for bit. Padding is `LOWEST`, which never
//! replaces a real value. Values only: argmax goes through the direct kernel.
//!
//! Average: prefix sums in f64 per phase, window sum = difference of two prefixes. Exact
//! (so equal to the reference) while the partial sums fit f64's 53 bits; otherwise within
//! 2^-52 × Σ|x| of it. NaN and infinities are counted beside the sums, so they reach
//! exactly the windows that hold them (a NaN's payload may differ from the reference's).

use super::geom::{Dst, Kind, Line, Mean, Planes};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes};
use crate::element::Element;
use std::ops::Range;

/// The outputs of one dilation phase: `(output, i)` where the window's first tap is
/// element `i` of the phase sequence, which starts at phase position `first`.
#[derive(Debug, Clone)]
pub(crate) struct Phase {
    phase: usize,
    first: isize,
    len: usize,
    outputs: Vec<(usize, usize)>,
}

/// Groups the outputs of `line` by dilation phase.
pub(crate) fn phases(line: &Line) -> Vec<Phase> {
    let d = line.dilation as isize;
    let mut by_phase: Vec<Vec<(usize, isize)>> = vec![Vec::new(); line.dilation];
    for o in 0..line.output {
        let s = line.start(o);
        let phase = s.rem_euclid(d);
        by_phase[phase as usize].push((o, (s - phase) / d));
    }
    by_phase
        .into_iter()
        .enumerate()
        .filter(|(_, outs)| !outs.is_empty())
        .map(|(phase, outs)| {
            let first = outs[0].1;
            let last = outs[outs.len() - 1].1 + line.kernel as isize - 1;
            Phase {
                phase,
                first,
                len: (last - first + 1) as usize,
                outputs: outs
                    .iter()
                    .map(|&(o, j)| (o, (j - first) as usize))
                    .collect(),
            }
        })
        .collect()
}

/// The reference's max of two in window order.
#[inline(always)]
fn join<T: Element>(earlier: T, later: T) -> T {
    if takes_over(earlier, later) {
        later
    } else {
        earlier
    }
}

/// Separable large-window pooling of an `[N, C, H, W]` view (W has stride 1).
pub(crate) struct Sliding<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    pub row_stride: isize,
    pub plane_count: usize,
    pub h: Line,
    pub w: Line,
    pub h_phases: Vec<Phase>,
    pub w_phases: Vec<Phase>,
}

/// Columns per vertical task: keeps the vertical scratch in L2.
pub(crate) const STRIP: usize = 64;

/// The horizontal results of one plane: `[H, OW]`, values (max) or sums (average).
pub(crate) enum Across<T> {
    Max(Vec<T>),
    Sum(Vec<f64>),
}

impl<T: Element> Sliding<T> {
    /// A zeroed intermediate for one plane.
    pub fn across(&self) -> Across<T> {
        let len = self.h.input * self.w.output;
        match self.planes.kind {
            Kind::Max => Across::Max(vec![T::LOWEST; len]),
            Kind::Avg(_) => Across::Sum(vec![0.0; len]),
        }
    }

    fn plane_src(&self, plane: usize) -> *const T {
        let (n, c) = self.planes.split(plane);
        self.planes.plane(n, c)
    }

    /// Input row `h` of `plane` along W into `out[0..OW]`.
    ///
    /// # Safety
    /// `plane < planes` and `h < H`.
    #[inline(always)]
    unsafe fn along_w(&self, plane: usize, h: usize, out: AcrossDst<T>, scratch: &mut Scratch<T>) {
        let row = self
            .plane_src(plane)
            .wrapping_offset(h as isize * self.row_stride);
        let w = &self.w;
        let at = |p: isize| -> Option<T> {
            // SAFETY: `p` is checked against the row; the caller guarantees the row.
            (p >= 0 && p < w.input as isize).then(|| unsafe { *row.offset(p) })
        };
        for ph in &self.w_phases {
            let pos = |i: usize| ph.phase as isize + (ph.first + i as isize) * w.dilation as isize;
            match out {
                AcrossDst::Max(out_row) => {
                    let out_row = out_row.0;
                    let (g, b) = scratch.blocks(ph.len);
                    slide_max(
                        ph,
                        w.kernel,
                        |i| at(pos(i)).unwrap_or(T::LOWEST),
                        g,
                        b,
                        |o, v| {
                            // SAFETY: `o < OW`, inside this row of the intermediate.
                            unsafe { out_row.add(o).write(v) }
                        },
                    );
                }
                AcrossDst::Sum(out_row) => {
                    let out_row = out_row.0;
                    let (prefix, special) = scratch.prefix(ph.len + 1);
                    for i in 0..ph.len {
                        let (v, s) = classify(at(pos(i)).map_or(0.0, |v| v.to_f64()));
                        prefix[i + 1] = prefix[i] + v;
                        special[i + 1] = special[i].plus(s);
                    }
                    for &(o, i) in &ph.outputs {
                        let k = i + w.kernel;
                        let sum = finish(prefix[k] - prefix[i], special[k].minus(special[i]));
                        // SAFETY: `o < OW`, inside this row of the intermediate.
                        unsafe { out_row.add(o).write(sum) }
                    }
                }
            }
        }
    }

    /// Columns `cols` of the intermediate down H into the output plane.
    ///
    /// # Safety
    /// `plane < planes`, `cols` inside `0..OW`, `across` holds `[H, OW]` of this plane.
    #[inline(always)]
    unsafe fn down_h(
        &self,
        plane: usize,
        across: AcrossRef<'_, T>,
        cols: Range<usize>,
        scratch: &mut Scratch<T>,
    ) {
        let (h, w) = (&self.h, &self.w);
        let width = cols.len();
        let ow_n = w.output;
        let out = self.planes.out.0.wrapping_add(plane * h.output * ow_n);
        for ph in &self.h_phases {
            let row_of = |i: usize| -> Option<usize> {
                let p = ph.phase as isize + (ph.first + i as isize) * h.dilation as isize;
                (p >= 0 && p < h.input as isize).then_some(p as usize)
            };
            match across {
                AcrossRef::Max(values) => {
                    let (g, b) = scratch.blocks(ph.len * width);
                    let k = h.kernel;
                    for i in 0..ph.len {
                        let y =
                            row_of(i).map(|r| &values[r * ow_n + cols.start..r * ow_n + cols.end]);
                        let gi = &mut g[i * width..(i + 1) * width];
                        match (i % k == 0, y) {
                            (true, Some(y)) => gi.copy_from_slice(y),
                            (true, None) => gi.fill(T::LOWEST),
                            (false, _) => {
                                let (before, now) = g.split_at_mut(i * width);
                                let prev = &before[(i - 1) * width..];
                                for c in 0..width {
                                    let v = y.map_or(T::LOWEST, |y| y[c]);
                                    now[c] = join(prev[c], v);
                                }
                            }
                        }
                    }
                    for i in (0..ph.len).rev() {
                        let y =
                            row_of(i).map(|r| &values[r * ow_n + cols.start..r * ow_n + cols.end]);
                        let ends_block = i % k == k - 1 || i == ph.len - 1;
                        let (now, after) = b.split_at_mut((i + 1) * width);
                        let now = &mut now[i * width..];
                        for c in 0..width {
                            let v = y.map_or(T::LOWEST, |y| y[c]);
                            now[c] = if ends_block { v } else { join(v, after[c]) };
                        }
                    }
                    for &(o, i) in &ph.outputs {
                        let (suffix, prefix) = (&b[i * width..], &g[(i + k - 1) * width..]);
                        for c in 0..width {
                            // SAFETY: output `(o, cols.start + c)` of this plane.
                            unsafe {
                                out.add(o * ow_n + cols.start + c)
                                    .write(join(suffix[c], prefix[c]))
                            }
                        }
                    }
                }
                AcrossRef::Sum(sums) => {
                    let (prefix, special) = scratch.prefix((ph.len + 1) * width);
                    prefix[..width].fill(0.0);
                    special[..width].fill(Specials::default());
                    for i in 0..ph.len {
                        let (before, now) = prefix.split_at_mut((i + 1) * width);
                        let prev = &before[i * width..];
                        let (s_before, s_now) = special.split_at_mut((i + 1) * width);
                        let s_prev = &s_before[i * width..];
                        match row_of(i) {
                            Some(r) => {
                                let y = &sums[r * ow_n + cols.start..r * ow_n + cols.end];
                                for c in 0..width {
                                    let (v, s) = classify(y[c]);
                                    now[c] = prev[c] + v;
                                    s_now[c] = s_prev[c].plus(s);
                                }
                            }
                            None => {
                                now[..width].copy_from_slice(&prev[..width]);
                                s_now[..width].copy_from_slice(&s_prev[..width]);
                            }
                        }
                    }
                    let Kind::Avg(mean) = self.planes.kind else {
                        unreachable!("sums are averages")
                    };
                    for &(o, i) in &ph.outputs {
                        let (lo, hi) = (&prefix[i * width..], &prefix[(i + h.kernel) * width..]);
                        let (s_lo, s_hi) =
                            (&special[i * width..], &special[(i + h.kernel) * width..]);
                        for c in 0..width {
                            let divisor = match mean {
                                Mean::Override(d) => d,
                                Mean::Count { include_pad } => {
                                    h.count(o, include_pad) as f64
                                        * w.count(cols.start + c, include_pad) as f64
                                }
                            };
                            let sum = finish(hi[c] - lo[c], s_hi[c].minus(s_lo[c]));
                            let v = T::from_mean(sum, divisor);
                            // SAFETY: output `(o, cols.start + c)` of this plane.
                            unsafe { out.add(o * ow_n + cols.start + c).write(v) }
                        }
                    }
                }
            }
        }
    }
}

/// Sliding max over one phase sequence `y(0..len)`, windows of `kernel` starting at each
/// output's `i`, reported through `put(output, value)`.
#[inline(always)]
fn slide_max<T: Element>(
    ph: &Phase,
    kernel: usize,
    y: impl Fn(usize) -> T,
    prefix: &mut [T],
    suffix: &mut [T],
    mut put: impl FnMut(usize, T),
) {
    let len = ph.len;
    for i in 0..len {
        let v = y(i);
        prefix[i] = if i % kernel == 0 {
            v
        } else {
            join(prefix[i - 1], v)
        };
    }
    for i in (0..len).rev() {
        let v = y(i);
        suffix[i] = if i % kernel == kernel - 1 || i == len - 1 {
            v
        } else {
            join(v, suffix[i + 1])
        };
    }
    for &(o, i) in &ph.outputs {
        put(o, join(suffix[i], prefix[i + kernel - 1]));
    }
}

/// How many NaNs, +inf and -inf a prefix holds: prefix sums keep only finite values, so
/// that one NaN or infinity does not poison every later window.
#[derive(Debug, Clone, Copy, Default)]
struct Specials {
    nan: u64,
    pos: u64,
    neg: u64,
}

impl Specials {
    #[inline(always)]
    fn plus(self, o: Specials) -> Specials {
        Specials {
            nan: self.nan + o.nan,
            pos: self.pos + o.pos,
            neg: self.neg + o.neg,
        }
    }
    #[inline(always)]
    fn minus(self, o: Specials) -> Specials {
        Specials {
            nan: self.nan - o.nan,
            pos: self.pos - o.pos,
            neg: self.neg - o.neg,
        }
    }
}

/// Splits a value into its finite part and its special count.
#[inline(always)]
fn classify(v: f64) -> (f64, Specials) {
    if v.is_finite() {
        (v, Specials::default())
    } else {
        let s = Specials {
            nan: u64::from(v.is_nan()),
            pos: u64::from(v == f64::INFINITY),
            neg: u64::from(v == f64::NEG_INFINITY),
        };
        (0.0, s)
    }
}

/// The IEEE sum of a window from its finite sum and its specials.
#[inline(always)]
fn finish(sum: f64, s: Specials) -> f64 {
    if s.nan > 0 || (s.pos > 0 && s.neg > 0) {
        f64::NAN
    } else if s.pos > 0 {
        f64::INFINITY
    } else if s.neg > 0 {
        f64::NEG_INFINITY
    } else {
        sum
    }
}

/// Per-thread buffers, grown on demand and reused.
pub(crate) struct Scratch<T> {
    prefix_max: Vec<T>,
    suffix_max: Vec<T>,
    sums: Vec<f64>,
    specials: Vec<Specials>,
}

impl<T: Element> Scratch<T> {
    pub fn new() -> Self {
        Scratch {
            prefix_max: Vec::new(),
            suffix_max: Vec::new(),
            sums: Vec::new(),
            specials: Vec::new(),
        }
    }

    fn blocks(&mut self, len: usize) -> (&mut [T], &mut [T]) {
        if self.prefix_max.len() < len {
            self.prefix_max.resize(len, T::LOWEST);
            self.suffix_max.resize(len, T::LOWEST);
        }
        (&mut self.prefix_max[..len], &mut self.suffix_max[..len])
    }

    fn prefix(&mut self, len: usize) -> (&mut [f64], &mut [Specials]) {
        if self.sums.len() < len {
            self.sums.resize(len, 0.0);
            self.specials.resize(len, Specials::default());
        }
        self.sums[0] = 0.0;
        self.specials[0] = Specials::default();
        (&mut self.sums[..len], &mut self.specials[..len])
    }
}

/// Where `along_w` writes: the intermediate as a raw pointer, for threads that each
/// write their own rows.
#[derive(Clone, Copy)]
pub(crate) enum AcrossDst<T> {
    Max(Dst<T>),
    Sum(Dst<f64>),
}

impl<T> AcrossDst<T> {
    /// Row `row` of an intermediate `width` wide.
    fn row(self, row: usize, width: usize) -> AcrossDst<T> {
        match self {
            AcrossDst::Max(d) => AcrossDst::Max(Dst(d.0.wrapping_add(row * width))),
            AcrossDst::Sum(d) => AcrossDst::Sum(Dst(d.0.wrapping_add(row * width))),
        }
    }
}

/// The intermediate `down_h` reads.
#[derive(Clone, Copy)]
pub(crate) enum AcrossRef<'a, T> {
    Max(&'a [T]),
    Sum(&'a [f64]),
}

impl<T> Across<T> {
    /// The whole intermediate as a raw pointer (valid while `self` is not touched).
    pub fn as_dst(&mut self) -> AcrossDst<T> {
        match self {
            Across::Max(v) => AcrossDst::Max(Dst(v.as_mut_ptr())),
            Across::Sum(v) => AcrossDst::Sum(Dst(v.as_mut_ptr())),
        }
    }

    /// The intermediate for reading.
    pub fn as_ref(&self) -> AcrossRef<'_, T> {
        match self {
            Across::Max(v) => AcrossRef::Max(v),
            Across::Sum(v) => AcrossRef::Sum(v),
        }
    }
}

/// Whole planes per task, each thread with its own intermediate: many planes.
pub(crate) struct SlidingPlanes<'a, T>(pub &'a Sliding<T>);

impl<T: Element> Kernel<T> for SlidingPlanes<'_, T> {
    fn tasks(&self) -> usize {
        self.0.plane_count
    }
    fn elements(&self) -> usize {
        self.0.planes.elements
    }
    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let job = self.0;
        let mut across = job.across();
        let mut scratch = Scratch::new();
        for plane in range {
            let dst = across.as_dst();
            for h in 0..job.h.input {
                let out = dst.row(h, job.w.output);
                // SAFETY: `plane` and `h` are in range; `out` is row `h` of `across`.
                unsafe { job.along_w(plane, h, out, &mut scratch) };
            }
            let mut c = 0;
            while c < job.w.output {
                let cols = c..(c + STRIP).min(job.w.output);
                // SAFETY: `across` holds this plane's rows; `cols` is inside `0..OW`.
                unsafe { job.down_h(plane, across.as_ref(), cols, &mut scratch) };
                c += STRIP;
            }
        }
    }
}

/// One plane's rows along W, split over threads: few planes.
pub(crate) struct SlidingRows<'a, T> {
    pub job: &'a Sliding<T>,
    pub plane: usize,
    pub across: AcrossDst<T>,
}

impl<T: Element> Kernel<T> for SlidingRows<'_, T> {
    fn tasks(&self) -> usize {
        self.job.h.input
    }
    fn elements(&self) -> usize {
        self.job.planes.elements / self.job.plane_count
    }
    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let mut scratch = Scratch::new();
        for h in range {
            // Each task writes only its own rows of the shared intermediate.
            let out = self.across.row(h, self.job.w.output);
            // SAFETY: `plane` and `h` are in range; threads write disjoint rows.
            unsafe { self.job.along_w(self.plane, h, out, &mut scratch) };
        }
    }
}

/// One plane's columns down H, in strips split over threads: few planes.
pub(crate) struct SlidingColumns<'a, T> {
    pub job: &'a Sliding<T>,
    pub plane: usize,
    pub across: &'a Across<T>,
}

impl<T: Element> Kernel<T> for SlidingColumns<'_, T> {
    fn tasks(&self) -> usize {
        self.job.w.output.div_ceil(STRIP)
    }
    fn elements(&self) -> usize {
        self.job.planes.elements / self.job.plane_count
    }
    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let mut scratch = Scratch::new();
        for strip in range {
            let cols = strip * STRIP..((strip + 1) * STRIP).min(self.job.w.output);
            // SAFETY: the intermediate is complete; strips write disjoint columns.
            unsafe {
                self.job
                    .down_h(self.plane, self.across.as_ref(), cols, &mut scratch)
            };
        }
    }
}

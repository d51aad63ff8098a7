//! Windowed (and global) max / average pooling of channels-last tensors, vectorised along
//! C: every tap of an output position is a contiguous run of channels.
//!
//! Each output position lists its in-bounds taps once (padding never reaches the channel
//! loop), then reduces them in window order over blocks of 4 or 1 registers of channels;
//! a channel count that is not a multiple of the register ends with an overlapping
//! block. A block that saw a NaN is redone per channel with the exact scalar rule.

use super::channels_first::{next_aligned, put};
use super::geom::{Kind, Line, Mean, Planes, Tap};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes};
use crate::element::Element;
use std::ops::Range;

/// Positions with at least this many taps reduce tap by tap over channel chunks.
const WIDE_TAPS: usize = 16;
/// Registers of channels per chunk of the tap-by-tap reduction.
const WIDE_BLOCKS: usize = 32;

/// Windowed pooling of an `[N, D, H, W, C]` view (lower ranks pass unit D and H axes).
pub(crate) struct ChannelsLast<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    /// Strides of D, H and W (C has stride 1).
    pub spatial_strides: [isize; 3],
    pub lines: [Line; 3],
    /// Channels per task: all of them, unless rows are too few to keep threads busy.
    pub chunk: usize,
}

/// What the channel loop of one output position needs.
struct Position<'a, T> {
    base: *const T,
    taps: &'a [Tap],
    divisor: f64,
    out: *mut T,
    indices: Option<*mut i64>,
    /// ONNX index offset of channel 0 of this batch item.
    first: i64,
}

impl<T: Element> ChannelsLast<T> {
    fn chunks(&self) -> usize {
        self.planes.channels.div_ceil(self.chunk)
    }

    fn rows(&self) -> usize {
        self.planes.batch * self.lines[0].output * self.lines[1].output
    }
}

impl<T: Element> Kernel<T> for ChannelsLast<T> {
    fn tasks(&self) -> usize {
        self.rows() * self.chunks()
    }

    fn elements(&self) -> usize {
        self.planes.elements
    }

    fn streams(&self) -> bool {
        self.planes.stream
    }

    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let [ld, lh, lw] = self.lines;
        let [sd, sh, sw] = self.spatial_strides;
        let [wd, wh, ww] = self.planes.index_map.weights;
        let chunks = self.chunks();
        let most = [ld, lh, lw].iter().map(|l| l.kernel.min(l.input)).product();
        let mut taps: Vec<Tap> = Vec::with_capacity(most);
        for task in range {
            let (row, chunk) = (task / chunks, task % chunks);
            let c_lo = chunk * self.chunk;
            let c_hi = (c_lo + self.chunk).min(self.planes.channels);
            let per_item = ld.output * lh.output;
            let (n, within) = (row / per_item, row % per_item);
            let (od, oh) = (within / lh.output, within % lh.output);
            let base = self.planes.plane(n, 0);
            let ((d0, d1), (h0, h1)) = (ld.taps_in(od), lh.taps_in(oh));
            for ow in 0..lw.output {
                taps.clear();
                let (w0, w1) = lw.taps_in(ow);
                for td in d0..d1 {
                    let pd = ld.start(od) + (td * ld.dilation) as isize;
                    for th in h0..h1 {
                        let ph = lh.start(oh) + (th * lh.dilation) as isize;
                        for tw in w0..w1 {
                            let pw = lw.start(ow) + (tw * lw.dilation) as isize;
                            taps.push(Tap {
                                offset: pd * sd + ph * sh + pw * sw,
                                term: (pd as i64 * wd + ph as i64 * wh + pw as i64 * ww) as i32,
                            });
                        }
                    }
                }
                let divisor = match self.planes.kind {
                    Kind::Avg(Mean::Override(d)) => d,
                    Kind::Avg(Mean::Count { include_pad }) => {
                        ld.count(od, include_pad) as f64
                            * lh.count(oh, include_pad) as f64
                            * lw.count(ow, include_pad) as f64
                    }
                    Kind::Max => 1.0,
                };
                let at = (row * lw.output + ow) * self.planes.channels;
                let position = Position {
                    base,
                    taps: &taps,
                    divisor,
                    out: self.planes.out.0.wrapping_add(at),
                    indices: self.planes.indices.map(|d| d.0.wrapping_add(at)),
                    first: self
                        .planes
                        .index_map
                        .plane_offset(n, 0, self.planes.channels),
                };
                self.channel_run::<L>(&position, c_lo, c_hi);
            }
        }
    }
}

impl<T: Element> ChannelsLast<T> {
    /// Channels `lo..hi` of one output position.
    #[inline(always)]
    fn channel_run<L: Lanes<T = T>>(&self, at: &Position<'_, T>, lo: usize, hi: usize) {
        let lanes = L::LANES;
        if hi - lo < lanes {
            for c in lo..hi {
                self.put_exact(at, c);
            }
            return;
        }
        if at.indices.is_none() && at.taps.len() >= WIDE_TAPS && hi - lo >= 4 * lanes {
            return self.channel_run_wide::<L>(at, lo, hi);
        }
        let mut c = lo;
        if self.planes.stream
            && L::STREAM_ALIGN > 0
            && !(at.out.wrapping_add(c) as usize).is_multiple_of(L::STREAM_ALIGN)
        {
            self.block::<L, 1>(at, c);
            c = next_aligned(at.out, c, lanes, L::STREAM_ALIGN).min(hi - lanes);
        }
        while c + 4 * lanes <= hi {
            self.block::<L, 4>(at, c);
            c += 4 * lanes;
        }
        while c + lanes <= hi {
            self.block::<L, 1>(at, c);
            c += lanes;
        }
        if c < hi {
            self.block::<L, 1>(at, hi - lanes);
        }
    }

    /// Channels `lo..hi` of a position with many taps (global pooling, large windows),
    /// `hi - lo >= 4 * LANES`: tap by tap over chunks of channels whose running results
    /// wait in registers spilled to a small array, so that each tap's channels stream
    /// contiguously. (Holding a register block across taps instead hops by the channel
    /// stride, and power-of-two strides all land in the same L1 set.) Values only; every
    /// channel is still reduced in window order.
    #[inline(always)]
    fn channel_run_wide<L: Lanes<T = T>>(&self, at: &Position<'_, T>, lo: usize, hi: usize) {
        let lanes = L::LANES;
        let mut c = lo;
        while c < hi {
            let end = (c + WIDE_BLOCKS * lanes).min(hi);
            let blocks = (end - c).div_ceil(lanes);
            // The last block of a ragged chunk overlaps its neighbour (`hi - lo >= LANES`).
            let start = |b: usize| (c + b * lanes).min(end - lanes).max(lo);
            // SAFETY: taps are in-bounds positions and every block lies in `lo..hi`, so
            // loads read the input and stores write this position's output.
            unsafe {
                let row = |tap: &Tap| at.base.offset(tap.offset);
                match self.planes.kind {
                    Kind::Max => {
                        // One NaN flag for the whole chunk: a NaN anywhere sends the chunk
                        // to the exact scalar rule (the running maxima stay the only
                        // per-block state, halving the traffic to the spilled array).
                        let first = row(&at.taps[0]);
                        let mut best = [L::load(first.add(start(0))); WIDE_BLOCKS];
                        let mut nan = L::none();
                        for (b, m) in best.iter_mut().enumerate().take(blocks) {
                            *m = L::load(first.add(start(b)));
                            nan = L::flag_nan(nan, *m);
                        }
                        for tap in &at.taps[1..] {
                            let p = row(tap);
                            for (b, m) in best.iter_mut().enumerate().take(blocks) {
                                let v = L::load(p.add(start(b)));
                                nan = L::flag_nan(nan, v);
                                *m = L::max_first(*m, v);
                            }
                        }
                        if L::any(nan) {
                            self.redo(at, c, end - c);
                        } else {
                            for (b, v) in best.iter().enumerate().take(blocks) {
                                put::<L>(at.out.add(start(b)), *v, self.planes.stream);
                            }
                        }
                    }
                    Kind::Avg(_) => {
                        let mut sums = [L::acc_zero(); WIDE_BLOCKS];
                        for tap in at.taps {
                            let p = row(tap);
                            for (b, sum) in sums.iter_mut().enumerate().take(blocks) {
                                *sum = L::acc_add(*sum, L::load(p.add(start(b))));
                            }
                        }
                        for (b, sum) in sums.iter().enumerate().take(blocks) {
                            let v = L::acc_mean(*sum, at.divisor);
                            put::<L>(at.out.add(start(b)), v, self.planes.stream);
                        }
                    }
                }
            }
            c = end;
        }
    }

    /// Channels `c..c + R*LANES`.
    #[inline(always)]
    fn block<L: Lanes<T = T>, const R: usize>(&self, at: &Position<'_, T>, c: usize) {
        let lanes = L::LANES;
        let step = self.planes.index_map.channel_step();
        // SAFETY: every tap is an in-bounds position of the input and channels
        // `c..c + R*LANES` lie inside `0..C` (the caller's loop bounds), so every load
        // reads the input and every store writes this position's output.
        unsafe {
            let first = at.base.offset(at.taps[0].offset).add(c);
            match (self.planes.kind, at.indices) {
                (Kind::Max, None) => {
                    let mut acc: [L::V; R] = std::array::from_fn(|j| L::load(first.add(j * lanes)));
                    let mut nan = acc.map(|v| L::flag_nan(L::none(), v));
                    for tap in &at.taps[1..] {
                        let p = at.base.offset(tap.offset).add(c);
                        for j in 0..R {
                            let v = L::load(p.add(j * lanes));
                            nan[j] = L::flag_nan(nan[j], v);
                            acc[j] = L::max_first(acc[j], v);
                        }
                    }
                    if nan.iter().any(|&m| L::any(m)) {
                        return self.redo(at, c, R * lanes);
                    }
                    for (j, v) in acc.into_iter().enumerate() {
                        put::<L>(at.out.add(c + j * lanes), v, self.planes.stream);
                    }
                }
                (Kind::Max, Some(indices)) => {
                    let mut acc: [L::V; R] = std::array::from_fn(|j| L::load(first.add(j * lanes)));
                    let mut nan = acc.map(|v| L::flag_nan(L::none(), v));
                    let mut best = [L::splat_i(at.taps[0].term); R];
                    for tap in &at.taps[1..] {
                        let p = at.base.offset(tap.offset).add(c);
                        let term = L::splat_i(tap.term);
                        for j in 0..R {
                            let v = L::load(p.add(j * lanes));
                            nan[j] = L::flag_nan(nan[j], v);
                            best[j] = L::blend_i(best[j], term, L::greater(v, acc[j]));
                            acc[j] = L::max_first(acc[j], v);
                        }
                    }
                    if nan.iter().any(|&m| L::any(m)) {
                        return self.redo(at, c, R * lanes);
                    }
                    for j in 0..R {
                        let ch = c + j * lanes;
                        put::<L>(at.out.add(ch), acc[j], self.planes.stream);
                        L::store_indices(
                            indices.add(ch),
                            best[j],
                            at.first + ch as i64 * step,
                            step,
                        );
                    }
                }
                (Kind::Avg(_), _) => {
                    let mut acc = [L::acc_zero(); R];
                    for tap in at.taps {
                        let p = at.base.offset(tap.offset).add(c);
                        for (j, a) in acc.iter_mut().enumerate() {
                            *a = L::acc_add(*a, L::load(p.add(j * lanes)));
                        }
                    }
                    for (j, a) in acc.into_iter().enumerate() {
                        put::<L>(
                            at.out.add(c + j * lanes),
                            L::acc_mean(a, at.divisor),
                            self.planes.stream,
                        );
                    }
                }
            }
        }
    }

    #[inline(never)]
    #[cold]
    fn redo(&self, at: &Position<'_, T>, c: usize, count: usize) {
        for ch in c..c + count {
            self.put_exact(at, ch);
        }
    }

    /// Channel `c` with the reference's exact rules.
    #[inline(always)]
    fn put_exact(&self, at: &Position<'_, T>, c: usize) {
        // SAFETY: taps are in-bounds positions, `c < C`, and `c` is this position's output.
        unsafe {
            match self.planes.kind {
                Kind::Max => {
                    let mut best = T::LOWEST;
                    let mut term = 0i32;
                    for (i, tap) in at.taps.iter().enumerate() {
                        let v = *at.base.offset(tap.offset).add(c);
                        if i == 0 || takes_over(best, v) {
                            best = v;
                            term = tap.term;
                        } else if best.is_nan() {
                            break;
                        }
                    }
                    at.out.add(c).write(best);
                    if let Some(indices) = at.indices {
                        let step = self.planes.index_map.channel_step();
                        indices
                            .add(c)
                            .write(at.first + c as i64 * step + term as i64);
                    }
                }
                Kind::Avg(_) => {
                    let mut sum = -0.0f64;
                    for tap in at.taps {
                        sum += (*at.base.offset(tap.offset).add(c)).to_f64();
                    }
                    at.out.add(c).write(T::from_mean(sum, at.divisor));
                }
            }
        }
    }
}

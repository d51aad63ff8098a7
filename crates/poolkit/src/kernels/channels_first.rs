//! Windowed max / average pooling of channels-first tensors (1-, 2- and 3-D), one output
//! row at a time, vectorised along W.
//!
//! Each output row lists its window's in-bounds input rows once, so vertical padding never
//! reaches a loop. Along W the row splits into a border (outputs whose window leaves the
//! input: exact scalar code with bounds) and an interior (every tap inside: vector blocks
//! of `LANES` outputs with no bounds logic). Strides 1 and 2 are vectorised (stride 2
//! through a deinterleaving load, with a dedicated 2×2/s2 block); other strides run the
//! scalar code. A vector block that saw a NaN is redone by the scalar code, which keeps
//! the reference's first-NaN rule.

use super::geom::{Kind, Line, Mean, Planes, Tap};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes, Scalar};
use super::padded::PaddedRows;
use crate::element::Element;
use std::ops::Range;

/// Windowed pooling of an `[N, C, D, H, W]` view (lower ranks pass unit D and H axes).
pub(crate) struct ChannelsFirst<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    /// The D and H axes and their strides (W has stride 1).
    pub lead: [Line; 2],
    pub lead_strides: [isize; 2],
    pub w: Line,
    /// `w.interior()`, computed once.
    pub interior: (usize, usize),
}

/// Everything one output row needs.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a, T> {
    plane: *const T,
    taps: &'a [Tap],
    /// Divisor factor of the D and H axes (an f64, as the reference multiplies them).
    vfactor: f64,
    out: *mut T,
    indices: Option<*mut i64>,
    plane_offset: i64,
    /// Per-output divisor reciprocals (padded rows, counted divisor), by output.
    divisors: Option<*const f64>,
}

/// Rows of up to this many input rows keep their list on the stack.
const STACK_ROWS: usize = 16;

impl<T: Element> Kernel<T> for ChannelsFirst<T> {
    fn tasks(&self) -> usize {
        self.planes.batch * self.planes.channels * self.lead[0].output * self.lead[1].output
    }

    fn elements(&self) -> usize {
        self.planes.elements
    }

    fn streams(&self) -> bool {
        self.planes.stream
    }

    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let [ld, lh] = self.lead;
        let rows_per_plane = ld.output * lh.output;
        // In-bounds taps are distinct input positions: never more than the input has.
        let most = ld.kernel.min(ld.input) * lh.kernel.min(lh.input);
        let mut stack = [Tap::default(); STACK_ROWS];
        let mut heap = Vec::new();
        let taps: &mut [Tap] = if most <= STACK_ROWS {
            &mut stack[..most]
        } else {
            heap.resize(most, Tap::default());
            &mut heap
        };
        let [wd, wh, _] = self.planes.index_map.weights;
        let row_len = self.w.output;
        let mut padded = PaddedRows::new(
            self.lead,
            self.w,
            self.planes.kind,
            self.planes.indices.is_some(),
            L::LANES,
        );
        // Padded rows are at most one window's rows (2-D only): the stack list's size.
        let mut padded_taps = if padded.is_some() {
            vec![Tap::default(); taps.len()]
        } else {
            Vec::new()
        };
        // (plane, od, oh) of row `range.start`, then counted up: no division per row.
        let (mut plane, within) = (range.start / rows_per_plane, range.start % rows_per_plane);
        let (mut od, mut oh) = (within / lh.output, within % lh.output);
        let (mut n, mut c) = self.planes.split(plane);
        let mut first_row = true;
        for r in range {
            if !first_row {
                oh += 1;
                if oh == lh.output {
                    oh = 0;
                    od += 1;
                    if od == ld.output {
                        od = 0;
                        plane += 1;
                        c += 1;
                        if c == self.planes.channels {
                            c = 0;
                            n += 1;
                        }
                    }
                }
            }
            first_row = false;
            let mut count = 0;
            let (d0, d1) = ld.taps_in(od);
            let (h0, h1) = lh.taps_in(oh);
            for td in d0..d1 {
                let pd = ld.start(od) + (td * ld.dilation) as isize;
                for th in h0..h1 {
                    let ph = lh.start(oh) + (th * lh.dilation) as isize;
                    taps[count] = Tap {
                        offset: pd * self.lead_strides[0] + ph * self.lead_strides[1],
                        term: (pd as i64 * wd + ph as i64 * wh) as i32,
                    };
                    count += 1;
                }
            }
            let vfactor = match self.planes.kind {
                Kind::Avg(Mean::Count { include_pad }) => {
                    ld.count(od, include_pad) as f64 * lh.count(oh, include_pad) as f64
                }
                _ => 1.0,
            };
            let row = Row {
                plane: self.planes.plane(n, c),
                taps: &taps[..count],
                vfactor,
                out: self.planes.out.0.wrapping_add(r * row_len),
                indices: self.planes.indices.map(|d| d.0.wrapping_add(r * row_len)),
                plane_offset: self
                    .planes
                    .index_map
                    .plane_offset(n, c, self.planes.channels),
                divisors: None,
            };
            match padded.as_mut() {
                Some(rows) => {
                    let ph = |i: usize| lh.start(oh) + ((h0 + i) * lh.dilation) as isize;
                    for (i, tap) in padded_taps[..count].iter_mut().enumerate() {
                        // SAFETY: row `ph(i)` of this plane is in bounds (`taps_in`).
                        let offset =
                            unsafe { rows.fetch(plane, ph(i), row.plane, self.lead_strides[1]) };
                        *tap = Tap { offset, term: 0 };
                    }
                    let divisors = rows.divisors(self.planes.kind, vfactor);
                    let padded_row = Row {
                        plane: rows.base(),
                        taps: &padded_taps[..count],
                        divisors,
                        ..row
                    };
                    let line = rows.line;
                    let done = match self.w.stride {
                        1 => self.interior::<L, false>(&padded_row, &row, &line, 0, row_len),
                        _ => self.interior::<L, true>(&padded_row, &row, &line, 0, row_len),
                    };
                    for ow in done..row_len {
                        self.put_exact(&row, ow);
                    }
                }
                None => self.row::<L>(&row),
            }
        }
    }
}

impl<T: Element> ChannelsFirst<T> {
    /// Border, interior, border.
    #[inline(always)]
    fn row<L: Lanes<T = T>>(&self, row: &Row<'_, T>) {
        let (lo, hi) = self.interior;
        for ow in 0..lo {
            self.put_exact(row, ow);
        }
        let w = self.w;
        let done = match self.w.stride {
            1 => self.interior::<L, false>(row, row, &w, lo, hi),
            2 => self.interior::<L, true>(row, row, &w, lo, hi),
            _ => lo,
        };
        // What the registers leave (rows shorter than a register, the last few outputs)
        // still needs no bounds logic: one-lane blocks.
        let done = match self.w.stride {
            1 if L::LANES > 1 => self.interior::<Scalar<T>, false>(row, row, &w, done, hi),
            2 if L::LANES > 1 => self.interior::<Scalar<T>, true>(row, row, &w, done, hi),
            _ => done,
        };
        for ow in done..hi {
            self.put_exact(row, ow);
        }
        for ow in hi..self.w.output {
            self.put_exact(row, ow);
        }
    }

    /// Vector blocks over interior outputs `lo..hi` of `row`, whose W axis is `w` (the
    /// input's, or a padded copy's); `exact` is the same row in the input, for the scalar
    /// code. Returns the first output it left to the scalar code. With streaming stores
    /// the blocks after the first start on aligned outputs; the last block may overlap
    /// its predecessor (same values written twice).
    #[inline(always)]
    fn interior<L: Lanes<T = T>, const S2: bool>(
        &self,
        row: &Row<'_, T>,
        exact: &Row<'_, T>,
        w: &Line,
        lo: usize,
        hi: usize,
    ) -> usize {
        let lanes = L::LANES;
        if row.taps.is_empty() {
            return lo;
        }
        let pair = S2 && is_pair(w, row);
        let lo = match self.planes.kind {
            _ if !pair || row.indices.is_some() => lo,
            Kind::Max if L::PAIR_MAX_WIDE > 0 => self.pair_wide::<L, false>(row, exact, w, lo, hi),
            Kind::Avg(mean) if L::PAIR_MEAN4_WIDE > 0 && row.divisors.is_none() => {
                let divisor = match mean {
                    Mean::Override(d) => d,
                    Mean::Count { .. } => row.vfactor * w.kernel as f64,
                };
                if divisor == 4.0 {
                    self.pair_wide::<L, true>(row, exact, w, lo, hi)
                } else {
                    lo
                }
            }
            _ => lo,
        };
        if hi < lo + lanes {
            return lo;
        }
        // The furthest element a block starting at `ow` reads, past its first tap: a
        // 2×2/s2 block's pair loads read `2*LANES` elements, other stride-2 taps each
        // read `2*LANES - 1` from their own start.
        let reach = if pair {
            2 * lanes as isize - 1
        } else if S2 {
            ((w.kernel - 1) * w.dilation) as isize + 2 * lanes as isize - 1
        } else {
            ((w.kernel - 1) * w.dilation) as isize + lanes as isize - 1
        };
        let room = w.input as isize - 1 - reach + w.pad_begin as isize;
        if room < 0 {
            return lo;
        }
        let last = (room as usize / w.stride).min(hi - lanes);
        if last < lo {
            return lo;
        }
        let mut ow = lo;
        loop {
            self.block::<L, S2>(row, exact, w, ow);
            if ow == last {
                break;
            }
            let next = if self.planes.stream && L::STREAM_ALIGN > 0 {
                next_aligned(row.out, ow, lanes, L::STREAM_ALIGN)
            } else {
                ow + lanes
            };
            ow = next.min(last);
        }
        last + lanes
    }

    /// Steps of [`Lanes::pair_max_wide`] (or, `MEAN`, [`Lanes::pair_mean4_wide`]: the
    /// caller has checked the divisor is 4) over interior outputs `lo..hi` of a 2×2/s2
    /// row without indices; returns the first output it left (`lo` when no step fits).
    /// The last step may overlap its predecessor, as in [`Self::interior`].
    #[inline(always)]
    fn pair_wide<L: Lanes<T = T>, const MEAN: bool>(
        &self,
        row: &Row<'_, T>,
        exact: &Row<'_, T>,
        w: &Line,
        lo: usize,
        hi: usize,
    ) -> usize {
        let wide = if MEAN {
            L::PAIR_MEAN4_WIDE
        } else {
            L::PAIR_MAX_WIDE
        };
        if hi < lo + wide {
            return lo;
        }
        // A step at `ow` reads `start(ow)..start(ow) + 2*wide` of both rows.
        let room = w.input as isize - 2 * wide as isize + w.pad_begin as isize;
        if room < 0 {
            return lo;
        }
        let last = (room as usize / 2).min(hi - wide);
        if last < lo {
            return lo;
        }
        let r0 = row.plane.wrapping_offset(row.taps[0].offset);
        let r1 = row.plane.wrapping_offset(row.taps[1].offset);
        let mut ow = lo;
        loop {
            let start = w.start(ow);
            // SAFETY: `ow >= lo` is interior, so `start >= 0`; `ow <= last` keeps
            // `start + 2*wide <= input` (`room`); both taps are rows of this plane inside
            // the input (`taps_in`), and outputs `ow..ow + wide <= hi` lie in this row.
            let done = unsafe {
                let (r0, r1, out) = (r0.offset(start), r1.offset(start), row.out.add(ow));
                if MEAN {
                    L::pair_mean4_wide(r0, r1, out)
                } else {
                    L::pair_max_wide(r0, r1, out)
                }
            };
            if !done {
                self.redo(exact, ow, wide);
            }
            if ow == last {
                break;
            }
            ow = (ow + wide).min(last);
        }
        last + wide
    }

    /// Outputs `ow..ow + LANES`, all interior.
    #[inline(always)]
    fn block<L: Lanes<T = T>, const S2: bool>(
        &self,
        row: &Row<'_, T>,
        exact: &Row<'_, T>,
        w: &Line,
        ow: usize,
    ) {
        let start = w.start(ow);
        let pair = S2 && is_pair(w, row);
        let out = row.out.wrapping_add(ow);
        // SAFETY: `interior` only passes blocks whose every tap, for every lane, lies in
        // the input row (its bounds include the deinterleaving loads' extra element), and
        // outputs `ow..ow + LANES` lie in this row of the output.
        unsafe {
            match (self.planes.kind, row.indices) {
                (Kind::Max, None) => {
                    let value = if pair {
                        pair_max::<L>(row, start)
                    } else {
                        window_max::<L, S2>(row, start, w.kernel, w.dilation)
                    };
                    match value {
                        Some(v) => put::<L>(out, v, self.planes.stream),
                        None => self.redo(exact, ow, L::LANES),
                    }
                }
                (Kind::Max, Some(indices)) => {
                    let ww = self.planes.index_map.weights[2] as i32;
                    let found = if pair {
                        pair_argmax::<L>(row, start, ww)
                    } else {
                        window_argmax::<L, S2>(row, start, w.kernel, w.dilation, ww)
                    };
                    match found {
                        Some((v, best)) => {
                            put::<L>(out, v, self.planes.stream);
                            let ww = ww as i64;
                            let first = row.plane_offset + start as i64 * ww;
                            let step = w.stride as i64 * ww;
                            L::store_indices(indices.add(ow), best, first, step);
                        }
                        None => self.redo(exact, ow, L::LANES),
                    }
                }
                (Kind::Avg(mean), _) => {
                    let sums = if pair {
                        pair_sum::<L>(row, start)
                    } else {
                        window_sum::<L, S2>(row, start, w.kernel, w.dilation)
                    };
                    let v = match (row.divisors, mean) {
                        (Some(divisors), _) => L::acc_scale_lanes(sums, divisors.add(ow), S2),
                        (None, Mean::Override(d)) => L::acc_mean(sums, d),
                        (None, Mean::Count { .. }) => {
                            L::acc_mean(sums, row.vfactor * w.kernel as f64)
                        }
                    };
                    put::<L>(out, ordered::<L, S2>(v), self.planes.stream);
                }
            }
        }
    }

    /// Redoes a block that saw a NaN with the exact scalar rule.
    #[inline(never)]
    #[cold]
    fn redo(&self, row: &Row<'_, T>, ow: usize, lanes: usize) {
        for o in ow..ow + lanes {
            self.put_exact(row, o);
        }
    }

    /// Output `ow` with bounds checks and the reference's exact rules.
    #[inline(always)]
    fn put_exact(&self, row: &Row<'_, T>, ow: usize) {
        let w = self.w;
        let start = w.start(ow);
        let (t0, t1) = w.taps_in(ow);
        let ww = self.planes.index_map.weights[2];
        // SAFETY: rows in `row.taps` and taps `t0..t1` lie inside the input (that is what
        // `taps_in` selects), and output `ow` lies in this output row.
        unsafe {
            match self.planes.kind {
                Kind::Max => {
                    let mut best = T::LOWEST;
                    let mut best_index = 0i64;
                    let mut first = true;
                    'rows: for tap in row.taps {
                        let p = row.plane.offset(tap.offset + start);
                        for t in t0..t1 {
                            let v = *p.add(t * w.dilation);
                            if first || takes_over(best, v) {
                                best = v;
                                best_index = tap.term as i64
                                    + (start + (t * w.dilation) as isize) as i64 * ww;
                                first = false;
                            } else if best.is_nan() {
                                break 'rows;
                            }
                        }
                    }
                    row.out.add(ow).write(best);
                    if let Some(indices) = row.indices {
                        indices.add(ow).write(row.plane_offset + best_index);
                    }
                }
                Kind::Avg(mean) => {
                    let mut sum = -0.0f64;
                    for tap in row.taps {
                        let p = row.plane.offset(tap.offset + start);
                        for t in t0..t1 {
                            sum += (*p.add(t * w.dilation)).to_f64();
                        }
                    }
                    let divisor = match mean {
                        Mean::Override(d) => d,
                        Mean::Count { include_pad } => {
                            row.vfactor * w.count(ow, include_pad) as f64
                        }
                    };
                    row.out.add(ow).write(T::from_mean(sum, divisor));
                }
            }
        }
    }
}

/// True when a stride-2 row's window is two rows of two adjacent elements: the 2×2/s2
/// blocks, whose pair loads read `2*LANES` elements per row.
#[inline(always)]
fn is_pair<T>(w: &Line, row: &Row<'_, T>) -> bool {
    w.stride == 2 && w.kernel == 2 && w.dilation == 1 && row.taps.len() == 2
}

/// The first output after `ow` (at most `lanes` on) whose address is `align`-aligned.
#[inline(always)]
pub(crate) fn next_aligned<T>(out: *mut T, ow: usize, lanes: usize, align: usize) -> usize {
    let size = std::mem::size_of::<T>();
    let address = out as usize + (ow + 1) * size;
    let gap = (align - address % align) % align;
    if gap.is_multiple_of(size) {
        ow + 1 + gap / size
    } else {
        ow + lanes
    }
}

/// Stores a block, streaming it past the caches when asked and aligned.
///
/// # Safety
/// `out[0..LANES]` must be writable.
#[inline(always)]
pub(crate) unsafe fn put<L: Lanes>(out: *mut L::T, v: L::V, stream: bool) {
    // SAFETY: the caller guarantees the elements; streaming only at the alignment it needs.
    unsafe {
        if stream && L::STREAM_ALIGN > 0 && (out as usize).is_multiple_of(L::STREAM_ALIGN) {
            L::store_stream(out, v)
        } else {
            L::store(out, v)
        }
    }
}

/// One tap for `LANES` outputs: consecutive elements (stride 1) or every other (stride 2).
#[inline(always)]
unsafe fn tap<L: Lanes, const S2: bool>(p: *const L::T) -> L::V {
    // SAFETY: the caller guarantees the `LANES` (or `2*LANES`) elements exist.
    unsafe {
        if S2 {
            L::load_even_raw(p)
        } else {
            L::load(p)
        }
    }
}

/// Undoes the stride-2 raw lane order.
#[inline(always)]
fn ordered<L: Lanes, const S2: bool>(v: L::V) -> L::V {
    if S2 {
        L::unraw(v)
    } else {
        v
    }
}

/// Max of a block over every row and tap in window order; `None` if a NaN was seen.
#[inline(always)]
unsafe fn window_max<L: Lanes, const S2: bool>(
    row: &Row<'_, L::T>,
    start: isize,
    kernel: usize,
    dilation: usize,
) -> Option<L::V> {
    // SAFETY: the caller guarantees every tap of every row is readable.
    unsafe {
        let mut acc = tap::<L, S2>(row.plane.offset(row.taps[0].offset + start));
        let mut nan = L::flag_nan(L::none(), acc);
        for (i, r) in row.taps.iter().enumerate() {
            let p = row.plane.offset(r.offset + start);
            for t in usize::from(i == 0)..kernel {
                let v = tap::<L, S2>(p.add(t * dilation));
                nan = L::flag_nan(nan, v);
                acc = L::max_first(acc, v);
            }
        }
        (!L::any(nan)).then(|| ordered::<L, S2>(acc))
    }
}

/// Max and argmax term of a block; `None` if a NaN was seen.
#[inline(always)]
unsafe fn window_argmax<L: Lanes, const S2: bool>(
    row: &Row<'_, L::T>,
    start: isize,
    kernel: usize,
    dilation: usize,
    ww: i32,
) -> Option<(L::V, L::I)> {
    // SAFETY: the caller guarantees every tap of every row is readable.
    unsafe {
        let mut acc = tap::<L, S2>(row.plane.offset(row.taps[0].offset + start));
        let mut best = L::splat_i(row.taps[0].term);
        let mut nan = L::flag_nan(L::none(), acc);
        for (i, r) in row.taps.iter().enumerate() {
            let p = row.plane.offset(r.offset + start);
            for t in usize::from(i == 0)..kernel {
                let v = tap::<L, S2>(p.add(t * dilation));
                nan = L::flag_nan(nan, v);
                let take = L::greater(v, acc);
                acc = L::max_first(acc, v);
                best = L::blend_i(best, L::splat_i(r.term + (t * dilation) as i32 * ww), take);
            }
        }
        if L::any(nan) {
            return None;
        }
        Some(if S2 {
            (L::unraw(acc), L::unraw_i(best))
        } else {
            (acc, best)
        })
    }
}

/// Sums of a block in window order (raw lane order for stride 2).
#[inline(always)]
unsafe fn window_sum<L: Lanes, const S2: bool>(
    row: &Row<'_, L::T>,
    start: isize,
    kernel: usize,
    dilation: usize,
) -> L::Acc {
    // SAFETY: the caller guarantees every tap of every row is readable.
    unsafe {
        let mut acc = L::acc_zero();
        for r in row.taps {
            let p = row.plane.offset(r.offset + start);
            for t in 0..kernel {
                acc = L::acc_add(acc, tap::<L, S2>(p.add(t * dilation)));
            }
        }
        acc
    }
}

/// The two rows of a 2×2/s2 window, each as (even, odd) columns in raw order.
#[inline(always)]
unsafe fn pair_rows<L: Lanes>(row: &Row<'_, L::T>, start: isize) -> [(L::V, L::V); 2] {
    // SAFETY: the caller guarantees `2*LANES` elements from `start` in both rows.
    unsafe {
        [
            L::load_pair_raw(row.plane.offset(row.taps[0].offset + start)),
            L::load_pair_raw(row.plane.offset(row.taps[1].offset + start)),
        ]
    }
}

/// 2×2/s2 max: each row's pair first, then the rows, which keeps window order.
#[inline(always)]
unsafe fn pair_max<L: Lanes>(row: &Row<'_, L::T>, start: isize) -> Option<L::V> {
    // SAFETY: forwarded from the caller.
    let [(e0, o0), (e1, o1)] = unsafe { pair_rows::<L>(row, start) };
    let nan = L::flag_nan2(L::flag_nan2(L::none(), e0, o0), e1, o1);
    let m = L::max_first(L::max_first(e0, o0), L::max_first(e1, o1));
    (!L::any(nan)).then(|| L::unraw(m))
}

/// 2×2/s2 max and argmax term.
#[inline(always)]
unsafe fn pair_argmax<L: Lanes>(
    row: &Row<'_, L::T>,
    start: isize,
    ww: i32,
) -> Option<(L::V, L::I)> {
    // SAFETY: forwarded from the caller.
    let [(e0, o0), (e1, o1)] = unsafe { pair_rows::<L>(row, start) };
    let nan = L::flag_nan2(L::flag_nan2(L::none(), e0, o0), e1, o1);
    if L::any(nan) {
        return None;
    }
    let (r0, r1) = (row.taps[0].term, row.taps[1].term);
    let b0 = L::blend_i(L::splat_i(r0), L::splat_i(r0 + ww), L::greater(o0, e0));
    let b1 = L::blend_i(L::splat_i(r1), L::splat_i(r1 + ww), L::greater(o1, e1));
    let (h0, h1) = (L::max_first(e0, o0), L::max_first(e1, o1));
    let best = L::blend_i(b0, b1, L::greater(h1, h0));
    Some((L::unraw(L::max_first(h0, h1)), L::unraw_i(best)))
}

/// 2×2/s2 sums in window order (raw lane order).
#[inline(always)]
unsafe fn pair_sum<L: Lanes>(row: &Row<'_, L::T>, start: isize) -> L::Acc {
    // SAFETY: forwarded from the caller.
    let [(e0, o0), (e1, o1)] = unsafe { pair_rows::<L>(row, start) };
    L::acc_add(
        L::acc_add(L::acc_add(L::acc_add(L::acc_zero(), e0), o0), e1),
        o1,
    )
}

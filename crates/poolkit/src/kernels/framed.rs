//! Windowed max / average pooling of channels-first 1-D and 2-D tensors whose rows have
//! borders (padding, ceil-mode overhang): every input row a task reads is copied once
//! into a padded frame, so that every output of the row — borders included — runs
//! through the same vector blocks, with no bounds logic and no scalar border code.
//!
//! Chosen over [`super::channels_first`] for padded windows such as the ResNet stem's
//! 3×3/s2/p1 max and Inception's 3×3/s1/p1 average, whose 56- and 28-wide rows would
//! otherwise spend as long in their scalar borders as in their interiors. A task is a run
//! of output rows of one plane; its frames live in a ring (row `h` in slot `h mod slots`, a power of two),
//! so a row shared by neighbouring windows is copied once.
//!
//! Frames hold `LOWEST` beyond the row for max (it never replaces a value, and a window
//! never reads padding alone) and `-0.0` for averages (the identity of addition, signed
//! zeros included). Windows are visited in the reference's row-major order, so max values
//! are bit-exact and sums are added in the reference's order; a block that saw a NaN is
//! redone lane by lane with the reference's first-NaN rule.

use super::channels_first::{put, ChannelsFirst};
use super::geom::{Kind, Line, Mean, Planes};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes};
use crate::element::Element;
use std::ops::Range;

/// Frames are used while a task's ring fits this many elements (per thread).
const MAX_FRAME_ELEMENTS: usize = 1 << 18;

/// Window rows a frame list keeps on the stack.
const MAX_ROWS: usize = 16;

/// Windowed pooling of an `[N, C, H, W]` view through padded row frames.
pub(crate) struct Framed<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    pub row_stride: isize,
    pub h: Line,
    pub w: Line,
    /// Output rows per task.
    pub rows_per_task: usize,
    /// The row kernel over the same job, for one-lane variants and rows narrower than a
    /// register (its tasks are output rows).
    pub fallback: ChannelsFirst<T>,
}

impl<T: Element> Framed<T> {
    /// True when `h` and `w` suit frames: unit or double W stride, a window of at most
    /// `MAX_ROWS` rows, a row with a border, and a ring that fits.
    pub fn suits(h: &Line, w: &Line) -> bool {
        let (lo, hi) = w.interior();
        let border = lo > 0 || hi < w.output;
        let slots = ring_slots(h);
        (w.stride == 1 || w.stride == 2)
            && h.kernel <= MAX_ROWS
            && h.kernel * w.kernel <= 64
            && border
            && slots.saturating_mul(frame_width(w, 16)) <= MAX_FRAME_ELEMENTS
    }

    /// Tasks per plane.
    fn blocks(&self) -> usize {
        self.h.output.div_ceil(self.rows_per_task)
    }
}

/// Frames a ring holds: one window's rows and one stride's, rounded up to a power of two
/// so that a row finds its slot without a division.
fn ring_slots(h: &Line) -> usize {
    ((h.kernel - 1) * h.dilation + 1 + h.stride).next_power_of_two()
}

/// Elements of one frame: every tap of every output, plus the extra register a
/// deinterleaving load of the last block reads.
fn frame_width(w: &Line, lanes: usize) -> usize {
    (w.output - 1) * w.stride + (w.kernel - 1) * w.dilation + 1 + 2 * lanes
}

impl<T: Element> Kernel<T> for Framed<T> {
    fn tasks(&self) -> usize {
        self.planes.batch * self.planes.channels * self.blocks()
    }

    fn elements(&self) -> usize {
        self.planes.elements
    }

    fn streams(&self) -> bool {
        self.planes.stream
    }

    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let blocks = self.blocks();
        let oh = self.h.output;
        let first_row = |task: usize| (task / blocks) * oh + (task % blocks) * self.rows_per_task;
        if L::LANES == 1 || self.w.output < L::LANES {
            // Tasks are consecutive runs of output rows: the fallback's tasks.
            let last = range.end - 1;
            let end = first_row(last)
                + self
                    .rows_per_task
                    .min(oh - (last % blocks) * self.rows_per_task);
            self.fallback.run::<L>(first_row(range.start)..end);
            return;
        }
        match (self.planes.kind, self.w.stride, self.w.kernel) {
            (Kind::Max, 1, 2) => self.rows::<L, Narrow, false, 2>(range),
            (Kind::Max, 1, 3) => self.rows::<L, Narrow, false, 3>(range),
            (Kind::Max, 1, _) => self.rows::<L, Narrow, false, 0>(range),
            (Kind::Max, _, 2) => self.rows::<L, Narrow, true, 2>(range),
            (Kind::Max, _, 3) => self.rows::<L, Narrow, true, 3>(range),
            (Kind::Max, _, _) => self.rows::<L, Narrow, true, 0>(range),
            // Unit stride: rows widened to f64 once, not once per tap.
            (Kind::Avg(_), 1, 2) => self.rows::<L, Wide, false, 2>(range),
            (Kind::Avg(_), 1, 3) => self.rows::<L, Wide, false, 3>(range),
            (Kind::Avg(_), 1, _) => self.rows::<L, Wide, false, 0>(range),
            (Kind::Avg(_), _, 2) => self.rows::<L, Narrow, true, 2>(range),
            (Kind::Avg(_), _, 3) => self.rows::<L, Narrow, true, 3>(range),
            (Kind::Avg(_), _, _) => self.rows::<L, Narrow, true, 0>(range),
        }
    }
}

/// What frames hold: the input's elements ([`Narrow`]) or, for unit-stride averages,
/// their f64 values ([`Wide`]: each element widened once, not once per tap).
trait Frames<L: Lanes> {
    /// A frame element.
    type E: Copy;
    /// The padding for `kind`.
    fn pad(kind: Kind) -> Self::E;
    /// Copies `src[0..len]` to `dst[0..len]`; true when a NaN was seen (max frames only
    /// look: sums carry NaN by themselves).
    ///
    /// # Safety
    /// Both ranges must exist.
    unsafe fn fill(src: *const L::T, dst: *mut Self::E, len: usize, kind: Kind) -> bool;
    /// `acc` plus the tap of `LANES` outputs at `p` (every other element for stride 2).
    ///
    /// # Safety
    /// The tap's elements (`2*LANES` for stride 2) must exist.
    unsafe fn add_tap<const S2: bool>(acc: L::Acc, p: *const Self::E) -> L::Acc;
}

/// Frames of the input's own elements.
struct Narrow;

/// Frames of f64: unit strides only.
struct Wide;

impl<L: Lanes> Frames<L> for Narrow {
    type E = L::T;

    fn pad(kind: Kind) -> L::T {
        match kind {
            Kind::Max => L::T::LOWEST,
            Kind::Avg(_) => L::T::from_f64(-0.0),
        }
    }

    #[inline(always)]
    unsafe fn fill(src: *const L::T, dst: *mut L::T, len: usize, kind: Kind) -> bool {
        let lanes = L::LANES;
        // SAFETY: the caller guarantees both ranges; the scan's blocks stay inside `src`
        // (the last overlaps its predecessor rather than run past the end).
        unsafe {
            // A bit copy: narrow lanes compute in f32, and a round trip would quiet a
            // signalling NaN that the redo must return as it is.
            std::ptr::copy_nonoverlapping(src, dst, len);
            if kind != Kind::Max {
                return false;
            }
            if len < lanes {
                return (0..len).any(|i| (*src.add(i)).is_nan());
            }
            let mut nan = L::none();
            let mut i = 0;
            loop {
                nan = L::flag_nan(nan, L::load(src.add(i)));
                if i + lanes == len {
                    break;
                }
                i = (i + lanes).min(len - lanes);
            }
            L::any(nan)
        }
    }

    #[inline(always)]
    unsafe fn add_tap<const S2: bool>(acc: L::Acc, p: *const L::T) -> L::Acc {
        // SAFETY: forwarded from the caller.
        L::acc_add(acc, unsafe { load_tap::<L, S2>(p) })
    }
}

impl<L: Lanes> Frames<L> for Wide {
    type E = f64;

    fn pad(_kind: Kind) -> f64 {
        -0.0
    }

    #[inline(always)]
    unsafe fn fill(src: *const L::T, dst: *mut f64, len: usize, _kind: Kind) -> bool {
        let lanes = L::LANES;
        // SAFETY: as for `Narrow`.
        unsafe {
            if len < lanes {
                for i in 0..len {
                    dst.add(i).write((*src.add(i)).to_f64());
                }
                return false;
            }
            let mut i = 0;
            loop {
                L::store_wide(dst.add(i), L::load(src.add(i)));
                if i + lanes == len {
                    break;
                }
                i = (i + lanes).min(len - lanes);
            }
        }
        false
    }

    #[inline(always)]
    unsafe fn add_tap<const S2: bool>(acc: L::Acc, p: *const f64) -> L::Acc {
        debug_assert!(!S2, "f64 frames serve unit strides only");
        // SAFETY: forwarded from the caller.
        L::acc_sum(acc, unsafe { L::acc_load(p) })
    }
}

/// `LANES` outputs' tap at `p`: consecutive elements, or (stride 2) the even ones of
/// `2*LANES`, in raw lane order.
///
/// # Safety
/// The elements must exist.
#[inline(always)]
unsafe fn load_tap<L: Lanes, const S2: bool>(p: *const L::T) -> L::V {
    // SAFETY: forwarded from the caller.
    unsafe {
        if S2 {
            L::load_even_raw(p)
        } else {
            L::load(p)
        }
    }
}

impl<T: Element> Framed<T> {
    /// Runs tasks `range` with frames `F` and a W kernel of `KW` taps (0: any); rows of
    /// three window rows and three taps get unrolled row loops.
    // Unoptimised builds keep every inlined function's locals in its caller's frame: there
    // each variant gets a frame of its own, so that the twelve fit a test thread's stack.
    #[cfg_attr(debug_assertions, inline(never))]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<L: Lanes<T = T>, F: Frames<L>, const S2: bool, const KW: usize>(
        &self,
        range: Range<usize>,
    ) {
        let blocks = self.blocks();
        let oh = self.h.output;
        let mut ring = Ring::<F::E>::new::<T, L, F>(self, L::LANES);
        let mut rows = [0isize; MAX_ROWS];
        for task in range {
            let plane = task / blocks;
            let (n, c) = self.planes.split(plane);
            let src = self.planes.plane(n, c);
            let begin = (task % blocks) * self.rows_per_task;
            for r in begin..(begin + self.rows_per_task).min(oh) {
                let (t0, t1) = self.h.taps_in(r);
                let mut nan = false;
                for (slot, t) in rows.iter_mut().zip(t0..t1) {
                    let ih = self.h.start(r) + (t * self.h.dilation) as isize;
                    // SAFETY: `taps_in` keeps row `ih` inside plane (n, c) of the input.
                    let (at, saw) = unsafe {
                        ring.fetch::<L, F>(
                            plane,
                            ih,
                            src.offset(ih * self.row_stride),
                            self.planes.kind,
                        )
                    };
                    *slot = at;
                    nan |= saw;
                }
                let task_row = plane * oh + r;
                if t1 == t0 {
                    // Planning refuses windows of padding alone; should one come, the row
                    // kernel handles it.
                    self.fallback.run::<L>(task_row..task_row + 1);
                    continue;
                }
                let out = self.planes.out.0.wrapping_add(task_row * self.w.output);
                let frame_rows = &rows[..t1 - t0];
                // SAFETY: the frames hold every tap of this row's outputs, and `out`
                // starts its row of the output.
                unsafe {
                    if nan {
                        self.redo(ring.base().cast::<T>(), frame_rows, out);
                        continue;
                    }
                    match self.planes.kind {
                        Kind::Max => {
                            if KW == 3 && frame_rows.len() == 3 {
                                self.max_row::<L, S2, KW, 3>(
                                    ring.base().cast::<T>(),
                                    frame_rows,
                                    out,
                                )
                            } else {
                                self.max_row::<L, S2, KW, 0>(
                                    ring.base().cast::<T>(),
                                    frame_rows,
                                    out,
                                )
                            }
                        }
                        Kind::Avg(mean) => {
                            let recips = match mean {
                                Mean::Count { include_pad } => {
                                    Some(ring.reciprocals(self.h.count(r, include_pad) as f64))
                                }
                                Mean::Override(_) => None,
                            };
                            if KW == 3 && frame_rows.len() == 3 {
                                self.avg_row::<L, F, S2, KW, 3>(
                                    ring.base(),
                                    frame_rows,
                                    recips,
                                    mean,
                                    out,
                                )
                            } else {
                                self.avg_row::<L, F, S2, KW, 0>(
                                    ring.base(),
                                    frame_rows,
                                    recips,
                                    mean,
                                    out,
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    /// The blocks of a row, `LANES` outputs each, handed out two at a time (two
    /// independent dependency chains keep the adders busy) and a last one alone; the last
    /// block may overlap its predecessor (the same values written twice).
    #[inline(always)]
    fn blocks_of(
        &self,
        lanes: usize,
        mut two: impl FnMut([usize; 2]),
        mut one: impl FnMut([usize; 1]),
    ) {
        let end = self.w.output;
        let next = |ow: usize| (ow + lanes != end).then(|| (ow + lanes).min(end - lanes));
        let mut ow = 0;
        loop {
            match next(ow) {
                None => {
                    one([ow]);
                    return;
                }
                Some(second) => {
                    two([ow, second]);
                    match next(second) {
                        None => return,
                        Some(third) => ow = third,
                    }
                }
            }
        }
    }

    /// The W kernel's taps, dilation and stride, and the window's frame rows: constants
    /// where `KW` and `NR` fix them (a known row count unrolls the row loop).
    #[inline(always)]
    fn window<'r, const KW: usize, const NR: usize>(
        &self,
        rows: &'r [isize],
    ) -> ([usize; 3], &'r [isize]) {
        let kw = if KW > 0 { KW } else { self.w.kernel };
        let rows = if NR > 0 { &rows[..NR] } else { rows };
        ([kw, self.w.dilation, self.w.stride], rows)
    }

    /// A max row from frames of `T`.
    ///
    /// # Safety
    /// The frames at `base + rows[i]` hold every tap of the row's outputs (with the extra
    /// register a deinterleaving load reads); `out` starts the output row.
    #[inline(always)]
    unsafe fn max_row<L: Lanes<T = T>, const S2: bool, const KW: usize, const NR: usize>(
        &self,
        base: *const T,
        rows: &[isize],
        out: *mut T,
    ) {
        // SAFETY (both closures): forwarded from the caller.
        self.blocks_of(
            L::LANES,
            |starts| unsafe { self.max_blocks::<L, S2, KW, NR, 2>(base, rows, out, starts) },
            |starts| unsafe { self.max_blocks::<L, S2, KW, NR, 1>(base, rows, out, starts) },
        );
    }

    /// `N` blocks of a max row, their taps in window order.
    ///
    /// # Safety
    /// As [`Framed::max_row`], for blocks at `starts`.
    #[inline(always)]
    unsafe fn max_blocks<
        L: Lanes<T = T>,
        const S2: bool,
        const KW: usize,
        const NR: usize,
        const N: usize,
    >(
        &self,
        base: *const T,
        rows: &[isize],
        out: *mut T,
        starts: [usize; N],
    ) {
        let ([kw, dw, sw], rows) = self.window::<KW, NR>(rows);
        // SAFETY: forwarded from the caller.
        unsafe {
            let first = base.offset(rows[0]);
            let mut acc = starts.map(|ow| load_tap::<L, S2>(first.add(ow * sw)));
            for t in 1..kw {
                for (a, &ow) in acc.iter_mut().zip(&starts) {
                    *a = L::max_first(*a, load_tap::<L, S2>(first.add(ow * sw + t * dw)));
                }
            }
            for &row in &rows[1..] {
                let p = base.offset(row);
                for t in 0..kw {
                    for (a, &ow) in acc.iter_mut().zip(&starts) {
                        *a = L::max_first(*a, load_tap::<L, S2>(p.add(ow * sw + t * dw)));
                    }
                }
            }
            for (a, &ow) in acc.iter().zip(&starts) {
                let v = if S2 { L::unraw(*a) } else { *a };
                put::<L>(out.add(ow), v, self.planes.stream);
            }
        }
    }

    /// An average row from frames of `F` (f64 only for unit strides).
    ///
    /// # Safety
    /// As [`Framed::max_row`]; `recips` (counted means) holds one reciprocal per output.
    #[inline(always)]
    unsafe fn avg_row<
        L: Lanes<T = T>,
        F: Frames<L>,
        const S2: bool,
        const KW: usize,
        const NR: usize,
    >(
        &self,
        base: *const F::E,
        rows: &[isize],
        recips: Option<*const f64>,
        mean: Mean,
        out: *mut T,
    ) {
        // SAFETY (both closures): forwarded from the caller.
        self.blocks_of(
            L::LANES,
            |starts| unsafe {
                self.avg_blocks::<L, F, S2, KW, NR, 2>(base, rows, recips, mean, out, starts)
            },
            |starts| unsafe {
                self.avg_blocks::<L, F, S2, KW, NR, 1>(base, rows, recips, mean, out, starts)
            },
        );
    }

    /// `N` blocks of an average row, each lane's sum in window order.
    ///
    /// # Safety
    /// As [`Framed::avg_row`], for blocks at `starts`.
    #[inline(always)]
    unsafe fn avg_blocks<
        L: Lanes<T = T>,
        F: Frames<L>,
        const S2: bool,
        const KW: usize,
        const NR: usize,
        const N: usize,
    >(
        &self,
        base: *const F::E,
        rows: &[isize],
        recips: Option<*const f64>,
        mean: Mean,
        out: *mut T,
        starts: [usize; N],
    ) {
        let ([kw, dw, sw], rows) = self.window::<KW, NR>(rows);
        // SAFETY: forwarded from the caller.
        unsafe {
            let mut acc = [L::acc_zero(); N];
            for &row in rows {
                let p = base.offset(row);
                for t in 0..kw {
                    for (a, &ow) in acc.iter_mut().zip(&starts) {
                        *a = F::add_tap::<S2>(*a, p.add(ow * sw + t * dw));
                    }
                }
            }
            for (a, &ow) in acc.iter().zip(&starts) {
                let v = match (recips, mean) {
                    (Some(r), _) => L::acc_scale_lanes(*a, r.add(ow), S2),
                    (None, Mean::Override(d)) => L::acc_mean(*a, d),
                    (None, Mean::Count { .. }) => unreachable!("counted means have reciprocals"),
                };
                let v = if S2 { L::unraw(v) } else { v };
                put::<L>(out.add(ow), v, self.planes.stream);
            }
        }
    }

    /// A max row whose frames hold a NaN, with the reference's rule: the first NaN wins,
    /// else the first maximum in row-major window order (frame padding never wins).
    ///
    /// # Safety
    /// As [`Framed::max_row`] (max frames are of `T`).
    #[cold]
    #[inline(never)]
    unsafe fn redo(&self, base: *const T, rows: &[isize], out: *mut T) {
        let w = self.w;
        for o in 0..w.output {
            let mut best = T::LOWEST;
            let mut first = true;
            'rows: for &row in rows {
                for t in 0..w.kernel {
                    // SAFETY: forwarded from the caller.
                    let v = unsafe { *base.offset(row).add(o * w.stride + t * w.dilation) };
                    if first || takes_over(best, v) {
                        best = v;
                        first = false;
                    } else if best.is_nan() {
                        break 'rows;
                    }
                }
            }
            // SAFETY: output `o` lies in this row.
            unsafe { out.add(o).write(best) };
        }
    }
}

/// A thread's ring of padded row frames (row `h` in slot `h mod slots`, a power of two), each with
/// whether it holds a NaN, and the divisor reciprocals of counted averages.
struct Ring<E> {
    buffer: Vec<E>,
    tags: Vec<Option<(usize, isize)>>,
    nan: Vec<bool>,
    width: usize,
    slots: usize,
    pad_begin: usize,
    copy: usize,
    /// Per-output W divisor factors, for counted averages.
    counts: Vec<f64>,
    reciprocals: Vec<f64>,
    /// The H factor `reciprocals` holds.
    reciprocals_for: Option<f64>,
}

impl<E: Copy> Ring<E> {
    fn new<T: Element, L: Lanes<T = T>, F: Frames<L, E = E>>(
        job: &Framed<T>,
        lanes: usize,
    ) -> Self {
        let (h, w) = (job.h, job.w);
        let width = frame_width(&w, lanes);
        let slots = ring_slots(&h);
        let counts: Vec<f64> = match job.planes.kind {
            Kind::Avg(Mean::Count { include_pad }) => (0..w.output)
                .map(|o| w.count(o, include_pad) as f64)
                .collect(),
            _ => Vec::new(),
        };
        Ring {
            // Padding is written once: fetches only ever replace the row's own elements.
            buffer: vec![F::pad(job.planes.kind); slots * width],
            tags: vec![None; slots],
            nan: vec![false; slots],
            width,
            slots,
            pad_begin: w.pad_begin,
            copy: w.input.min(width - w.pad_begin.min(width)),
            reciprocals: vec![0.0; counts.len()],
            counts,
            reciprocals_for: None,
        }
    }

    fn base(&self) -> *const E {
        self.buffer.as_ptr()
    }

    /// The offset from [`Ring::base`] of the frame of input row `h` of `plane`, which
    /// starts at `row` (copied unless its slot holds it already), and whether the frame
    /// holds a NaN.
    ///
    /// # Safety
    /// `row` must start an input row of `w.input` readable elements.
    #[inline(always)]
    unsafe fn fetch<L: Lanes, F: Frames<L, E = E>>(
        &mut self,
        plane: usize,
        h: isize,
        row: *const L::T,
        kind: Kind,
    ) -> (isize, bool) {
        // A power of two: no division per row.
        let slot = h as usize & (self.slots - 1);
        let start = slot * self.width;
        if self.tags[slot] != Some((plane, h)) {
            let dst = self.buffer[start + self.pad_begin..start + self.pad_begin + self.copy]
                .as_mut_ptr();
            // SAFETY: the caller guarantees the row's elements; `copy <= w.input`, and
            // `dst` has `copy` elements (bounds-checked slice above).
            self.nan[slot] = unsafe { F::fill(row, dst, self.copy, kind) };
            self.tags[slot] = Some((plane, h));
        }
        (start as isize, self.nan[slot])
    }

    /// Reciprocals of each output's divisor in a row whose H axis counts `hcount` taps,
    /// the factors multiplied in the reference's axis order.
    fn reciprocals(&mut self, hcount: f64) -> *const f64 {
        if self.reciprocals_for != Some(hcount) {
            for (r, &c) in self.reciprocals.iter_mut().zip(&self.counts) {
                *r = 1.0 / (hcount * c);
            }
            self.reciprocals_for = Some(hcount);
        }
        self.reciprocals.as_ptr()
    }
}

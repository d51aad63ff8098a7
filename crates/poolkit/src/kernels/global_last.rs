//! Global max / average pooling of channels-last tensors without indices: each batch
//! item's positions are read once, in memory order, into per-channel running results
//! that wait in a small per-thread scratch.
//!
//! A position's channels are contiguous, so reading position after position streams the
//! item from first byte to last (what the hardware prefetchers follow best). Four
//! positions are folded into a block of channels before its running result goes back to
//! the scratch, and every channel is still reduced in the reference's order: averages
//! bit-exact up to the final scaling, max bit-exact (a chunk that saw a NaN is redone per
//! channel with the exact rule; `max_first` keeps the first of equal values, so ±0 ties
//! need no redo).

use super::geom::{Kind, Mean, Planes};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes};
use crate::element::Element;
use std::ops::Range;

/// Most channels per task: their running sums (8 bytes a channel) stay in L1.
pub(crate) const MAX_CHUNK: usize = 2048;

/// Global pooling of an `[N, D, H, W, C]` view into `[N, 1, 1, 1, C]`.
pub(crate) struct GlobalChannelsLast<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    /// Strides of D, H and W (C has stride 1).
    pub spatial_strides: [isize; 3],
    pub extents: [usize; 3],
    /// Channels per task (a multiple of 64, or all of them).
    pub chunk: usize,
}

impl<T: Element> GlobalChannelsLast<T> {
    fn chunks(&self) -> usize {
        self.planes.channels.div_ceil(self.chunk)
    }

    /// The positions of batch item `n`, in row-major order.
    fn positions(&self, n: usize) -> Positions<T> {
        Positions {
            base: self.planes.plane(n, 0),
            extents: self.extents,
            strides: self.spatial_strides,
            at: [0; 3],
        }
    }

    fn divisor(&self) -> f64 {
        match self.planes.kind {
            Kind::Avg(Mean::Override(d)) => d,
            _ => self.extents.iter().product::<usize>() as f64,
        }
    }
}

impl<T: Element> Kernel<T> for GlobalChannelsLast<T> {
    fn tasks(&self) -> usize {
        self.planes.batch * self.chunks()
    }

    fn elements(&self) -> usize {
        self.planes.elements
    }

    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let lanes = L::LANES;
        let chunks = self.chunks();
        let blocks_most = self.chunk.div_ceil(lanes);
        let mut sums = Vec::new();
        // Each task starts its maxima from its first position's values.
        let mut best = Vec::new();
        if let Kind::Avg(_) = self.planes.kind {
            sums.resize(blocks_most, L::acc_zero());
        } else {
            best.reserve(blocks_most);
        }
        for task in range {
            let (n, chunk) = (task / chunks, task % chunks);
            let lo = chunk * self.chunk;
            let hi = (lo + self.chunk).min(self.planes.channels);
            let out = self.planes.out.0.wrapping_add(n * self.planes.channels);
            if hi - lo < lanes {
                for c in lo..hi {
                    self.put_exact(n, c, out);
                }
                continue;
            }
            let blocks = (hi - lo).div_ceil(lanes);
            // The last block of a ragged chunk overlaps its neighbour.
            let start = |b: usize| (lo + b * lanes).min(hi - lanes);
            // SAFETY: every position pointer is an in-bounds position of item `n`, every
            // block lies in `lo..hi` within `0..C`, so loads read the input and stores
            // write item `n`'s outputs `lo..hi`; `blocks <= blocks_most`.
            unsafe {
                match self.planes.kind {
                    Kind::Avg(_) => {
                        let sums = &mut sums[..blocks];
                        sums.fill(L::acc_zero());
                        let mut positions = self.positions(n);
                        while let Some((group, len)) = positions.next_group() {
                            for (b, sum) in sums.iter_mut().enumerate() {
                                let c = start(b);
                                let mut acc = *sum;
                                for p in &group[..len] {
                                    acc = L::acc_add(acc, L::load(p.add(c)));
                                }
                                *sum = acc;
                            }
                        }
                        let divisor = self.divisor();
                        for (b, sum) in sums.iter().enumerate() {
                            L::store(out.add(start(b)), L::acc_mean(*sum, divisor));
                        }
                    }
                    Kind::Max => {
                        best.clear();
                        let mut nan = L::none();
                        let mut positions = self.positions(n);
                        while let Some((group, len)) = positions.next_group() {
                            let mut rest = &group[..len];
                            if best.is_empty() {
                                for b in 0..blocks {
                                    let v = L::load(group[0].add(start(b)));
                                    nan = L::flag_nan(nan, v);
                                    best.push(v);
                                }
                                rest = &group[1..len];
                            }
                            for (b, m) in best.iter_mut().enumerate() {
                                let c = start(b);
                                let mut acc = *m;
                                for p in rest {
                                    let v = L::load(p.add(c));
                                    nan = L::flag_nan(nan, v);
                                    acc = L::max_first(acc, v);
                                }
                                *m = acc;
                            }
                        }
                        if L::any(nan) {
                            for c in lo..hi {
                                self.put_exact(n, c, out);
                            }
                        } else {
                            for (b, m) in best.iter().enumerate() {
                                L::store(out.add(start(b)), *m);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl<T: Element> GlobalChannelsLast<T> {
    /// Channel `c` of item `n` by the reference's exact rules, into `out[c]`.
    #[inline(never)]
    #[cold]
    fn put_exact(&self, n: usize, c: usize, out: *mut T) {
        let mut sum = -0.0f64;
        let mut best = T::LOWEST;
        let mut seen = false;
        let mut positions = self.positions(n);
        while let Some((group, len)) = positions.next_group() {
            for p in &group[..len] {
                // SAFETY: `p` is an in-bounds position and `c < C`.
                let v = unsafe { *p.add(c) };
                match self.planes.kind {
                    Kind::Avg(_) => sum += v.to_f64(),
                    Kind::Max => {
                        if !seen || takes_over(best, v) {
                            best = v;
                        }
                        seen = true;
                    }
                }
            }
        }
        let value = match self.planes.kind {
            Kind::Avg(_) => T::from_mean(sum, self.divisor()),
            Kind::Max => best,
        };
        // SAFETY: `out[c]` is this task's output.
        unsafe { out.add(c).write(value) };
    }
}

/// Walks the positions of one batch item in row-major order (D, H, W), handing out their
/// starts up to four at a time.
struct Positions<T> {
    base: *const T,
    extents: [usize; 3],
    strides: [isize; 3],
    /// The next position's D, H, W.
    at: [usize; 3],
}

impl<T> Positions<T> {
    /// The next positions' starts and how many there are (4, fewer only at the end), or
    /// `None` when none are left.
    #[inline(always)]
    fn next_group(&mut self) -> Option<([*const T; 4], usize)> {
        let [d, h, w] = self.extents;
        let [sd, sh, sw] = self.strides;
        let mut group = [self.base; 4];
        let mut len = 0;
        while len < 4 && self.at[0] < d {
            let [pd, ph, pw] = self.at;
            group[len] = self
                .base
                .wrapping_offset(pd as isize * sd + ph as isize * sh + pw as isize * sw);
            len += 1;
            self.at[2] += 1;
            if self.at[2] == w {
                self.at[2] = 0;
                self.at[1] += 1;
                if self.at[1] == h {
                    self.at[1] = 0;
                    self.at[0] += 1;
                }
            }
        }
        (len > 0).then_some((group, len))
    }
}

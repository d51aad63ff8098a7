//! Global max / average pooling of channels-first tensors: one output per plane, each a
//! read-only sweep of the plane with several registers in flight.
//!
//! A plane whose spatial axes are contiguous is swept as one run (a 7×7 plane is 49
//! elements, not 7 rows of 7). Averages put `LANES` neighbouring planes side by side, one
//! per lane (a strided gather), so that each plane is summed in the reference's order:
//! bit-exact. Max finds the largest value with SIMD, then re-reads the plane only when the
//! exact rule needs a position: a NaN was seen (the first NaN wins), the maximum is a zero
//! (its sign is the first zero's), or the caller wants the argmax index.

use super::geom::{Kind, Mean, Planes};
use super::kernel::Kernel;
use super::lanes::{takes_over, Lanes};
use crate::element::Element;
use std::ops::Range;

/// Global pooling of an `[N, C, D, H, W]` view into `[N, C, 1, 1, 1]`.
pub(crate) struct GlobalChannelsFirst<T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    /// Extents and strides of D, H, W (W has stride 1).
    pub extents: [usize; 3],
    pub strides: [isize; 3],
}

impl<T: Element> Kernel<T> for GlobalChannelsFirst<T> {
    fn tasks(&self) -> usize {
        self.planes.batch * self.planes.channels
    }

    fn elements(&self) -> usize {
        self.planes.elements
    }

    #[inline(always)]
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>) {
        let [d, h, w] = self.extents;
        let [sd, sh, _] = self.strides;
        // One run per plane when D and H follow W contiguously.
        let flat = (h == 1 || sh == w as isize) && (d == 1 || sd == (h * w) as isize);
        let (runs, run_len) = if flat { (1, d * h * w) } else { (d * h, w) };
        let plane_src = |plane: usize| {
            let (n, c) = self.planes.split(plane);
            self.planes.plane(n, c)
        };
        let run_at = |base: *const T, r: usize| {
            base.wrapping_offset((r / h) as isize * sd + (r % h) as isize * sh)
        };
        let lanes = L::LANES;
        let gather_ok = self.planes.channel_stride.unsigned_abs() * lanes <= i32::MAX as usize;
        let mut plane = range.start;
        while plane < range.end {
            let (n, c) = self.planes.split(plane);
            let base = plane_src(plane);
            if let Kind::Avg(mean) = self.planes.kind {
                let divisor = match mean {
                    Mean::Override(d) => d,
                    Mean::Count { .. } => (d * h * w) as f64,
                };
                if lanes > 1
                    && plane + lanes <= range.end
                    && c + lanes <= self.planes.channels
                    && gather_ok
                {
                    // `LANES` planes of one batch item side by side, one per lane: each
                    // lane sums its plane in the reference's order.
                    let mut acc = L::acc_zero();
                    for r in 0..runs {
                        let p = run_at(base, r);
                        // SAFETY: elements `0..run_len` of run `r` of planes `c..c + LANES`.
                        acc =
                            unsafe { L::sum_columns(acc, p, self.planes.channel_stride, run_len) };
                    }
                    // SAFETY: outputs `plane..plane + LANES` belong to this task.
                    unsafe { L::store(self.planes.out.0.add(plane), L::acc_mean(acc, divisor)) };
                    plane += lanes;
                    continue;
                }
                let mut sum = -0.0f64;
                for r in 0..runs {
                    let p = run_at(base, r);
                    for k in 0..run_len {
                        // SAFETY: element `k` of run `r` of this plane.
                        sum += unsafe { *p.add(k) }.to_f64();
                    }
                }
                // SAFETY: output `plane` belongs to this task.
                unsafe {
                    self.planes
                        .out
                        .0
                        .add(plane)
                        .write(T::from_mean(sum, divisor))
                };
                plane += 1;
                continue;
            }
            let mut found = Largest::<T>::default();
            for r in 0..runs {
                // SAFETY: each run is `run_len` in-bounds elements of this plane.
                unsafe { run_max::<L>(run_at(base, r), run_len, &mut found) };
            }
            let (value, index) =
                if found.nan || found.value == T::ZERO || self.planes.indices.is_some() {
                    // SAFETY: as above.
                    unsafe { first_max(runs, run_len, &|r| run_at(base, r)) }
                } else {
                    (found.value, 0)
                };
            // SAFETY: one output (and index) per plane; `plane` is this task's.
            unsafe {
                self.planes.out.0.add(plane).write(value);
                if let Some(indices) = self.planes.indices {
                    // Runs are rows in row-major order, so `index` is the flat position.
                    let (pd, rest) = (index / (h * w), index % (h * w));
                    let [wd, wh, ww] = self.planes.index_map.weights;
                    let flat_index =
                        pd as i64 * wd + (rest / w) as i64 * wh + (rest % w) as i64 * ww;
                    indices.0.add(plane).write(
                        self.planes
                            .index_map
                            .plane_offset(n, c, self.planes.channels)
                            + flat_index,
                    );
                }
            }
            plane += 1;
        }
    }
}

/// The largest value seen so far, ignoring NaNs, and whether one was seen.
struct Largest<T> {
    value: T,
    nan: bool,
}

impl<T: Element> Default for Largest<T> {
    fn default() -> Self {
        Largest {
            value: T::LOWEST,
            nan: false,
        }
    }
}

/// Folds `len` elements from `p` into `found`.
#[inline(always)]
unsafe fn run_max<L: Lanes>(p: *const L::T, len: usize, found: &mut Largest<L::T>) {
    let lanes = L::LANES;
    let mut i = 0;
    // SAFETY: the caller guarantees p[0..len].
    unsafe {
        if len >= 2 * lanes {
            let (mut a, mut b) = (L::load(p), L::load(p.add(lanes)));
            let mut nan = L::flag_nan2(L::none(), a, b);
            i = 2 * lanes;
            while i + 2 * lanes <= len {
                let (x, y) = (L::load(p.add(i)), L::load(p.add(i + lanes)));
                nan = L::flag_nan2(nan, x, y);
                a = L::max_first(a, x);
                b = L::max_first(b, y);
                i += 2 * lanes;
            }
            // Without a NaN the order of the lanes cannot change the value (a zero
            // maximum is redone), so the register is folded by halves.
            let m = L::max_lane(L::max_first(a, b));
            if m > found.value {
                found.value = m;
            }
            found.nan |= L::any(nan);
        }
        for k in i..len {
            let v = *p.add(k);
            found.nan |= v.is_nan();
            if v > found.value {
                found.value = v;
            }
        }
    }
}

/// The reference's max over the runs: the first NaN, else the first maximum, with its
/// position counted over the runs in order.
#[inline(never)]
unsafe fn first_max<T: Element>(
    runs: usize,
    len: usize,
    run_start: &impl Fn(usize) -> *const T,
) -> (T, usize) {
    let mut best = T::LOWEST;
    let mut at = 0;
    for r in 0..runs {
        let p = run_start(r);
        for k in 0..len {
            // SAFETY: the caller guarantees each run's `len` elements.
            let v = unsafe { *p.add(k) };
            if (r == 0 && k == 0) || takes_over(best, v) {
                best = v;
                at = r * len + k;
            } else if best.is_nan() {
                return (best, at);
            }
        }
    }
    (best, at)
}

//! The vector vocabulary every fast kernel is written in, once: `LANES` values in a
//! register and the handful of operations pooling needs. One implementation per
//! instruction set (`Scalar<T>` for every element type here; SSE2, AVX2 and AVX-512 for
//! f32 in `x86`), so a kernel is written once and instantiated per variant.

use crate::element::Element;
use std::marker::PhantomData;

/// `LANES` elements of type `T` in a register.
///
/// Semantics every implementation keeps, lane by lane, so that all variants give the
/// same bits as the scalar one:
/// - `max_first(acc, cand)` is `cand > acc ? cand : acc`: ties keep the earlier value and
///   a NaN candidate is ignored (the caller watches for NaN with `flag_nan` and redoes a
///   block that saw one with the exact scalar rule);
/// - averages accumulate in `f64`, lane by lane, in the order the caller adds, and
///   `acc_mean` divides by the divisor in `f64` and rounds once into `T` (`Scalar`),
///   or multiplies by its `f64` reciprocal (the SIMD variants: a division per block
///   would cost more than the memory traffic; exact for power-of-two divisors, else
///   within one f64 rounding of the quotient, so at most 1 ulp of `T`).
///
/// # Safety
/// An implementation may only be instantiated on a CPU that has its instruction set: the
/// dispatcher checks it once and instantiates the SIMD ones only inside functions with the
/// matching `#[target_feature]`. Memory methods read or write exactly the elements their
/// documentation names; callers guarantee those exist.
pub(crate) unsafe trait Lanes: Copy + 'static {
    /// The element type.
    type T: Element;
    /// `LANES` elements.
    type V: Copy;
    /// A per-lane condition.
    type M: Copy;
    /// `LANES` tap numbers or index terms (i32 per lane in the SIMD variants).
    type I: Copy;
    /// `LANES` running sums in `f64`.
    type Acc: Copy;
    /// Lanes per register.
    const LANES: usize;
    /// Alignment in bytes that `store_stream` needs; 0 when the variant never streams.
    const STREAM_ALIGN: usize;

    /// Reads `p[0..LANES]`.
    unsafe fn load(p: *const Self::T) -> Self::V;
    /// Reads `p[0..2*LANES]` and returns the even-indexed elements, in this variant's raw
    /// lane order (see [`Lanes::unraw`]).
    unsafe fn load_even_raw(p: *const Self::T) -> Self::V;
    /// Reads `p[0..2*LANES]` and returns (even, odd) elements in raw lane order.
    unsafe fn load_pair_raw(p: *const Self::T) -> (Self::V, Self::V);
    /// Lane `l` is `p[l * stride]`; `stride * (LANES - 1)` fits in i32.
    unsafe fn load_strided(p: *const Self::T, stride: isize) -> Self::V;
    /// Puts a raw-ordered register back in element order.
    fn unraw(v: Self::V) -> Self::V;
    /// [`Lanes::unraw`] for index registers.
    fn unraw_i(i: Self::I) -> Self::I;
    /// Writes `p[0..LANES]`.
    unsafe fn store(p: *mut Self::T, v: Self::V);
    /// Writes `p[0..LANES]` bypassing the cache; `p` is aligned to `STREAM_ALIGN`.
    unsafe fn store_stream(p: *mut Self::T, v: Self::V);
    /// Writes the lanes to `out[0..LANES]` (`out` has room for 16).
    fn spill(v: Self::V, out: &mut [Self::T; 16]);

    /// The largest lane of `v`, which holds no NaN (of equal zeros, either sign: callers
    /// redo a zero maximum with the exact rule).
    #[inline(always)]
    fn max_lane(v: Self::V) -> Self::T {
        let mut spill = [Self::T::ZERO; 16];
        Self::spill(v, &mut spill);
        let mut best = spill[0];
        for &x in &spill[1..Self::LANES] {
            if x > best {
                best = x;
            }
        }
        best
    }
    /// `cand > acc ? cand : acc`, lane by lane.
    fn max_first(acc: Self::V, cand: Self::V) -> Self::V;
    /// `cand > acc`, lane by lane (false when either is NaN).
    fn greater(cand: Self::V, acc: Self::V) -> Self::M;
    /// No lane set.
    fn none() -> Self::M;
    /// `flags | isnan(v)`.
    fn flag_nan(flags: Self::M, v: Self::V) -> Self::M;
    /// `flags | isnan(a) | isnan(b)`.
    fn flag_nan2(flags: Self::M, a: Self::V, b: Self::V) -> Self::M;
    /// True when any lane is set.
    fn any(m: Self::M) -> bool;

    /// Every lane `v`.
    fn splat_i(v: i32) -> Self::I;
    /// `take ? cand : acc`, lane by lane.
    fn blend_i(acc: Self::I, cand: Self::I, take: Self::M) -> Self::I;
    /// Writes `p[l] = best[l] + first + l * step` as i64 for every lane `l`.
    unsafe fn store_indices(p: *mut i64, best: Self::I, first: i64, step: i64);

    /// Empty sums: `-0.0`, the neutral element Rust's `f64` sum starts from, so that a
    /// window of negative zeros averages to `-0.0` as in the reference.
    fn acc_zero() -> Self::Acc;
    /// `acc + v`, each lane widened to f64.
    fn acc_add(acc: Self::Acc, v: Self::V) -> Self::Acc;
    /// Adds, for `k` in `0..len` in order, the register whose lane `l` is
    /// `p[l * stride + k]`: `LANES` sequences summed side by side, each in its own order.
    /// The caller guarantees those elements and that `stride * LANES` fits in i32.
    #[inline(always)]
    unsafe fn sum_columns(
        acc: Self::Acc,
        p: *const Self::T,
        stride: isize,
        len: usize,
    ) -> Self::Acc {
        let mut acc = acc;
        for k in 0..len {
            // SAFETY: forwarded from the caller.
            acc = Self::acc_add(acc, unsafe { Self::load_strided(p.add(k), stride) });
        }
        acc
    }
    /// Sums read from `p[0..LANES]` (a row widened by [`Lanes::store_wide`]).
    unsafe fn acc_load(p: *const f64) -> Self::Acc;
    /// `acc + more`, lane by lane.
    fn acc_sum(acc: Self::Acc, more: Self::Acc) -> Self::Acc;
    /// Writes the lanes of `v`, widened exactly to f64, to `p[0..LANES]`.
    unsafe fn store_wide(p: *mut f64, v: Self::V);
    /// `acc / divisor`, each lane rounded once into `T`.
    fn acc_mean(acc: Self::Acc, divisor: f64) -> Self::V;
    /// `acc[l] * reciprocals[l]` for `l < LANES`, rounded once into `T` (`raw`: `acc` is
    /// in the stride-2 raw lane order, `reciprocals` in element order). The caller
    /// guarantees `reciprocals[0..LANES]`.
    unsafe fn acc_scale_lanes(acc: Self::Acc, reciprocals: *const f64, raw: bool) -> Self::V;

    /// Outputs per [`Lanes::pair_max_wide`] step: the 2×2/s2 max of narrow types, whose
    /// registers hold more outputs than `LANES`. 0 when this variant has no such step.
    const PAIR_MAX_WIDE: usize = 0;
    /// 2×2/s2 max without indices of `PAIR_MAX_WIDE` outputs: `out[l]` is the max of
    /// `r0[2l]`, `r0[2l + 1]`, `r1[2l]`, `r1[2l + 1]` by the reference's rule (ties keep
    /// the earliest bits). Returns false, having written nothing, when a NaN was seen:
    /// the caller redoes those outputs with the exact scalar code.
    ///
    /// # Safety
    /// `r0[0..2 * PAIR_MAX_WIDE]` and `r1[0..2 * PAIR_MAX_WIDE]` are readable and
    /// `out[0..PAIR_MAX_WIDE]` writable; only called when `PAIR_MAX_WIDE > 0`.
    #[inline(always)]
    unsafe fn pair_max_wide(r0: *const Self::T, r1: *const Self::T, out: *mut Self::T) -> bool {
        let _ = (r0, r1, out);
        false
    }

    /// Outputs per [`Lanes::pair_mean4_wide`] step; 0 when this variant has none.
    const PAIR_MEAN4_WIDE: usize = 0;
    /// 2×2/s2 average with divisor 4 of `PAIR_MEAN4_WIDE` outputs: `out[l]` is the sum
    /// of `r0[2l]`, `r0[2l + 1]`, `r1[2l]`, `r1[2l + 1]` divided by 4 and rounded once,
    /// bit for bit as [`Element::from_mean`] rounds it. Returns false, having written
    /// nothing, when the caller must redo those outputs with the exact scalar code.
    ///
    /// # Safety
    /// As [`Lanes::pair_max_wide`], with `PAIR_MEAN4_WIDE`.
    #[inline(always)]
    unsafe fn pair_mean4_wide(r0: *const Self::T, r1: *const Self::T, out: *mut Self::T) -> bool {
        let _ = (r0, r1, out);
        false
    }
}

/// One element at a time, for any element type: the portable variant, and the fast path
/// (monomorphised, allocation-free) of every type without SIMD kernels.
#[derive(Debug)]
pub(crate) struct Scalar<T>(PhantomData<T>);

impl<T> Clone for Scalar<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Scalar<T> {}

// SAFETY: plain element reads and writes of exactly the documented elements.
unsafe impl<T: Element> Lanes for Scalar<T> {
    type T = T;
    type V = T;
    type M = bool;
    type I = i32;
    type Acc = f64;
    const LANES: usize = 1;
    const STREAM_ALIGN: usize = 0;

    #[inline(always)]
    unsafe fn load(p: *const T) -> T {
        // SAFETY: the caller guarantees p[0] exists.
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn load_even_raw(p: *const T) -> T {
        // SAFETY: the caller guarantees p[0..2] exist; only p[0] is needed.
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn load_pair_raw(p: *const T) -> (T, T) {
        // SAFETY: the caller guarantees p[0..2] exist.
        unsafe { (*p, *p.add(1)) }
    }
    #[inline(always)]
    unsafe fn load_strided(p: *const T, _stride: isize) -> T {
        // SAFETY: the caller guarantees p[0] exists.
        unsafe { *p }
    }
    #[inline(always)]
    fn unraw(v: T) -> T {
        v
    }
    #[inline(always)]
    fn unraw_i(i: i32) -> i32 {
        i
    }
    #[inline(always)]
    unsafe fn store(p: *mut T, v: T) {
        // SAFETY: the caller guarantees p[0] is writable.
        unsafe { p.write(v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut T, v: T) {
        // SAFETY: as `store`.
        unsafe { p.write(v) }
    }
    #[inline(always)]
    fn spill(v: T, out: &mut [T; 16]) {
        out[0] = v;
    }
    #[inline(always)]
    fn max_first(acc: T, cand: T) -> T {
        if cand > acc {
            cand
        } else {
            acc
        }
    }
    #[inline(always)]
    fn greater(cand: T, acc: T) -> bool {
        cand > acc
    }
    #[inline(always)]
    fn none() -> bool {
        false
    }
    #[inline(always)]
    fn flag_nan(flags: bool, v: T) -> bool {
        flags | v.is_nan()
    }
    #[inline(always)]
    fn flag_nan2(flags: bool, a: T, b: T) -> bool {
        flags | a.is_nan() | b.is_nan()
    }
    #[inline(always)]
    fn any(m: bool) -> bool {
        m
    }
    #[inline(always)]
    fn splat_i(v: i32) -> i32 {
        v
    }
    #[inline(always)]
    fn blend_i(acc: i32, cand: i32, take: bool) -> i32 {
        if take {
            cand
        } else {
            acc
        }
    }
    #[inline(always)]
    unsafe fn store_indices(p: *mut i64, best: i32, first: i64, _step: i64) {
        // SAFETY: the caller guarantees p[0] is writable.
        unsafe { p.write(best as i64 + first) }
    }
    #[inline(always)]
    fn acc_zero() -> f64 {
        -0.0
    }
    #[inline(always)]
    fn acc_add(acc: f64, v: T) -> f64 {
        acc + v.to_f64()
    }
    #[inline(always)]
    unsafe fn acc_load(p: *const f64) -> f64 {
        // SAFETY: the caller guarantees p[0] exists.
        unsafe { *p }
    }
    #[inline(always)]
    fn acc_sum(acc: f64, more: f64) -> f64 {
        acc + more
    }
    #[inline(always)]
    unsafe fn store_wide(p: *mut f64, v: T) {
        // SAFETY: the caller guarantees p[0] is writable.
        unsafe { p.write(v.to_f64()) }
    }
    #[inline(always)]
    fn acc_mean(acc: f64, divisor: f64) -> T {
        T::from_mean(acc, divisor)
    }
    #[inline(always)]
    unsafe fn acc_scale_lanes(acc: f64, reciprocals: *const f64, _raw: bool) -> T {
        // SAFETY: the caller guarantees reciprocals[0].
        T::from_f64(acc * unsafe { *reciprocals })
    }
}

/// The reference's max rule for one more candidate: the first NaN wins, else the first
/// strictly greater value. Returns true when `cand` replaces `best`.
#[inline(always)]
pub(crate) fn takes_over<T: Element>(best: T, cand: T) -> bool {
    !best.is_nan() && (cand.is_nan() || cand > best)
}

//! u8, i8 and u16 on AVX2: the scalar lanes (one element, exact integer rules) compiled
//! with AVX2, plus a wide 2×2/s2 max step built from the integer max instructions (32
//! outputs a step for bytes, 16 for u16). Integer max needs no tie or NaN rule: equal
//! values are equal bits.

use super::token::Avx2Token;
use crate::element::Element;
use crate::kernels::lanes::{Lanes, Scalar};
use std::arch::x86_64::*;
use std::marker::PhantomData;

/// An integer type with an AVX2 2×2/s2 max step.
pub(crate) trait IntMax: Element {
    /// Outputs per step.
    const WIDE: usize;
    /// `out[l] = max(r0[2l], r0[2l + 1], r1[2l], r1[2l + 1])` for `l < WIDE`.
    ///
    /// # Safety
    /// `r0[0..2 * WIDE]`, `r1[0..2 * WIDE]` readable, `out[0..WIDE]` writable.
    unsafe fn pair_max(t: Avx2Token, r0: *const Self, r1: *const Self, out: *mut Self);
    /// Outputs per [`IntMax::pair_mean4`] step; 0 when the type has none.
    const MEAN4_WIDE: usize = 0;
    /// `out[l]` = the sum of `r0[2l]`, `r0[2l + 1]`, `r1[2l]`, `r1[2l + 1]` over 4,
    /// rounded half to even, for `l < MEAN4_WIDE`.
    ///
    /// # Safety
    /// As [`IntMax::pair_max`], with `MEAN4_WIDE`; only called when it is not 0.
    #[inline(always)]
    unsafe fn pair_mean4(t: Avx2Token, r0: *const Self, r1: *const Self, out: *mut Self) {
        let _ = (t, r0, r1, out);
        unreachable!("no 2x2 mean step for this type")
    }
}

/// Two rows' 64 bytes each, as two registers per row (the token: AVX2 is present).
///
/// # Safety
/// `r0[0..64]` and `r1[0..64]` (in bytes) readable.
#[inline(always)]
unsafe fn rows64<T>(_: Avx2Token, r0: *const T, r1: *const T) -> [__m256i; 4] {
    // SAFETY: forwarded from the caller.
    unsafe {
        let (a, b) = (r0 as *const __m256i, r1 as *const __m256i);
        [
            _mm256_loadu_si256(a),
            _mm256_loadu_si256(a.add(1)),
            _mm256_loadu_si256(b),
            _mm256_loadu_si256(b.add(1)),
        ]
    }
}

/// Keeps the low element of each pair of `v` (bytes or words) and packs two registers'
/// worth into one, in element order.
#[inline(always)]
fn pack_low<const WORDS: bool>(t: Avx2Token, lo: __m256i, hi: __m256i) -> __m256i {
    // Packing saturates signed values: the masked low elements are non-negative and in
    // range, so it only keeps them. It works within 128-bit halves, leaving the 64-bit
    // blocks in the order lo 0, hi 0, lo 1, hi 1.
    let packed = if WORDS {
        let mask = t.set1_epi32(0xffff);
        t.packus_epi32(t.and_si256(lo, mask), t.and_si256(hi, mask))
    } else {
        let mask = t.set1_epi16(0xff);
        t.packus_epi16(t.and_si256(lo, mask), t.and_si256(hi, mask))
    };
    t.permute4x64_epi64::<0b11_01_10_00>(packed)
}

macro_rules! byte_max {
    ($t:ty, $max:ident) => {
        impl IntMax for $t {
            const WIDE: usize = 32;
            #[inline(always)]
            unsafe fn pair_max(t: Avx2Token, r0: *const $t, r1: *const $t, out: *mut $t) {
                // SAFETY: forwarded from the caller (64 elements of one byte per row).
                unsafe {
                    let [a0, a1, b0, b1] = rows64(t, r0, r1);
                    // Rows first, then each 16-bit pair: the low byte of every word ends
                    // up holding the max of its window (the high byte is discarded).
                    let (v0, v1) = (t.$max(a0, b0), t.$max(a1, b1));
                    let m0 = t.$max(v0, t.srli_epi16::<8>(v0));
                    let m1 = t.$max(v1, t.srli_epi16::<8>(v1));
                    _mm256_storeu_si256(out as *mut __m256i, pack_low::<false>(t, m0, m1));
                }
            }
        }
    };
}

byte_max!(i8, max_epi8);

impl IntMax for u8 {
    const WIDE: usize = 32;
    #[inline(always)]
    unsafe fn pair_max(t: Avx2Token, r0: *const u8, r1: *const u8, out: *mut u8) {
        // SAFETY: forwarded from the caller (64 bytes per row).
        unsafe {
            let [a0, a1, b0, b1] = rows64(t, r0, r1);
            // Rows first, then each 16-bit pair: the low byte of every word ends up
            // holding the max of its window (the high byte is discarded).
            let (v0, v1) = (t.max_epu8(a0, b0), t.max_epu8(a1, b1));
            let m0 = t.max_epu8(v0, t.srli_epi16::<8>(v0));
            let m1 = t.max_epu8(v1, t.srli_epi16::<8>(v1));
            _mm256_storeu_si256(out as *mut __m256i, pack_low::<false>(t, m0, m1));
        }
    }

    const MEAN4_WIDE: usize = 32;
    #[inline(always)]
    unsafe fn pair_mean4(t: Avx2Token, r0: *const u8, r1: *const u8, out: *mut u8) {
        // SAFETY: forwarded from the caller (64 bytes per row).
        unsafe {
            let [a0, a1, b0, b1] = rows64(t, r0, r1);
            // `maddubs` against ones adds each byte pair into a word (at most 510: no
            // saturation), so a word holds its window's exact sum `s <= 1020`.
            let ones = t.set1_epi8(1);
            let pairs = |v: __m256i| t.maddubs_epi16(v, ones);
            let s0 = t.add_epi16(pairs(a0), pairs(b0));
            let s1 = t.add_epi16(pairs(a1), pairs(b1));
            // s / 4 half to even: with q = s >> 2, (s + 1 + (q & 1)) >> 2 rounds the
            // remainders 0, 1 down, 3 up, and 2 to the even one of q, q + 1.
            let one = t.set1_epi16(1);
            let mean = |s: __m256i| {
                let odd = t.and_si256(t.srli_epi16::<2>(s), one);
                t.srli_epi16::<2>(t.add_epi16(t.add_epi16(s, one), odd))
            };
            let packed = pack_low::<false>(t, mean(s0), mean(s1));
            _mm256_storeu_si256(out as *mut __m256i, packed);
        }
    }
}

impl IntMax for u16 {
    const WIDE: usize = 16;
    #[inline(always)]
    unsafe fn pair_max(t: Avx2Token, r0: *const u16, r1: *const u16, out: *mut u16) {
        // SAFETY: forwarded from the caller (32 elements of two bytes per row).
        unsafe {
            let [a0, a1, b0, b1] = rows64(t, r0, r1);
            let (v0, v1) = (t.max_epu16(a0, b0), t.max_epu16(a1, b1));
            let m0 = t.max_epu16(v0, t.srli_epi32::<16>(v0));
            let m1 = t.max_epu16(v1, t.srli_epi32::<16>(v1));
            _mm256_storeu_si256(out as *mut __m256i, pack_low::<true>(t, m0, m1));
        }
    }
}

/// One integer lane, as [`Scalar`], with the AVX2 2×2/s2 max step.
#[derive(Debug)]
pub(crate) struct Avx2Int<T>(PhantomData<T>);

impl<T> Clone for Avx2Int<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Avx2Int<T> {}

type S<T> = Scalar<T>;

/// The token for `Avx2Int`'s wide steps.
#[inline(always)]
fn token() -> Avx2Token {
    // SAFETY: only called from `Avx2Int`'s `Lanes` methods, which by the contract of that
    // `unsafe impl` run only where AVX2 was detected.
    unsafe { Avx2Token::new_unchecked() }
}

// SAFETY: instantiated only inside the AVX2 integer entry point, run after the dispatcher
// saw AVX2; every method but `pair_max_wide` is the scalar one, and that one touches
// exactly the elements `Lanes` documents.
unsafe impl<T: IntMax> Lanes for Avx2Int<T> {
    type T = T;
    type V = T;
    type M = bool;
    type I = i32;
    type Acc = f64;
    const LANES: usize = 1;
    const STREAM_ALIGN: usize = 0;
    const PAIR_MAX_WIDE: usize = T::WIDE;

    #[inline(always)]
    unsafe fn pair_max_wide(r0: *const T, r1: *const T, out: *mut T) -> bool {
        // SAFETY: forwarded from the caller.
        unsafe { T::pair_max(token(), r0, r1, out) };
        true
    }
    const PAIR_MEAN4_WIDE: usize = T::MEAN4_WIDE;
    #[inline(always)]
    unsafe fn pair_mean4_wide(r0: *const T, r1: *const T, out: *mut T) -> bool {
        // SAFETY: forwarded from the caller.
        unsafe { T::pair_mean4(token(), r0, r1, out) };
        true
    }

    #[inline(always)]
    unsafe fn load(p: *const T) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::load(p) }
    }
    #[inline(always)]
    unsafe fn load_even_raw(p: *const T) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::load_even_raw(p) }
    }
    #[inline(always)]
    unsafe fn load_pair_raw(p: *const T) -> (T, T) {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::load_pair_raw(p) }
    }
    #[inline(always)]
    unsafe fn load_strided(p: *const T, stride: isize) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::load_strided(p, stride) }
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
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::store(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut T, v: T) {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::store_stream(p, v) }
    }
    #[inline(always)]
    fn spill(v: T, out: &mut [T; 16]) {
        S::<T>::spill(v, out)
    }
    #[inline(always)]
    fn max_first(acc: T, cand: T) -> T {
        S::<T>::max_first(acc, cand)
    }
    #[inline(always)]
    fn greater(cand: T, acc: T) -> bool {
        S::<T>::greater(cand, acc)
    }
    #[inline(always)]
    fn none() -> bool {
        false
    }
    #[inline(always)]
    fn flag_nan(flags: bool, v: T) -> bool {
        S::<T>::flag_nan(flags, v)
    }
    #[inline(always)]
    fn flag_nan2(flags: bool, a: T, b: T) -> bool {
        S::<T>::flag_nan2(flags, a, b)
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
        S::<T>::blend_i(acc, cand, take)
    }
    #[inline(always)]
    unsafe fn store_indices(p: *mut i64, best: i32, first: i64, step: i64) {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::store_indices(p, best, first, step) }
    }
    #[inline(always)]
    fn acc_zero() -> f64 {
        S::<T>::acc_zero()
    }
    #[inline(always)]
    fn acc_add(acc: f64, v: T) -> f64 {
        S::<T>::acc_add(acc, v)
    }
    #[inline(always)]
    unsafe fn sum_columns(acc: f64, p: *const T, stride: isize, len: usize) -> f64 {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::sum_columns(acc, p, stride, len) }
    }
    #[inline(always)]
    unsafe fn acc_load(p: *const f64) -> f64 {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::acc_load(p) }
    }
    #[inline(always)]
    fn acc_sum(acc: f64, more: f64) -> f64 {
        S::<T>::acc_sum(acc, more)
    }
    #[inline(always)]
    unsafe fn store_wide(p: *mut f64, v: T) {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::store_wide(p, v) }
    }
    #[inline(always)]
    fn acc_mean(acc: f64, divisor: f64) -> T {
        S::<T>::acc_mean(acc, divisor)
    }
    #[inline(always)]
    unsafe fn acc_scale_lanes(acc: f64, reciprocals: *const f64, raw: bool) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { S::<T>::acc_scale_lanes(acc, reciprocals, raw) }
    }
}

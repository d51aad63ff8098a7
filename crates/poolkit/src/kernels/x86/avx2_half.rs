//! f16 and bf16 lanes on AVX2: eight halves widened to f32 on load (F16C for f16, a shift
//! for bf16) and narrowed on store, every operation in between being the f32 one.
//!
//! Widening is exact, so max values and indices are bit-exact. A mean is rounded from
//! f64 to f32, then to the half type: with f32's 24 bits against f16's 11 and bf16's 8,
//! that double rounding equals one rounding (q ≥ 2p + 2), so nothing is lost beyond
//! what the f32 path loses (the reciprocal's last bit). Blocks holding a NaN never reach
//! a narrowing store: the kernels redo them with the exact scalar code.

use super::avx2::Avx2;
use super::token::{Avx2Token, F16cToken};
use crate::kernels::lanes::Lanes;
use half::{bf16, f16};
use std::arch::x86_64::*;

/// Eight f16 lanes, computed as f32 (needs AVX2 and F16C).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2F16;

/// Eight bf16 lanes, computed as f32 (needs AVX2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Bf16;

/// The token for `Avx2F16`'s operations.
#[inline(always)]
fn f16_token() -> F16cToken {
    // SAFETY: only called from `Avx2F16`'s `Lanes` methods, which by the contract of that
    // `unsafe impl` run only where AVX2 and F16C were detected.
    unsafe { F16cToken::new_unchecked() }
}

/// The token for `Avx2Bf16`'s operations.
#[inline(always)]
fn bf16_token() -> Avx2Token {
    // SAFETY: only called from `Avx2Bf16`'s `Lanes` methods, which by the contract of
    // that `unsafe impl` run only where AVX2 was detected.
    unsafe { Avx2Token::new_unchecked() }
}

/// Widens eight f16 at `p`.
///
/// # Safety
/// `p[0..8]` readable.
#[inline(always)]
unsafe fn widen_f16(t: F16cToken, p: *const f16) -> __m256 {
    // SAFETY: forwarded from the caller.
    t.cvtph_ps(unsafe { _mm_loadu_si128(p as *const __m128i) })
}

/// Narrows eight f32 to f16 at `p`, rounding to nearest even.
///
/// # Safety
/// `p[0..8]` writable.
#[inline(always)]
unsafe fn narrow_f16(t: F16cToken, p: *mut f16, v: __m256) {
    let halves = t.cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
    // SAFETY: forwarded from the caller.
    unsafe { _mm_storeu_si128(p as *mut __m128i, halves) }
}

/// Widens eight bf16 at `p`: a bf16 is the top half of an f32.
///
/// # Safety
/// `p[0..8]` readable.
#[inline(always)]
unsafe fn widen_bf16(t: Avx2Token, p: *const bf16) -> __m256 {
    // SAFETY: forwarded from the caller.
    let halves = t.cvtepu16_epi32(unsafe { _mm_loadu_si128(p as *const __m128i) });
    t.castsi256_ps(t.slli_epi32::<16>(halves))
}

/// Narrows eight f32 to bf16 at `p`, rounding to nearest even (NaNs never come here).
///
/// # Safety
/// `p[0..8]` writable.
#[inline(always)]
unsafe fn narrow_bf16(t: Avx2Token, p: *mut bf16, v: __m256) {
    let bits = t.castps_si256(v);
    let odd = t.and_si256(t.srli_epi32::<16>(bits), t.set1_epi32(1));
    let bias = t.add_epi32(t.set1_epi32(0x7fff), odd);
    let top = t.srli_epi32::<16>(t.add_epi32(bits, bias));
    // Pack within 128-bit halves, then gather the two low quarters.
    let packed = t.permute4x64_epi64::<0b1000>(t.packus_epi32(top, top));
    // SAFETY: forwarded from the caller.
    unsafe { _mm_storeu_si128(p as *mut __m128i, t.castsi256_si128(packed)) }
}

/// `cand > acc ? cand : acc` for f32 lanes (`VMAXPS` returns its second operand on ties).
#[inline(always)]
fn max_first(t: Avx2Token, acc: __m256, cand: __m256) -> __m256 {
    t.max_ps(cand, acc)
}

/// `flags | isnan(a) | isnan(b)`.
#[inline(always)]
fn flag_nan2(t: Avx2Token, flags: __m256, a: __m256, b: __m256) -> __m256 {
    t.or_ps(flags, t.cmp_ps::<_CMP_UNORD_Q>(a, b))
}

/// The 2×2 max of (even, odd) columns of two rows in window order, and NaN flags.
#[inline(always)]
fn pair_max4(
    t: Avx2Token,
    flags: __m256,
    (e0, o0): (__m256, __m256),
    (e1, o1): (__m256, __m256),
) -> (__m256, __m256) {
    let flags = flag_nan2(t, flag_nan2(t, flags, e0, o0), e1, o1);
    let max = max_first(t, max_first(t, e0, o0), max_first(t, e1, o1));
    (max, flags)
}

/// Sixteen f16 2×2/s2 maxima: each row's 32 inputs widened through F16C in four loads,
/// deinterleaved as `Avx2` does, reduced in f32 (exact: widening is, and the maximum is
/// an input, which narrows back to its own bits).
///
/// # Safety
/// `r0[0..32]` and `r1[0..32]` readable, `out[0..16]` writable.
#[inline(always)]
unsafe fn pair_max16_f16(h: F16cToken, r0: *const f16, r1: *const f16, out: *mut f16) -> bool {
    let t = h.avx2();
    // SAFETY: forwarded from the caller; each load reads 8 of the 32 elements of a row.
    unsafe {
        let cols = |p: *const f16| {
            let (a, b) = (widen_f16(h, p), widen_f16(h, p.add(8)));
            (t.shuffle_ps::<0x88>(a, b), t.shuffle_ps::<0xDD>(a, b))
        };
        let (lo, flags) = pair_max4(t, t.setzero_ps(), cols(r0), cols(r1));
        let (hi, flags) = pair_max4(t, flags, cols(r0.add(16)), cols(r1.add(16)));
        if t.movemask_ps(flags) != 0 {
            return false;
        }
        // Raw lanes hold outputs 0, 1, 4, 5 | 2, 3, 6, 7: narrowed, their 32-bit pairs
        // go back in order with one in-lane shuffle.
        let lo = h.cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(lo);
        let hi = h.cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(hi);
        let both = t.shuffle_epi32::<0b11_01_10_00>(t.set_m128i(hi, lo));
        _mm256_storeu_si256(out as *mut __m256i, both);
        true
    }
}

/// Sixteen bf16 2×2/s2 maxima. A bf16 is the top half of an f32, so each 32-bit lane of
/// a row's load holds an (even, odd) pair that a shift and a mask widen in place, in
/// element order; the maxima are inputs, whose top halves are their own bits.
///
/// # Safety
/// `r0[0..32]` and `r1[0..32]` readable, `out[0..16]` writable.
#[inline(always)]
unsafe fn pair_max16_bf16(t: Avx2Token, r0: *const bf16, r1: *const bf16, out: *mut bf16) -> bool {
    // SAFETY: forwarded from the caller; each load reads 16 of the 32 elements of a row.
    unsafe {
        let cols = |p: *const bf16| {
            let pairs = _mm256_loadu_si256(p as *const __m256i);
            let top = t.set1_epi32(0xffff_0000u32 as i32);
            (
                t.castsi256_ps(t.slli_epi32::<16>(pairs)),
                t.castsi256_ps(t.and_si256(pairs, top)),
            )
        };
        let (lo, flags) = pair_max4(t, t.setzero_ps(), cols(r0), cols(r1));
        let (hi, flags) = pair_max4(t, flags, cols(r0.add(16)), cols(r1.add(16)));
        if t.movemask_ps(flags) != 0 {
            return false;
        }
        let lo = t.srli_epi32::<16>(t.castps_si256(lo));
        let hi = t.srli_epi32::<16>(t.castps_si256(hi));
        // Packing works within 128-bit halves: lo 0..4, hi 0..4 | lo 4..8, hi 4..8.
        let packed = t.permute4x64_epi64::<0b11_01_10_00>(t.packus_epi32(lo, hi));
        _mm256_storeu_si256(out as *mut __m256i, packed);
        true
    }
}

macro_rules! half_lanes {
    ($name:ident, $t:ty, $token:ident, $widen:ident, $narrow:ident, $wide:ident) => {
        // SAFETY: instantiated only inside the half entry points, run after the dispatcher
        // saw AVX2 (and F16C for f16); memory methods touch exactly the documented
        // elements; everything else is the f32 AVX2 implementation.
        unsafe impl Lanes for $name {
            type T = $t;
            type V = __m256;
            type M = __m256;
            type I = __m256i;
            type Acc = (__m256d, __m256d);
            const LANES: usize = 8;
            const STREAM_ALIGN: usize = 0;

            #[inline(always)]
            unsafe fn load(p: *const $t) -> __m256 {
                // SAFETY: forwarded from the caller.
                unsafe { $widen($token(), p) }
            }
            #[inline(always)]
            unsafe fn load_even_raw(p: *const $t) -> __m256 {
                // SAFETY: the caller guarantees p[0..16].
                unsafe { Self::load_pair_raw(p).0 }
            }
            #[inline(always)]
            unsafe fn load_pair_raw(p: *const $t) -> (__m256, __m256) {
                let h = $token();
                // SAFETY: the caller guarantees p[0..16].
                let (a, b) = unsafe { ($widen(h, p), $widen(h, p.add(8))) };
                // The shuffles match `Avx2`'s, so the raw order (and `unraw`) is the same.
                let t = h.avx2();
                (t.shuffle_ps::<0x88>(a, b), t.shuffle_ps::<0xDD>(a, b))
            }
            #[inline(always)]
            unsafe fn load_strided(p: *const $t, stride: isize) -> __m256 {
                // SAFETY: the caller guarantees p[l * stride] for l < 8.
                let at = |l: isize| unsafe { (*p.offset(l * stride)).to_f32() };
                let t = $token().avx2();
                t.setr_ps(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
            }
            #[inline(always)]
            fn unraw(v: __m256) -> __m256 {
                Avx2::unraw(v)
            }
            #[inline(always)]
            fn unraw_i(i: __m256i) -> __m256i {
                Avx2::unraw_i(i)
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: __m256) {
                // SAFETY: forwarded from the caller.
                unsafe { $narrow($token(), p, v) }
            }
            #[inline(always)]
            unsafe fn store_stream(p: *mut $t, v: __m256) {
                // SAFETY: forwarded from the caller (this variant never streams).
                unsafe { $narrow($token(), p, v) }
            }
            #[inline(always)]
            fn spill(v: __m256, out: &mut [$t; 16]) {
                // SAFETY: `out` holds 16 elements, 8 are written.
                unsafe { $narrow($token(), out.as_mut_ptr(), v) }
            }
            #[inline(always)]
            fn max_first(acc: __m256, cand: __m256) -> __m256 {
                Avx2::max_first(acc, cand)
            }
            #[inline(always)]
            fn greater(cand: __m256, acc: __m256) -> __m256 {
                Avx2::greater(cand, acc)
            }
            #[inline(always)]
            fn none() -> __m256 {
                Avx2::none()
            }
            #[inline(always)]
            fn flag_nan(flags: __m256, v: __m256) -> __m256 {
                Avx2::flag_nan(flags, v)
            }
            #[inline(always)]
            fn flag_nan2(flags: __m256, a: __m256, b: __m256) -> __m256 {
                Avx2::flag_nan2(flags, a, b)
            }
            #[inline(always)]
            fn any(m: __m256) -> bool {
                Avx2::any(m)
            }
            #[inline(always)]
            fn splat_i(v: i32) -> __m256i {
                Avx2::splat_i(v)
            }
            #[inline(always)]
            fn blend_i(acc: __m256i, cand: __m256i, take: __m256) -> __m256i {
                Avx2::blend_i(acc, cand, take)
            }
            #[inline(always)]
            unsafe fn store_indices(p: *mut i64, best: __m256i, first: i64, step: i64) {
                // SAFETY: forwarded from the caller.
                unsafe { Avx2::store_indices(p, best, first, step) }
            }
            #[inline(always)]
            fn acc_zero() -> (__m256d, __m256d) {
                Avx2::acc_zero()
            }
            #[inline(always)]
            fn acc_add(acc: (__m256d, __m256d), v: __m256) -> (__m256d, __m256d) {
                Avx2::acc_add(acc, v)
            }
            #[inline(always)]
            unsafe fn acc_load(p: *const f64) -> (__m256d, __m256d) {
                // SAFETY: forwarded from the caller.
                unsafe { Avx2::acc_load(p) }
            }
            #[inline(always)]
            fn acc_sum(acc: (__m256d, __m256d), more: (__m256d, __m256d)) -> (__m256d, __m256d) {
                Avx2::acc_sum(acc, more)
            }
            #[inline(always)]
            unsafe fn store_wide(p: *mut f64, v: __m256) {
                // SAFETY: forwarded from the caller.
                unsafe { Avx2::store_wide(p, v) }
            }
            #[inline(always)]
            fn acc_mean(acc: (__m256d, __m256d), divisor: f64) -> __m256 {
                Avx2::acc_mean(acc, divisor)
            }
            #[inline(always)]
            unsafe fn acc_scale_lanes(
                acc: (__m256d, __m256d),
                reciprocals: *const f64,
                raw: bool,
            ) -> __m256 {
                // SAFETY: forwarded from the caller.
                unsafe { Avx2::acc_scale_lanes(acc, reciprocals, raw) }
            }
            const PAIR_MAX_WIDE: usize = 16;
            #[inline(always)]
            unsafe fn pair_max_wide(r0: *const $t, r1: *const $t, out: *mut $t) -> bool {
                // SAFETY: forwarded from the caller.
                unsafe { $wide($token(), r0, r1, out) }
            }
        }
    };
}

half_lanes!(
    Avx2F16,
    f16,
    f16_token,
    widen_f16,
    narrow_f16,
    pair_max16_f16
);
half_lanes!(
    Avx2Bf16,
    bf16,
    bf16_token,
    widen_bf16,
    narrow_bf16,
    pair_max16_bf16
);

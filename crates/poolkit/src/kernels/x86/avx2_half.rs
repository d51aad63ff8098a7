//! f16 and bf16 lanes on AVX2: eight halves widened to f32 on load (F16C for f16, a shift
//! for bf16) and narrowed on store, every operation in between being the f32 one.
//!
//! Widening is exact, so max values and indices are bit-exact. A mean is rounded from
//! f64 to f32, then to the half type: with f32's 24 bits against f16's 11 and bf16's 8,
//! that double rounding equals one rounding (q ≥ 2p + 2), so nothing is lost beyond
//! what the f32 path loses (the reciprocal's last bit). Blocks holding a NaN never reach
//! a narrowing store: the kernels redo them with the exact scalar code.

use super::avx2::Avx2;
use crate::kernels::lanes::Lanes;
use half::{bf16, f16};
use std::arch::x86_64::*;

/// Eight f16 lanes, computed as f32 (needs AVX2 and F16C).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2F16;

/// Eight bf16 lanes, computed as f32 (needs AVX2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Bf16;

/// Widens eight f16 at `p`.
#[inline(always)]
unsafe fn widen_f16(p: *const f16) -> __m256 {
    // SAFETY: the caller guarantees p[0..8]; F16C is present (entry point contract).
    unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i)) }
}

/// Narrows eight f32 to f16 at `p`, rounding to nearest even.
#[inline(always)]
unsafe fn narrow_f16(p: *mut f16, v: __m256) {
    // SAFETY: the caller guarantees p[0..8] writable; F16C is present.
    unsafe {
        _mm_storeu_si128(
            p as *mut __m128i,
            _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v),
        )
    }
}

/// Widens eight bf16 at `p`: a bf16 is the top half of an f32.
#[inline(always)]
unsafe fn widen_bf16(p: *const bf16) -> __m256 {
    // SAFETY: the caller guarantees p[0..8]; AVX2 is present.
    unsafe {
        let halves = _mm256_cvtepu16_epi32(_mm_loadu_si128(p as *const __m128i));
        _mm256_castsi256_ps(_mm256_slli_epi32::<16>(halves))
    }
}

/// Narrows eight f32 to bf16 at `p`, rounding to nearest even (NaNs never come here).
#[inline(always)]
unsafe fn narrow_bf16(p: *mut bf16, v: __m256) {
    // SAFETY: the caller guarantees p[0..8] writable; AVX2 is present.
    unsafe {
        let bits = _mm256_castps_si256(v);
        let odd = _mm256_and_si256(_mm256_srli_epi32::<16>(bits), _mm256_set1_epi32(1));
        let bias = _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd);
        let top = _mm256_srli_epi32::<16>(_mm256_add_epi32(bits, bias));
        // Pack within 128-bit halves, then gather the two low quarters.
        let packed = _mm256_permute4x64_epi64::<0b1000>(_mm256_packus_epi32(top, top));
        _mm_storeu_si128(p as *mut __m128i, _mm256_castsi256_si128(packed));
    }
}

/// `cand > acc ? cand : acc` for f32 lanes (`VMAXPS` returns its second operand on ties).
#[inline(always)]
fn max_first(acc: __m256, cand: __m256) -> __m256 {
    // SAFETY: AVX is present (entry point contract).
    unsafe { _mm256_max_ps(cand, acc) }
}

/// `flags | isnan(a) | isnan(b)`.
#[inline(always)]
fn flag_nan2(flags: __m256, a: __m256, b: __m256) -> __m256 {
    // SAFETY: AVX is present (entry point contract).
    unsafe { _mm256_or_ps(flags, _mm256_cmp_ps::<_CMP_UNORD_Q>(a, b)) }
}

/// The 2×2 max of (even, odd) columns of two rows in window order, and NaN flags.
#[inline(always)]
fn pair_max4(
    flags: __m256,
    (e0, o0): (__m256, __m256),
    (e1, o1): (__m256, __m256),
) -> (__m256, __m256) {
    let flags = flag_nan2(flag_nan2(flags, e0, o0), e1, o1);
    (max_first(max_first(e0, o0), max_first(e1, o1)), flags)
}

/// Sixteen f16 2×2/s2 maxima: each row's 32 inputs widened through F16C in four loads,
/// deinterleaved as `Avx2` does, reduced in f32 (exact: widening is, and the maximum is
/// an input, which narrows back to its own bits).
///
/// # Safety
/// `r0[0..32]` and `r1[0..32]` readable, `out[0..16]` writable; F16C and AVX2 present.
#[inline(always)]
unsafe fn pair_max16_f16(r0: *const f16, r1: *const f16, out: *mut f16) -> bool {
    // SAFETY: forwarded from the caller; each load reads 8 of the 32 elements of a row.
    unsafe {
        let cols = |p: *const f16| {
            let (a, b) = (widen_f16(p), widen_f16(p.add(8)));
            (
                _mm256_shuffle_ps::<0x88>(a, b),
                _mm256_shuffle_ps::<0xDD>(a, b),
            )
        };
        let (lo, flags) = pair_max4(_mm256_setzero_ps(), cols(r0), cols(r1));
        let (hi, flags) = pair_max4(flags, cols(r0.add(16)), cols(r1.add(16)));
        if _mm256_movemask_ps(flags) != 0 {
            return false;
        }
        // Raw lanes hold outputs 0, 1, 4, 5 | 2, 3, 6, 7: narrowed, their 32-bit pairs
        // go back in order with one in-lane shuffle.
        let lo = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(lo);
        let hi = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(hi);
        let both = _mm256_shuffle_epi32::<0b11_01_10_00>(_mm256_set_m128i(hi, lo));
        _mm256_storeu_si256(out as *mut __m256i, both);
        true
    }
}

/// Sixteen bf16 2×2/s2 maxima. A bf16 is the top half of an f32, so each 32-bit lane of
/// a row's load holds an (even, odd) pair that a shift and a mask widen in place, in
/// element order; the maxima are inputs, whose top halves are their own bits.
///
/// # Safety
/// `r0[0..32]` and `r1[0..32]` readable, `out[0..16]` writable; AVX2 present.
#[inline(always)]
unsafe fn pair_max16_bf16(r0: *const bf16, r1: *const bf16, out: *mut bf16) -> bool {
    // SAFETY: forwarded from the caller; each load reads 16 of the 32 elements of a row.
    unsafe {
        let cols = |p: *const bf16| {
            let pairs = _mm256_loadu_si256(p as *const __m256i);
            let top = _mm256_set1_epi32(0xffff_0000u32 as i32);
            (
                _mm256_castsi256_ps(_mm256_slli_epi32::<16>(pairs)),
                _mm256_castsi256_ps(_mm256_and_si256(pairs, top)),
            )
        };
        let (lo, flags) = pair_max4(_mm256_setzero_ps(), cols(r0), cols(r1));
        let (hi, flags) = pair_max4(flags, cols(r0.add(16)), cols(r1.add(16)));
        if _mm256_movemask_ps(flags) != 0 {
            return false;
        }
        let lo = _mm256_srli_epi32::<16>(_mm256_castps_si256(lo));
        let hi = _mm256_srli_epi32::<16>(_mm256_castps_si256(hi));
        // Packing works within 128-bit halves: lo 0..4, hi 0..4 | lo 4..8, hi 4..8.
        let packed = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi32(lo, hi));
        _mm256_storeu_si256(out as *mut __m256i, packed);
        true
    }
}

macro_rules! half_lanes {
    ($name:ident, $t:ty, $widen:ident, $narrow:ident, $wide:ident) => {
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
                unsafe { $widen(p) }
            }
            #[inline(always)]
            unsafe fn load_even_raw(p: *const $t) -> __m256 {
                // SAFETY: the caller guarantees p[0..16].
                unsafe { Self::load_pair_raw(p).0 }
            }
            #[inline(always)]
            unsafe fn load_pair_raw(p: *const $t) -> (__m256, __m256) {
                // SAFETY: the caller guarantees p[0..16]; the shuffles match `Avx2`'s, so
                // the raw order (and `unraw`) is the same.
                unsafe {
                    let (a, b) = ($widen(p), $widen(p.add(8)));
                    (
                        _mm256_shuffle_ps::<0x88>(a, b),
                        _mm256_shuffle_ps::<0xDD>(a, b),
                    )
                }
            }
            #[inline(always)]
            unsafe fn load_strided(p: *const $t, stride: isize) -> __m256 {
                // SAFETY: the caller guarantees p[l * stride] for l < 8.
                unsafe {
                    let at = |l: isize| (*p.offset(l * stride)).to_f32();
                    _mm256_setr_ps(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
                }
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
                unsafe { $narrow(p, v) }
            }
            #[inline(always)]
            unsafe fn store_stream(p: *mut $t, v: __m256) {
                // SAFETY: forwarded from the caller (this variant never streams).
                unsafe { $narrow(p, v) }
            }
            #[inline(always)]
            fn spill(v: __m256, out: &mut [$t; 16]) {
                // SAFETY: `out` holds 16 elements, 8 are written.
                unsafe { $narrow(out.as_mut_ptr(), v) }
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
                unsafe { $wide(r0, r1, out) }
            }
        }
    };
}

half_lanes!(Avx2F16, f16, widen_f16, narrow_f16, pair_max16_f16);
half_lanes!(Avx2Bf16, bf16, widen_bf16, narrow_bf16, pair_max16_bf16);

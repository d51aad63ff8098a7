//! f32 lanes on 512-bit AVX-512F: sixteen floats, sums in two registers of eight f64.

use super::token::Avx512Token;
use super::Avx2;
use crate::kernels::lanes::Lanes;
use std::arch::x86_64::*;

/// Sixteen f32 lanes in an AVX-512 register.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512;

/// `vpermt2ps` selectors: the even and the odd elements of two registers, in order.
const EVENS: [i32; 16] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
const ODDS: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];

/// The token for `Avx512`'s value operations.
#[inline(always)]
fn token() -> Avx512Token {
    // SAFETY: only called from `Avx512`'s `Lanes` methods, which by the contract of that
    // `unsafe impl` run only where AVX-512F was detected.
    unsafe { Avx512Token::new_unchecked() }
}

// SAFETY: instantiated only inside `#[target_feature(enable = "avx512f")]` entry points
// run after the dispatcher saw AVX-512F; memory methods touch exactly the documented
// elements.
unsafe impl Lanes for Avx512 {
    type T = f32;
    type V = __m512;
    type M = __mmask16;
    type I = __m512i;
    type Acc = (__m512d, __m512d);
    const LANES: usize = 16;
    const STREAM_ALIGN: usize = 64;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: the caller guarantees p[0..16] exist.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_even_raw(p: *const f32) -> __m512 {
        // SAFETY: the caller guarantees p[0..32] exist; the selector is a local array.
        let (a, evens, b) = unsafe {
            (
                _mm512_loadu_ps(p),
                _mm512_loadu_si512(EVENS.as_ptr() as *const _),
                _mm512_loadu_ps(p.add(16)),
            )
        };
        token().permutex2var_ps(a, evens, b)
    }
    #[inline(always)]
    unsafe fn load_pair_raw(p: *const f32) -> (__m512, __m512) {
        let t = token();
        // SAFETY: the caller guarantees p[0..32] exist; the selectors are local arrays.
        let (a, b, evens, odds) = unsafe {
            (
                _mm512_loadu_ps(p),
                _mm512_loadu_ps(p.add(16)),
                _mm512_loadu_si512(EVENS.as_ptr() as *const _),
                _mm512_loadu_si512(ODDS.as_ptr() as *const _),
            )
        };
        (
            t.permutex2var_ps(a, evens, b),
            t.permutex2var_ps(a, odds, b),
        )
    }
    #[inline(always)]
    unsafe fn load_strided(p: *const f32, stride: isize) -> __m512 {
        let s = stride as i32;
        let at = token().setr_epi32(
            0,
            s,
            2 * s,
            3 * s,
            4 * s,
            5 * s,
            6 * s,
            7 * s,
            8 * s,
            9 * s,
            10 * s,
            11 * s,
            12 * s,
            13 * s,
            14 * s,
            15 * s,
        );
        // SAFETY: the caller guarantees p[l * stride] for l < 16 and that 15 * stride
        // fits in i32; AVX-512F is present (trait contract).
        unsafe { _mm512_i32gather_ps::<4>(at, p) }
    }
    #[inline(always)]
    fn unraw(v: __m512) -> __m512 {
        v
    }
    #[inline(always)]
    fn unraw_i(i: __m512i) -> __m512i {
        i
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        // SAFETY: the caller guarantees p[0..16] are writable.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f32, v: __m512) {
        // SAFETY: the caller guarantees p[0..16] are writable and p is 64-byte aligned.
        unsafe { _mm512_stream_ps(p, v) }
    }
    #[inline(always)]
    fn spill(v: __m512, out: &mut [f32; 16]) {
        // SAFETY: `out` holds 16 floats, all written.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn max_first(acc: __m512, cand: __m512) -> __m512 {
        // VMAXPS returns its second operand on ties and NaN, so the earlier value is kept.
        token().max_ps(cand, acc)
    }
    #[inline(always)]
    fn greater(cand: __m512, acc: __m512) -> __mmask16 {
        token().cmp_ps_mask::<_CMP_GT_OQ>(cand, acc)
    }
    #[inline(always)]
    fn none() -> __mmask16 {
        0
    }
    #[inline(always)]
    fn flag_nan(flags: __mmask16, v: __m512) -> __mmask16 {
        flags | token().cmp_ps_mask::<_CMP_UNORD_Q>(v, v)
    }
    #[inline(always)]
    fn flag_nan2(flags: __mmask16, a: __m512, b: __m512) -> __mmask16 {
        flags | token().cmp_ps_mask::<_CMP_UNORD_Q>(a, b)
    }
    #[inline(always)]
    fn any(m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    fn splat_i(v: i32) -> __m512i {
        token().set1_epi32(v)
    }
    #[inline(always)]
    fn blend_i(acc: __m512i, cand: __m512i, take: __mmask16) -> __m512i {
        token().mask_blend_epi32(take, acc, cand)
    }
    #[inline(always)]
    unsafe fn store_indices(p: *mut i64, best: __m512i, first: i64, step: i64) {
        let t = token();
        let lo = t.cvtepi32_epi64(t.castsi512_si256(best));
        let hi = t.cvtepi32_epi64(t.extracti64x4_epi64::<1>(best));
        let s = step;
        let off_lo = t.set_epi64(
            first + 7 * s,
            first + 6 * s,
            first + 5 * s,
            first + 4 * s,
            first + 3 * s,
            first + 2 * s,
            first + s,
            first,
        );
        let off_hi = t.add_epi64(off_lo, t.set1_epi64(8 * s));
        // SAFETY: the caller guarantees p[0..16] are writable.
        unsafe {
            _mm512_storeu_si512(p as *mut _, t.add_epi64(lo, off_lo));
            _mm512_storeu_si512(p.add(8) as *mut _, t.add_epi64(hi, off_hi));
        }
    }
    #[inline(always)]
    fn acc_zero() -> (__m512d, __m512d) {
        let t = token();
        (t.set1_pd(-0.0), t.set1_pd(-0.0))
    }
    #[inline(always)]
    fn acc_add(acc: (__m512d, __m512d), v: __m512) -> (__m512d, __m512d) {
        let t = token();
        let high = t.avx2().castpd_ps(t.extractf64x4_pd::<1>(t.castps_pd(v)));
        (
            t.add_pd(acc.0, t.cvtps_pd(t.castps512_ps256(v))),
            t.add_pd(acc.1, t.cvtps_pd(high)),
        )
    }
    #[inline(always)]
    unsafe fn sum_columns(
        acc: (__m512d, __m512d),
        p: *const f32,
        stride: isize,
        len: usize,
    ) -> (__m512d, __m512d) {
        let t = token();
        // A 16-lane gather per element is slow on some AVX-512 CPUs (15x AVX2's time for
        // global average pooling of [32, 2048, 7, 7] on one): each group of eight rows goes
        // through AVX2's in-register transposes instead, every lane still summed in order.
        // SAFETY: the caller guarantees p[l * stride + k] for l < 16, k < len; AVX-512F
        // implies AVX2.
        let (first, second) = unsafe {
            (
                <Avx2 as Lanes>::sum_columns(
                    (t.castpd512_pd256(acc.0), t.extractf64x4_pd::<1>(acc.0)),
                    p,
                    stride,
                    len,
                ),
                <Avx2 as Lanes>::sum_columns(
                    (t.castpd512_pd256(acc.1), t.extractf64x4_pd::<1>(acc.1)),
                    p.offset(8 * stride),
                    stride,
                    len,
                ),
            )
        };
        (
            t.insertf64x4::<1>(t.castpd256_pd512(first.0), first.1),
            t.insertf64x4::<1>(t.castpd256_pd512(second.0), second.1),
        )
    }
    #[inline(always)]
    unsafe fn acc_load(p: *const f64) -> (__m512d, __m512d) {
        // SAFETY: the caller guarantees p[0..16] exist.
        unsafe { (_mm512_loadu_pd(p), _mm512_loadu_pd(p.add(8))) }
    }
    #[inline(always)]
    fn acc_sum(acc: (__m512d, __m512d), more: (__m512d, __m512d)) -> (__m512d, __m512d) {
        let t = token();
        (t.add_pd(acc.0, more.0), t.add_pd(acc.1, more.1))
    }
    #[inline(always)]
    unsafe fn store_wide(p: *mut f64, v: __m512) {
        let t = token();
        let high = t.avx2().castpd_ps(t.extractf64x4_pd::<1>(t.castps_pd(v)));
        // SAFETY: the caller guarantees p[0..16] are writable.
        unsafe {
            _mm512_storeu_pd(p, t.cvtps_pd(t.castps512_ps256(v)));
            _mm512_storeu_pd(p.add(8), t.cvtps_pd(high));
        }
    }
    #[inline(always)]
    unsafe fn acc_scale_lanes(
        acc: (__m512d, __m512d),
        reciprocals: *const f64,
        _raw: bool,
    ) -> __m512 {
        // SAFETY: the caller guarantees reciprocals[0..16]; the raw order is element order.
        let (d0, d1) = unsafe {
            (
                _mm512_loadu_pd(reciprocals),
                _mm512_loadu_pd(reciprocals.add(8)),
            )
        };
        let t = token();
        let lo = t.cvtpd_ps(t.mul_pd(acc.0, d0));
        let hi = t.cvtpd_ps(t.mul_pd(acc.1, d1));
        let wide = t.castpd256_pd512(t.avx2().castps_pd(lo));
        t.castpd_ps(t.insertf64x4::<1>(wide, t.avx2().castps_pd(hi)))
    }
    #[inline(always)]
    fn acc_mean(acc: (__m512d, __m512d), divisor: f64) -> __m512 {
        let t = token();
        // One reciprocal per call, hoisted out of block loops: a division per block
        // would cost more than the memory traffic (exact for powers of two).
        let d = t.set1_pd(1.0 / divisor);
        let lo = t.cvtpd_ps(t.mul_pd(acc.0, d));
        let hi = t.cvtpd_ps(t.mul_pd(acc.1, d));
        let wide = t.castpd256_pd512(t.avx2().castps_pd(lo));
        t.castpd_ps(t.insertf64x4::<1>(wide, t.avx2().castps_pd(hi)))
    }
}

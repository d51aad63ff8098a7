//! f32 lanes on 128-bit SSE2: four floats, sums in two pairs of f64.

use super::token::Sse2Token;
use crate::kernels::lanes::Lanes;
use std::arch::x86_64::*;

/// Four f32 lanes in an SSE2 register.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sse2;

/// The value operations (SSE2 is the x86_64 baseline: no detection needed).
const SSE2: Sse2Token = Sse2Token::new();

// SAFETY: instantiated only inside `#[target_feature(enable = "sse2")]` entry points (and
// SSE2 is the x86_64 baseline); memory methods touch exactly the documented elements.
unsafe impl Lanes for Sse2 {
    type T = f32;
    type V = __m128;
    type M = __m128;
    type I = __m128i;
    type Acc = (__m128d, __m128d);
    const LANES: usize = 4;
    const STREAM_ALIGN: usize = 16;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m128 {
        // SAFETY: the caller guarantees p[0..4] exist.
        unsafe { _mm_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_even_raw(p: *const f32) -> __m128 {
        // SAFETY: the caller guarantees p[0..8] exist.
        let (a, b) = unsafe { (_mm_loadu_ps(p), _mm_loadu_ps(p.add(4))) };
        SSE2.shuffle_ps::<0x88>(a, b)
    }
    #[inline(always)]
    unsafe fn load_pair_raw(p: *const f32) -> (__m128, __m128) {
        // SAFETY: the caller guarantees p[0..8] exist.
        let (a, b) = unsafe { (_mm_loadu_ps(p), _mm_loadu_ps(p.add(4))) };
        (SSE2.shuffle_ps::<0x88>(a, b), SSE2.shuffle_ps::<0xDD>(a, b))
    }
    #[inline(always)]
    unsafe fn load_strided(p: *const f32, stride: isize) -> __m128 {
        // SAFETY: the caller guarantees p[l * stride] for l < 4.
        let at = |l: isize| unsafe { *p.offset(l * stride) };
        SSE2.set_ps(at(3), at(2), at(1), at(0))
    }
    #[inline(always)]
    fn unraw(v: __m128) -> __m128 {
        v
    }
    #[inline(always)]
    fn unraw_i(i: __m128i) -> __m128i {
        i
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m128) {
        // SAFETY: the caller guarantees p[0..4] are writable.
        unsafe { _mm_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f32, v: __m128) {
        // SAFETY: the caller guarantees p[0..4] are writable and p is 16-byte aligned.
        unsafe { _mm_stream_ps(p, v) }
    }
    #[inline(always)]
    fn spill(v: __m128, out: &mut [f32; 16]) {
        // SAFETY: `out` holds 16 floats, 4 are written.
        unsafe { _mm_storeu_ps(out.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn max_lane(v: __m128) -> f32 {
        // The high pair, then the last two.
        let m = SSE2.max_ps(v, SSE2.movehl_ps(v, v));
        SSE2.cvtss_f32(SSE2.max_ss(m, SSE2.shuffle_ps::<0b01>(m, m)))
    }
    #[inline(always)]
    fn max_first(acc: __m128, cand: __m128) -> __m128 {
        // MAXPS returns its second operand on ties and NaN, so the earlier value is kept.
        SSE2.max_ps(cand, acc)
    }
    #[inline(always)]
    fn greater(cand: __m128, acc: __m128) -> __m128 {
        SSE2.cmpgt_ps(cand, acc)
    }
    #[inline(always)]
    fn none() -> __m128 {
        SSE2.setzero_ps()
    }
    #[inline(always)]
    fn flag_nan(flags: __m128, v: __m128) -> __m128 {
        SSE2.or_ps(flags, SSE2.cmpunord_ps(v, v))
    }
    #[inline(always)]
    fn flag_nan2(flags: __m128, a: __m128, b: __m128) -> __m128 {
        SSE2.or_ps(flags, SSE2.cmpunord_ps(a, b))
    }
    #[inline(always)]
    fn any(m: __m128) -> bool {
        SSE2.movemask_ps(m) != 0
    }
    #[inline(always)]
    fn splat_i(v: i32) -> __m128i {
        SSE2.set1_epi32(v)
    }
    #[inline(always)]
    fn blend_i(acc: __m128i, cand: __m128i, take: __m128) -> __m128i {
        let t = SSE2.castps_si128(take);
        SSE2.or_si128(SSE2.and_si128(t, cand), SSE2.andnot_si128(t, acc))
    }
    #[inline(always)]
    unsafe fn store_indices(p: *mut i64, best: __m128i, first: i64, step: i64) {
        let sign = SSE2.srai_epi32::<31>(best);
        let lo = SSE2.unpacklo_epi32(best, sign);
        let hi = SSE2.unpackhi_epi32(best, sign);
        let off_lo = SSE2.set_epi64x(first + step, first);
        let off_hi = SSE2.set_epi64x(first + 3 * step, first + 2 * step);
        // SAFETY: the caller guarantees p[0..4] are writable.
        unsafe {
            _mm_storeu_si128(p as *mut __m128i, SSE2.add_epi64(lo, off_lo));
            _mm_storeu_si128(p.add(2) as *mut __m128i, SSE2.add_epi64(hi, off_hi));
        }
    }
    #[inline(always)]
    fn acc_zero() -> (__m128d, __m128d) {
        (SSE2.set1_pd(-0.0), SSE2.set1_pd(-0.0))
    }
    #[inline(always)]
    fn acc_add(acc: (__m128d, __m128d), v: __m128) -> (__m128d, __m128d) {
        (
            SSE2.add_pd(acc.0, SSE2.cvtps_pd(v)),
            SSE2.add_pd(acc.1, SSE2.cvtps_pd(SSE2.movehl_ps(v, v))),
        )
    }
    #[inline(always)]
    unsafe fn acc_load(p: *const f64) -> (__m128d, __m128d) {
        // SAFETY: the caller guarantees p[0..4] exist.
        unsafe { (_mm_loadu_pd(p), _mm_loadu_pd(p.add(2))) }
    }
    #[inline(always)]
    fn acc_sum(acc: (__m128d, __m128d), more: (__m128d, __m128d)) -> (__m128d, __m128d) {
        (SSE2.add_pd(acc.0, more.0), SSE2.add_pd(acc.1, more.1))
    }
    #[inline(always)]
    unsafe fn store_wide(p: *mut f64, v: __m128) {
        // SAFETY: the caller guarantees p[0..4] are writable.
        unsafe {
            _mm_storeu_pd(p, SSE2.cvtps_pd(v));
            _mm_storeu_pd(p.add(2), SSE2.cvtps_pd(SSE2.movehl_ps(v, v)));
        }
    }
    #[inline(always)]
    unsafe fn acc_scale_lanes(
        acc: (__m128d, __m128d),
        reciprocals: *const f64,
        _raw: bool,
    ) -> __m128 {
        // SAFETY: the caller guarantees reciprocals[0..4]; the raw order is element order.
        let (d0, d1) = unsafe { (_mm_loadu_pd(reciprocals), _mm_loadu_pd(reciprocals.add(2))) };
        let lo = SSE2.cvtpd_ps(SSE2.mul_pd(acc.0, d0));
        let hi = SSE2.cvtpd_ps(SSE2.mul_pd(acc.1, d1));
        SSE2.movelh_ps(lo, hi)
    }
    #[inline(always)]
    unsafe fn sum_columns(
        acc: (__m128d, __m128d),
        p: *const f32,
        stride: isize,
        len: usize,
    ) -> (__m128d, __m128d) {
        let (mut lo, mut hi) = acc;
        let mut k = 0;
        // SAFETY: the caller guarantees p[l * stride + k] for l < 4, k < len. Four rows of
        // four are transposed in registers.
        unsafe {
            while k + 4 <= len {
                let r: [__m128; 4] =
                    std::array::from_fn(|l| _mm_loadu_ps(p.offset(l as isize * stride).add(k)));
                let t0 = SSE2.unpacklo_ps(r[0], r[1]);
                let t1 = SSE2.unpackhi_ps(r[0], r[1]);
                let t2 = SSE2.unpacklo_ps(r[2], r[3]);
                let t3 = SSE2.unpackhi_ps(r[2], r[3]);
                // Column c of rows 0, 1 in `low[c]`'s low half, of rows 2, 3 in `high[c]`.
                let cols = [
                    SSE2.movelh_ps(t0, t2),
                    SSE2.movehl_ps(t2, t0),
                    SSE2.movelh_ps(t1, t3),
                    SSE2.movehl_ps(t3, t1),
                ];
                for c in cols {
                    lo = SSE2.add_pd(lo, SSE2.cvtps_pd(c));
                    hi = SSE2.add_pd(hi, SSE2.cvtps_pd(SSE2.movehl_ps(c, c)));
                }
                k += 4;
            }
            let mut acc = (lo, hi);
            while k < len {
                acc = Self::acc_add(acc, Self::load_strided(p.add(k), stride));
                k += 1;
            }
            acc
        }
    }
    #[inline(always)]
    fn acc_mean(acc: (__m128d, __m128d), divisor: f64) -> __m128 {
        // One reciprocal per call, hoisted out of block loops: a division per block
        // would cost more than the memory traffic (exact for powers of two).
        let d = SSE2.set1_pd(1.0 / divisor);
        let lo = SSE2.cvtpd_ps(SSE2.mul_pd(acc.0, d));
        let hi = SSE2.cvtpd_ps(SSE2.mul_pd(acc.1, d));
        SSE2.movelh_ps(lo, hi)
    }
}

//! f32 lanes on 256-bit AVX2: eight floats, sums in two registers of four f64.

use super::token::Avx2Token;
use crate::kernels::lanes::Lanes;
use std::arch::x86_64::*;

/// Eight f32 lanes in an AVX2 register.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2;

/// `vshufps` deinterleaves within 128-bit halves, leaving 64-bit blocks in the order
/// 0, 2, 1, 3; this `vpermpd` selector restores element order.
const UNRAW: i32 = 0b11_01_10_00;

/// The token for `Avx2`'s value operations.
#[inline(always)]
fn token() -> Avx2Token {
    // SAFETY: only called from `Avx2`'s `Lanes` methods, which by the contract of that
    // `unsafe impl` run only where AVX2 was detected (the lanes that reuse them, half
    // types and AVX-512, run only on CPUs with AVX2 too).
    unsafe { Avx2Token::new_unchecked() }
}

// SAFETY: instantiated only inside `#[target_feature(enable = "avx2")]` entry points run
// after the dispatcher saw AVX2; memory methods touch exactly the documented elements.
unsafe impl Lanes for Avx2 {
    type T = f32;
    type V = __m256;
    type M = __m256;
    type I = __m256i;
    type Acc = (__m256d, __m256d);
    const LANES: usize = 8;
    const STREAM_ALIGN: usize = 32;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: the caller guarantees p[0..8] exist.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_even_raw(p: *const f32) -> __m256 {
        // SAFETY: the caller guarantees p[0..16] exist.
        let (a, b) = unsafe { (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) };
        token().shuffle_ps::<0x88>(a, b)
    }
    #[inline(always)]
    unsafe fn load_pair_raw(p: *const f32) -> (__m256, __m256) {
        let t = token();
        // SAFETY: the caller guarantees p[0..16] exist.
        let (a, b) = unsafe { (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) };
        (t.shuffle_ps::<0x88>(a, b), t.shuffle_ps::<0xDD>(a, b))
    }
    #[inline(always)]
    unsafe fn load_strided(p: *const f32, stride: isize) -> __m256 {
        let s = stride as i32;
        let at = token().setr_epi32(0, s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s);
        // SAFETY: the caller guarantees p[l * stride] for l < 8 and that 7 * stride fits
        // in i32; AVX2 is present (trait contract).
        unsafe { _mm256_i32gather_ps::<4>(p, at) }
    }
    #[inline(always)]
    fn unraw(v: __m256) -> __m256 {
        let t = token();
        t.castpd_ps(t.permute4x64_pd::<UNRAW>(t.castps_pd(v)))
    }
    #[inline(always)]
    fn unraw_i(i: __m256i) -> __m256i {
        token().permute4x64_epi64::<UNRAW>(i)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        // SAFETY: the caller guarantees p[0..8] are writable.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f32, v: __m256) {
        // SAFETY: the caller guarantees p[0..8] are writable and p is 32-byte aligned.
        unsafe { _mm256_stream_ps(p, v) }
    }
    #[inline(always)]
    fn spill(v: __m256, out: &mut [f32; 16]) {
        // SAFETY: `out` holds 16 floats, 8 are written.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn max_lane(v: __m256) -> f32 {
        // Halving twice, then the last pair.
        let t = token();
        let x = t.sse2();
        let m = x.max_ps(t.castps256_ps128(v), t.extractf128_ps::<1>(v));
        let m = x.max_ps(m, x.movehl_ps(m, m));
        x.cvtss_f32(x.max_ss(m, x.shuffle_ps::<0b01>(m, m)))
    }
    #[inline(always)]
    fn max_first(acc: __m256, cand: __m256) -> __m256 {
        // VMAXPS returns its second operand on ties and NaN, so the earlier value is kept.
        token().max_ps(cand, acc)
    }
    #[inline(always)]
    fn greater(cand: __m256, acc: __m256) -> __m256 {
        token().cmp_ps::<_CMP_GT_OQ>(cand, acc)
    }
    #[inline(always)]
    fn none() -> __m256 {
        token().setzero_ps()
    }
    #[inline(always)]
    fn flag_nan(flags: __m256, v: __m256) -> __m256 {
        let t = token();
        t.or_ps(flags, t.cmp_ps::<_CMP_UNORD_Q>(v, v))
    }
    #[inline(always)]
    fn flag_nan2(flags: __m256, a: __m256, b: __m256) -> __m256 {
        let t = token();
        t.or_ps(flags, t.cmp_ps::<_CMP_UNORD_Q>(a, b))
    }
    #[inline(always)]
    fn any(m: __m256) -> bool {
        token().movemask_ps(m) != 0
    }
    #[inline(always)]
    fn splat_i(v: i32) -> __m256i {
        token().set1_epi32(v)
    }
    #[inline(always)]
    fn blend_i(acc: __m256i, cand: __m256i, take: __m256) -> __m256i {
        let t = token();
        t.castps_si256(t.blendv_ps(t.castsi256_ps(acc), t.castsi256_ps(cand), take))
    }
    #[inline(always)]
    unsafe fn store_indices(p: *mut i64, best: __m256i, first: i64, step: i64) {
        let t = token();
        let lo = t.cvtepi32_epi64(t.castsi256_si128(best));
        let hi = t.cvtepi32_epi64(t.extracti128_si256::<1>(best));
        let off_lo = t.set_epi64x(first + 3 * step, first + 2 * step, first + step, first);
        let off_hi = t.add_epi64(off_lo, t.set1_epi64x(4 * step));
        // SAFETY: the caller guarantees p[0..8] are writable.
        unsafe {
            _mm256_storeu_si256(p as *mut __m256i, t.add_epi64(lo, off_lo));
            _mm256_storeu_si256(p.add(4) as *mut __m256i, t.add_epi64(hi, off_hi));
        }
    }
    #[inline(always)]
    fn acc_zero() -> (__m256d, __m256d) {
        let t = token();
        (t.set1_pd(-0.0), t.set1_pd(-0.0))
    }
    #[inline(always)]
    fn acc_add(acc: (__m256d, __m256d), v: __m256) -> (__m256d, __m256d) {
        let t = token();
        (
            t.add_pd(acc.0, t.cvtps_pd(t.castps256_ps128(v))),
            t.add_pd(acc.1, t.cvtps_pd(t.extractf128_ps::<1>(v))),
        )
    }
    #[inline(always)]
    unsafe fn acc_load(p: *const f64) -> (__m256d, __m256d) {
        // SAFETY: the caller guarantees p[0..8] exist.
        unsafe { (_mm256_loadu_pd(p), _mm256_loadu_pd(p.add(4))) }
    }
    #[inline(always)]
    fn acc_sum(acc: (__m256d, __m256d), more: (__m256d, __m256d)) -> (__m256d, __m256d) {
        let t = token();
        (t.add_pd(acc.0, more.0), t.add_pd(acc.1, more.1))
    }
    #[inline(always)]
    unsafe fn store_wide(p: *mut f64, v: __m256) {
        let t = token();
        // SAFETY: the caller guarantees p[0..8] are writable.
        unsafe {
            _mm256_storeu_pd(p, t.cvtps_pd(t.castps256_ps128(v)));
            _mm256_storeu_pd(p.add(4), t.cvtps_pd(t.extractf128_ps::<1>(v)));
        }
    }
    #[inline(always)]
    unsafe fn acc_scale_lanes(
        acc: (__m256d, __m256d),
        reciprocals: *const f64,
        raw: bool,
    ) -> __m256 {
        let t = token();
        // SAFETY: the caller guarantees reciprocals[0..8].
        let (d0, d1) = unsafe {
            (
                _mm256_loadu_pd(reciprocals),
                _mm256_loadu_pd(reciprocals.add(4)),
            )
        };
        // Raw lanes hold elements 0, 1, 4, 5 | 2, 3, 6, 7: the reciprocals follow the
        // same order.
        let (lo_d, hi_d) = if raw {
            (
                t.permute2f128_pd::<0x20>(d0, d1),
                t.permute2f128_pd::<0x31>(d0, d1),
            )
        } else {
            (d0, d1)
        };
        let lo = t.cvtpd_ps(t.mul_pd(acc.0, lo_d));
        let hi = t.cvtpd_ps(t.mul_pd(acc.1, hi_d));
        t.set_m128(hi, lo)
    }
    #[inline(always)]
    unsafe fn sum_columns(
        acc: (__m256d, __m256d),
        p: *const f32,
        stride: isize,
        len: usize,
    ) -> (__m256d, __m256d) {
        let t = token();
        let (mut lo, mut hi) = acc;
        let mut k = 0;
        // SAFETY: the caller guarantees p[l * stride + k] for l < 8, k < len. Eight rows
        // of eight are transposed in registers, so that each lane (one row) receives its
        // elements in order.
        unsafe {
            let row = |l: isize, k: usize| _mm256_loadu_ps(p.offset(l * stride).add(k));
            while k + 8 <= len {
                let r: [__m256; 8] = std::array::from_fn(|l| row(l as isize, k));
                let t0 = t.unpacklo_ps(r[0], r[1]);
                let t1 = t.unpackhi_ps(r[0], r[1]);
                let t2 = t.unpacklo_ps(r[2], r[3]);
                let t3 = t.unpackhi_ps(r[2], r[3]);
                let t4 = t.unpacklo_ps(r[4], r[5]);
                let t5 = t.unpackhi_ps(r[4], r[5]);
                let t6 = t.unpacklo_ps(r[6], r[7]);
                let t7 = t.unpackhi_ps(r[6], r[7]);
                // Columns 0..4 of rows 0..4 in the low halves, columns 4..8 in the high.
                let low_rows = [
                    t.shuffle_ps::<0x44>(t0, t2),
                    t.shuffle_ps::<0xEE>(t0, t2),
                    t.shuffle_ps::<0x44>(t1, t3),
                    t.shuffle_ps::<0xEE>(t1, t3),
                ];
                let high_rows = [
                    t.shuffle_ps::<0x44>(t4, t6),
                    t.shuffle_ps::<0xEE>(t4, t6),
                    t.shuffle_ps::<0x44>(t5, t7),
                    t.shuffle_ps::<0xEE>(t5, t7),
                ];
                for c in low_rows {
                    lo = t.add_pd(lo, t.cvtps_pd(t.castps256_ps128(c)));
                }
                for c in low_rows {
                    lo = t.add_pd(lo, t.cvtps_pd(t.extractf128_ps::<1>(c)));
                }
                for c in high_rows {
                    hi = t.add_pd(hi, t.cvtps_pd(t.castps256_ps128(c)));
                }
                for c in high_rows {
                    hi = t.add_pd(hi, t.cvtps_pd(t.extractf128_ps::<1>(c)));
                }
                k += 8;
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
    fn acc_mean(acc: (__m256d, __m256d), divisor: f64) -> __m256 {
        let t = token();
        // One reciprocal per call, hoisted out of block loops: a division per block
        // would cost more than the memory traffic (exact for powers of two).
        let d = t.set1_pd(1.0 / divisor);
        let lo = t.cvtpd_ps(t.mul_pd(acc.0, d));
        let hi = t.cvtpd_ps(t.mul_pd(acc.1, d));
        t.set_m128(hi, lo)
    }
}

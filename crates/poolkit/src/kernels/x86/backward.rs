//! AVX2 f32 kernels for the backward passes of 2×2/s2 windows that tile their plane
//! (the VGG case): one pair of input rows at a time, eight windows per block.
//!
//! A block loads sixteen columns of each row and splits them into the windows' four
//! corners `a b / c d` (lanes in `vshufps`' raw order: windows 0, 1, 4, 5 | 2, 3, 6, 7),
//! decides which corner receives each window's gradient, and interleaves the four
//! corners back into the rows. Every value written is the one the scalar code in
//! `kernels::backward` writes, bit for bit: a max block that sees a NaN is redone by
//! that scalar code. Each function handles whole blocks and returns how many windows it
//! covered; the caller finishes the row's last windows with the scalar code.

use super::token::Avx2Token;
use crate::kernels::windows_2x2::max_2x2_windows;
use std::arch::x86_64::*;

/// Windows per block.
const BLOCK: usize = 8;

/// `vpermpd` selector that puts element-ordered 64-bit pairs into `vshufps`' raw order
/// (0, 2, 1, 3): eight per-window values line up with the deinterleaved corners.
const RAW: i32 = 0b11_01_10_00;

/// Writes `v` to `p[0..8]`, bypassing the caches when `stream` is asked and `p` is
/// aligned for it (32 bytes for one store, 16 bytes for two halves).
///
/// # Safety
/// AVX2 is present (the token) and `p[0..8]` are writable.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn put(t: Avx2Token, p: *mut f32, v: __m256, stream: bool) {
    let at = p as usize;
    // SAFETY: the caller guarantees p[0..8]; each streaming store is only used at the
    // alignment it requires.
    unsafe {
        if stream && at.is_multiple_of(32) {
            _mm256_stream_ps(p, v);
        } else if stream && at.is_multiple_of(16) {
            _mm_stream_ps(p, t.castps256_ps128(v));
            _mm_stream_ps(p.add(4), t.extractf128_ps::<1>(v));
        } else {
            _mm256_storeu_ps(p, v);
        }
    }
}

/// Interleaves the four corners of eight windows (raw lane order) back into the rows:
/// `d0[0..16]` from `a`/`b`, `d1[0..16]` from `c`/`d`.
///
/// # Safety
/// AVX2 is present (the token) and `d0[0..16]`, `d1[0..16]` are writable.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn put_corners(
    t: Avx2Token,
    d0: *mut f32,
    d1: *mut f32,
    [a, b, c, d]: [__m256; 4],
    stream: bool,
) {
    // SAFETY: forwarded from the caller. `vunpcklps` of raw-ordered corners gives
    // windows 0, 1 | 2, 3 in element order, `vunpckhps` windows 4, 5 | 6, 7.
    unsafe {
        put(t, d0, t.unpacklo_ps(a, b), stream);
        put(t, d0.add(8), t.unpackhi_ps(a, b), stream);
        put(t, d1, t.unpacklo_ps(c, d), stream);
        put(t, d1.add(8), t.unpackhi_ps(c, d), stream);
    }
}

/// `0.0 + dy[0..8]` (the reference's accumulator turns -0.0 into +0.0), in raw order.
///
/// # Safety
/// AVX2 is present (the token) and `dy[0..8]` are readable.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn gradient_raw(t: Avx2Token, dy: *const f32) -> __m256 {
    // SAFETY: forwarded from the caller.
    let g = t.add_ps(t.setzero_ps(), unsafe { _mm256_loadu_ps(dy) });
    t.castpd_ps(t.permute4x64_pd::<RAW>(t.castps_pd(g)))
}

/// Routes `g` to the corner each mask selects: `d` where `take_d`, else `c` where
/// `take_c`, else `b` where `take_b`, else `a`; zeros in the other corners.
#[inline(always)]
fn route(t: Avx2Token, g: __m256, take_b: __m256, take_c: __m256, take_d: __m256) -> [__m256; 4] {
    let wd = t.and_ps(g, take_d);
    let rest = t.andnot_ps(take_d, g);
    let wc = t.and_ps(rest, take_c);
    let rest = t.andnot_ps(take_c, rest);
    let wb = t.and_ps(rest, take_b);
    let wa = t.andnot_ps(take_b, rest);
    [wa, wb, wc, wd]
}

/// Lanes whose code is `c`, as a float mask.
#[inline(always)]
fn is(t: Avx2Token, code: __m256i, c: i32) -> __m256 {
    t.castsi256_ps(t.cmpeq_epi32(code, t.set1_epi32(c)))
}

/// Max pooling's gradient on the 2×2/s2 windows of rows `x0`, `x1` (width `2 * dy.len()`):
/// each window's `0.0 + dy` goes to its first maximum, zeros elsewhere. Blocks with a NaN
/// are redone by the scalar code. Returns the windows covered (a multiple of 8).
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn max_2x2_rows(
    x0: &[f32],
    x1: &[f32],
    dy: &[f32],
    d0: &mut [f32],
    d1: &mut [f32],
    stream: bool,
) -> usize {
    // SAFETY: the caller guarantees AVX2.
    let t = unsafe { Avx2Token::new_unchecked() };
    let ow = dy.len();
    let iw = 2 * ow;
    assert!(x0.len() == iw && x1.len() == iw && d0.len() == iw && d1.len() == iw);
    let blocks = ow / BLOCK;
    for k in 0..blocks {
        let (w, i) = (k * BLOCK, 2 * k * BLOCK);
        // SAFETY: i + 16 <= iw and w + 8 <= ow (k < ow / 8) for every row slice, as
        // asserted above; AVX2 is present (the token).
        unsafe {
            let (p0, p1) = (x0.as_ptr().add(i), x1.as_ptr().add(i));
            let (lo0, hi0) = (_mm256_loadu_ps(p0), _mm256_loadu_ps(p0.add(8)));
            let (lo1, hi1) = (_mm256_loadu_ps(p1), _mm256_loadu_ps(p1.add(8)));
            let a = t.shuffle_ps::<0x88>(lo0, hi0);
            let b = t.shuffle_ps::<0xDD>(lo0, hi0);
            let c = t.shuffle_ps::<0x88>(lo1, hi1);
            let d = t.shuffle_ps::<0xDD>(lo1, hi1);
            let nan = t.or_ps(
                t.cmp_ps::<_CMP_UNORD_Q>(a, b),
                t.cmp_ps::<_CMP_UNORD_Q>(c, d),
            );
            if t.movemask_ps(nan) != 0 {
                max_2x2_windows(x0, x1, dy, d0, d1, w..w + BLOCK);
                continue;
            }
            // Ties keep the earlier corner: a later one wins only when strictly greater.
            let take_b = t.cmp_ps::<_CMP_GT_OQ>(b, a);
            let best = t.blendv_ps(a, b, take_b);
            let take_c = t.cmp_ps::<_CMP_GT_OQ>(c, best);
            let best = t.blendv_ps(best, c, take_c);
            let take_d = t.cmp_ps::<_CMP_GT_OQ>(d, best);
            let g = gradient_raw(t, dy.as_ptr().add(w));
            let corners = route(t, g, take_b, take_c, take_d);
            put_corners(
                t,
                d0.as_mut_ptr().add(i),
                d1.as_mut_ptr().add(i),
                corners,
                stream,
            );
        }
    }
    blocks * BLOCK
}

/// Average pooling's gradient on 2×2/s2 windows whose divisor is a power of two:
/// `(0.0 + dy) * scale` (`scale` its exact reciprocal) to all four inputs of each window.
/// Returns the windows covered (a multiple of 8).
///
/// `(0.0 + dy) * 2^-k` in f32 is the f32 rounding of the exact quotient, as is the
/// reference's `0.0 + dy / 2^k` in f64 rounded once (that quotient is exact in f64); the
/// `0.0 +` comes first so that a -0.0 gradient gives +0.0 but a tiny negative one that
/// underflows still gives -0.0, as the reference's does.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn avg_2x2_rows(
    dy: &[f32],
    d0: &mut [f32],
    d1: &mut [f32],
    scale: f32,
    stream: bool,
) -> usize {
    // SAFETY: the caller guarantees AVX2.
    let t = unsafe { Avx2Token::new_unchecked() };
    let ow = dy.len();
    let iw = 2 * ow;
    assert!(d0.len() == iw && d1.len() == iw);
    let blocks = ow / BLOCK;
    let s = t.set1_ps(scale);
    for k in 0..blocks {
        let (w, i) = (k * BLOCK, 2 * k * BLOCK);
        // SAFETY: i + 16 <= iw and w + 8 <= ow, as asserted above; AVX2 is present.
        unsafe {
            let g = t.add_ps(t.setzero_ps(), _mm256_loadu_ps(dy.as_ptr().add(w)));
            let g = t.mul_ps(g, s);
            // Each gradient twice: windows 0, 1 | 4, 5 and 2, 3 | 6, 7 ...
            let lo = t.unpacklo_ps(g, g);
            let hi = t.unpackhi_ps(g, g);
            // ... then windows 0..4 and 4..8 in element order.
            let first = t.permute2f128_ps::<0x20>(lo, hi);
            let second = t.permute2f128_ps::<0x31>(lo, hi);
            let (q0, q1) = (d0.as_mut_ptr().add(i), d1.as_mut_ptr().add(i));
            put(t, q0, first, stream);
            put(t, q0.add(8), second, stream);
            put(t, q1, first, stream);
            put(t, q1.add(8), second, stream);
        }
    }
    blocks * BLOCK
}

/// Max pooling's gradient from corner codes (0 top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right; one per window, each below 4): `0.0 + dy` to the coded corner, zeros
/// elsewhere. Returns the windows covered (a multiple of 8).
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn scatter_2x2_rows(
    codes: &[u8],
    dy: &[f32],
    d0: &mut [f32],
    d1: &mut [f32],
    stream: bool,
) -> usize {
    // SAFETY: the caller guarantees AVX2.
    let t = unsafe { Avx2Token::new_unchecked() };
    let ow = dy.len();
    let iw = 2 * ow;
    assert!(codes.len() == ow && d0.len() == iw && d1.len() == iw);
    let blocks = ow / BLOCK;
    for k in 0..blocks {
        let (w, i) = (k * BLOCK, 2 * k * BLOCK);
        // SAFETY: w + 8 <= ow and i + 16 <= iw, as asserted above; AVX2 is present.
        unsafe {
            let raw = _mm_loadl_epi64(codes.as_ptr().add(w) as *const __m128i);
            let code = t.permute4x64_epi64::<RAW>(t.cvtepu8_epi32(raw));
            let g = gradient_raw(t, dy.as_ptr().add(w));
            let corners = route(t, g, is(t, code, 1), is(t, code, 2), is(t, code, 3));
            put_corners(
                t,
                d0.as_mut_ptr().add(i),
                d1.as_mut_ptr().add(i),
                corners,
                stream,
            );
        }
    }
    blocks * BLOCK
}

/// [`crate::kernels::windows_2x2::corner_codes`] compiled for AVX2, so that the compiler
/// vectorises its loop.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn corner_codes_avx2(
    idx: &[i64],
    first_corner: i64,
    iw: i64,
    codes: &mut [u8],
) -> bool {
    crate::kernels::windows_2x2::corner_codes(idx, first_corner, iw, codes)
}

//! The benchmark's memory-only loops in AVX2: vector loads and plain or non-temporal
//! stores, the instructions the kernels use, so that a ceiling measures what the bus allows
//! a kernel rather than what a plain loop reaches.

use std::arch::x86_64::*;

/// The sum of `src` in four vector accumulators.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn sum(src: &[f32]) -> f32 {
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut blocks = src.chunks_exact(32);
    for block in &mut blocks {
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: `block` holds 32 floats; this reads floats 8k..8k+8 of them.
            let v = unsafe { _mm256_loadu_ps(block.as_ptr().add(8 * k)) };
            *a = _mm256_add_ps(*a, v);
        }
    }
    let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut lanes = [0f32; 8];
    // SAFETY: `lanes` holds the 8 floats written.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), total) };
    lanes.iter().sum::<f32>() + blocks.remainder().iter().sum::<f32>()
}

/// `dst[i] = src[i]`; non-temporal stores when `stream`.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn copy(src: &[f32], dst: &mut [f32], stream: bool) {
    let n = src.len().min(dst.len());
    let mut i = aligned_start(dst, n, stream);
    dst[..i].copy_from_slice(&src[..i]);
    while i + 8 <= n {
        // SAFETY: `i + 8 <= n` lies in both slices; with `stream`, `dst + i` is 32-byte
        // aligned (`aligned_start`, then steps of 32 bytes).
        unsafe {
            let v = _mm256_loadu_ps(src.as_ptr().add(i));
            put(dst.as_mut_ptr().add(i), v, stream);
        }
        i += 8;
    }
    dst[i..n].copy_from_slice(&src[i..n]);
    if stream {
        _mm_sfence();
    }
}

/// `dst[j] = max(src[4j..4j + 4])`; non-temporal stores when `stream`.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn max4(src: &[f32], dst: &mut [f32], stream: bool) {
    let n = dst.len().min(src.len() / 4);
    let scalar = |src: &[f32], dst: &mut [f32]| {
        for (o, four) in dst.iter_mut().zip(src.chunks_exact(4)) {
            *o = four[0].max(four[1]).max(four[2].max(four[3]));
        }
    };
    let mut j = aligned_start(dst, n, stream);
    scalar(&src[..4 * j], &mut dst[..j]);
    // The pairwise maxima leave groups in the order 0, 2, 4, 6 | 1, 3, 5, 7.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    while j + 8 <= n {
        // SAFETY: `j + 8 <= n` keeps the 32 floats read inside `src` and the 8 written
        // inside `dst`; with `stream`, `dst + j` is 32-byte aligned.
        unsafe {
            let p = src.as_ptr().add(4 * j);
            let [v0, v1, v2, v3] = [0, 8, 16, 24].map(|k| _mm256_loadu_ps(p.add(k)));
            let pairs = |a, b| {
                _mm256_max_ps(
                    _mm256_shuffle_ps::<0x88>(a, b),
                    _mm256_shuffle_ps::<0xDD>(a, b),
                )
            };
            let groups = pairs(pairs(v0, v1), pairs(v2, v3));
            put(
                dst.as_mut_ptr().add(j),
                _mm256_permutevar8x32_ps(groups, order),
                stream,
            );
        }
        j += 8;
    }
    scalar(&src[4 * j..4 * n], &mut dst[j..n]);
    if stream {
        _mm_sfence();
    }
}

/// Where the vector loop starts: 0, or with `stream` the first 32-byte aligned element.
fn aligned_start(dst: &[f32], n: usize, stream: bool) -> usize {
    if stream {
        dst.as_ptr().align_offset(32).min(n)
    } else {
        0
    }
}

/// Stores `v` at `p`, non-temporally when `stream`.
///
/// # Safety
/// `p[0..8]` is writable; with `stream`, `p` is 32-byte aligned; the CPU has AVX2.
#[target_feature(enable = "avx2")]
unsafe fn put(p: *mut f32, v: __m256, stream: bool) {
    // SAFETY: forwarded from the caller.
    unsafe {
        if stream {
            _mm256_stream_ps(p, v)
        } else {
            _mm256_storeu_ps(p, v)
        }
    }
}

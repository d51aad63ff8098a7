//! The x86_64 lane types (f32 on SSE2, AVX2, AVX-512; f16, bf16, u8, i8 and u16 on AVX2)
//! and the `#[target_feature]` entry points that instantiate a kernel with them: the only
//! place a SIMD type meets its ISA.

mod avx2;
mod avx2_half;
mod avx2_int;
mod avx512;
pub(crate) mod backward;
pub(crate) mod probe;
mod sse2;
mod token;

pub(crate) use avx2::Avx2;
pub(crate) use avx2_half::{Avx2Bf16, Avx2F16};
pub(crate) use avx2_int::{Avx2Int, IntMax};
pub(crate) use avx512::Avx512;
pub(crate) use sse2::Sse2;

use super::kernel::{F32Kernel, Kernel};
use half::{bf16, f16};
use std::ops::Range;

/// Runs `kernel` on `range` with SSE2 lanes.
///
/// # Safety
/// The CPU must have SSE2 (every x86_64 CPU does).
#[target_feature(enable = "sse2")]
pub(crate) unsafe fn run_sse2<K: F32Kernel>(kernel: &K, range: Range<usize>) {
    kernel.run::<Sse2>(range)
}

/// Runs `kernel` on `range` with AVX2 lanes.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn run_avx2<K: F32Kernel>(kernel: &K, range: Range<usize>) {
    kernel.run::<Avx2>(range)
}

/// Runs `kernel` on `range` with AVX-512 lanes.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn run_avx512<K: F32Kernel>(kernel: &K, range: Range<usize>) {
    kernel.run::<Avx512>(range)
}

/// Runs an f16 `kernel` on `range` with AVX2 lanes widened through F16C.
///
/// # Safety
/// The CPU must have AVX2 and F16C.
#[target_feature(enable = "avx2,f16c")]
pub(crate) unsafe fn run_avx2_f16<K: Kernel<f16>>(kernel: &K, range: Range<usize>) {
    kernel.run::<Avx2F16>(range)
}

/// Runs a bf16 `kernel` on `range` with AVX2 lanes.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn run_avx2_bf16<K: Kernel<bf16>>(kernel: &K, range: Range<usize>) {
    kernel.run::<Avx2Bf16>(range)
}

/// Runs an integer `kernel` (u8, i8, u16) on `range` with the AVX2 integer lanes.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn run_avx2_int<T: IntMax, K: Kernel<T>>(kernel: &K, range: Range<usize>) {
    kernel.run::<Avx2Int<T>>(range)
}

/// Orders the streaming (non-temporal) stores a thread made before it hands its part of
/// the output back.
pub(crate) fn store_fence() {
    token::Sse2Token::new().sfence()
}

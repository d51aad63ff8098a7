//! Fast CPU kernels for forward pooling: the only module with `unsafe` and SIMD.
//!
//! # Dispatch
//! The instruction set is chosen once: the widest the CPU has (AVX-512F, AVX2, SSE2 on
//! x86_64; scalar elsewhere), or `POOLKIT_ISA=scalar|sse2|avx2|avx512`, or per call via
//! [`ExecOptions::isa`]. Naming a variant the CPU lacks is an error. What runs SIMD, by
//! element type:
//! - **f32**: a kernel per variant (SSE2, AVX2, AVX-512), every path below.
//! - **f16, bf16** (AVX2 and wider, F16C for f16): AVX2 lanes computing in f32, every
//!   path below; the 2×2/s2 max without indices takes 16 outputs a step (f16 widened
//!   through F16C, bf16 by a shift and a mask in place).
//! - **u8, i8, u16** (AVX2 and wider): the 2×2/s2 channels-first max without indices in
//!   wide steps of integer max instructions (32 outputs for bytes, 16 for u16), and the
//!   u8 2×2/s2 average with divisor 4 (exact sums in 16 bits, rounded half to even:
//!   `(s + 1 + ((s >> 2) & 1)) >> 2`); everything else as scalar loops.
//! - **f64**, and every type under a forced `scalar` or `sse2` (save f32): monomorphised
//!   scalar loops (no allocation, no bounds logic in the interior).
//!
//! Threads split a call's tasks (batch × channel × output-row tiles; channel chunks when
//! rows are few) with `std::thread::scope`: `POOLKIT_THREADS` or [`Parallelism`].
//!
//! # Paths and their exactness, against `poolkit::reference`
//! The rules (ties, NaN, padding, divisors, rounding) are stated once, in the crate's
//! documentation under "Exactness"; here is how each path meets them.
//! Max values and indices are **bit-exact** on every path. Averages accumulate in f64 in
//! the reference's order on every path except large windows; the scalar variant, f64
//! and the integer types then divide once (or, u8 2×2, round the exact sum half to even),
//! **bit-exact**; the f32, f16 and bf16 SIMD lanes multiply by the divisor's f64
//! reciprocal, **bit-exact for power-of-two divisors** (2×2 windows, global pooling of
//! 64 elements, ...) and **within 1 ulp of their type** (1e-6 relative for f32)
//! otherwise (f16 and bf16 round through f32, which for them equals one rounding).
//! - **channels-first window** (1/2/3-D, any kernel, padding, dilation, ceil mode;
//!   strides 1 and 2 vectorised along W, 2×2/s2 specialised; short rows with borders run
//!   through padded row copies so their borders are vectorised too).
//! - **framed, channels-first** (1-D and 2-D windows without indices whose rows have a
//!   border, such as the ResNet stem's 3×3/s2/p1 and Inception's 3×3/s1/p1, W stride 1
//!   or 2): each input row is copied once into a padded frame (`LOWEST` or `-0.0`
//!   beyond the row; widened to f64 for unit-stride averages), checked for NaN once, and
//!   every output, borders included, runs through vector blocks in window order; the
//!   same exactness as the channels-first window.
//! - **tiny calls** (automatic parallelism, a few thousand taps, such as the seed's 6×6
//!   grid): plain loops on the calling thread, with a loop of its own for 2×2/s2.
//! - **channels-last window** (vectorised along C; global pooling with indices too).
//! - **global, channels-last** (no indices): each batch item read once in memory order,
//!   four positions folded into per-channel running results at a time, window order kept.
//! - **global, channels-first** (max: one read-only sweep per plane; averages: `LANES`
//!   planes side by side, one per lane, through in-register transposes).
//! - **large windows, channels-first** (sliding max per dilation phase, prefix sums for
//!   averages; chosen when visiting every tap would cost more): max values bit-exact;
//!   averages exact while the partial sums fit f64's 53 bits, else within 2^-52 Σ|x|.
//!   Argmax of large windows uses the direct path.
//! - **backward, 2×2/s2 windows tiling a channels-first plane** (max by recompute, max
//!   from indices, averages whose divisor is a power of two): AVX2 blocks of eight
//!   windows, **bit-exact** against the reference's f64 scatter (see `backward`).
//!
//! "Bit-exact" for averages means every value equal bit for bit, except which NaN an
//! average of NaNs returns: Rust leaves the payload of an addition of NaNs unspecified.
//!
//! SIMD max blocks that see a NaN are redone by the exact scalar code, which keeps the
//! crate's NaN and tie rules. Outputs of 64 MiB or more (`POOLKIT_STREAM_MIN_BYTES`) are written
//! with streaming stores; fresh outputs of 8 MiB or more ask for transparent huge pages.

mod alloc;
pub(crate) mod backward;
mod channels_first;
mod channels_last;
mod exec;
mod forward;
mod framed;
mod geom;
mod global;
mod global_last;
mod isa;
mod kernel;
mod lanes;
mod lp;
mod padded;
mod probe;
mod route;
mod run;
mod sliding;
mod small;
mod windows_2x2;
#[cfg(target_arch = "x86_64")]
mod x86;

pub(crate) use alloc::{output_buffer, zeroed_output_buffer};
pub(crate) use backward::Prepared as BackwardKernel;
pub use exec::{ExecOptions, Parallelism};
pub(crate) use forward::ForwardKernel;
pub use isa::Isa;
pub use probe::ProbeWay;
pub(crate) use probe::{probe_copy, probe_max4, probe_sum};
pub use route::{Route, RouteExample};

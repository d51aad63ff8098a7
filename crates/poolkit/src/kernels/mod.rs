//! Fast CPU kernels for forward pooling: the only module with `unsafe` and SIMD.
//!
//! # Dispatch
//! The instruction set is chosen once: the widest the CPU has (AVX-512F, AVX2, SSE2 on
//! x86_64; scalar elsewhere), or `POOLKIT_ISA=scalar|sse2|avx2|avx512`, or per call via
//! [`ExecOptions::isa`]. Naming a variant the CPU lacks is an error. f32 has a kernel per
//! variant; f64, f16, bf16, u8, i8 and u16 run monomorphised scalar loops (no allocation,
//! no bounds logic in the interior), accumulating exactly as the reference does.
//!
//! Threads split a call's tasks (batch × channel × output-row tiles; channel chunks when
//! rows are few) with `std::thread::scope`: `POOLKIT_THREADS` or [`Parallelism`].
//!
//! # Paths and their exactness, against `poolkit::reference`
//! Max values and indices are **bit-exact** on every path. Averages accumulate in f64 in
//! the reference's order on every path except large windows; the scalar variant (and
//! every non-f32 type) then divides once, **bit-exact**; the f32 SIMD variants multiply by
//! the divisor's f64 reciprocal, **bit-exact for power-of-two divisors** (2×2 windows,
//! global pooling of 64 elements, ...) and **within 1 ulp (1e-6 relative)** otherwise.
//! - **channels-first window** (1/2/3-D, any kernel, padding, dilation, ceil mode;
//!   strides 1 and 2 vectorised along W, 2×2/s2 specialised; short rows with borders run
//!   through padded row copies so their borders are vectorised too).
//! - **channels-last window** (vectorised along C; global channels-last too).
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
//! Max pooling keeps the reference's rule in every path: the first NaN wins, else the
//! first maximum in row-major window order. SIMD blocks that see a NaN are redone by the
//! exact scalar code. Outputs of 64 MiB or more (`POOLKIT_STREAM_MIN_BYTES`) are written
//! with streaming stores; fresh outputs of 8 MiB or more ask for transparent huge pages.

mod alloc;
pub(crate) mod backward;
mod channels_first;
mod channels_last;
mod exec;
mod geom;
mod global;
mod isa;
mod lanes;
mod padded;
mod route;
mod run;
mod sliding;
mod small;
#[cfg(target_arch = "x86_64")]
mod x86;

pub(crate) use alloc::zeroed_output_buffer;
pub(crate) use exec::Exec;
pub use exec::{ExecOptions, Parallelism};
pub use isa::Isa;
pub use route::fast_path;
pub(crate) use route::{pool_forward, pool_forward_new};

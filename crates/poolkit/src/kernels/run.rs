//! Running a kernel: instantiate it for the chosen instruction set, split its tasks over
//! threads, fence streaming stores. Kernels only say how to run a range of their tasks.

use super::exec::{split_tasks, Exec};
use super::isa::Isa;
use super::kernel::{F32Kernel, Kernel};
use super::lanes::Scalar;
use crate::element::Element;
use std::ops::Range;

/// Runs kernels of element type `T` on the resolved execution choices.
pub(crate) trait Runner<T: Element> {
    /// The execution choices.
    fn exec(&self) -> Exec;
    /// Runs every task of `kernel`.
    fn execute<K: Kernel<T>>(&self, kernel: &K);
}

/// f32: the chosen instruction set.
pub(crate) struct SimdRunner(pub Exec);

/// Every other element type: the monomorphised scalar loops.
pub(crate) struct ScalarRunner(pub Exec);

/// The narrow types, where the CPU has AVX2 (and F16C for f16) and the chosen
/// instruction set is AVX2 or wider: f16 and bf16 on lanes computing in f32; u8, i8 and
/// u16 on the scalar lanes with a wide SIMD 2×2/s2 max step. Else the scalar loops.
pub(crate) struct NarrowRunner(pub Exec);

macro_rules! narrow_runner {
    ($t:ty, $entry:ident, $($feature:tt),+) => {
        impl Runner<$t> for NarrowRunner {
            fn exec(&self) -> Exec {
                self.0
            }
            fn execute<K: Kernel<$t>>(&self, kernel: &K) {
                let exec = self.0;
                #[cfg(target_arch = "x86_64")]
                let simd = exec.isa >= Isa::Avx2
                    $(&& std::arch::is_x86_feature_detected!($feature))+;
                #[cfg(not(target_arch = "x86_64"))]
                let simd = false;
                let threads = exec.threads_for(kernel.tasks(), kernel.elements());
                split_tasks(kernel.tasks(), threads, &|range| {
                    if simd {
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: the features were just detected.
                        unsafe {
                            super::x86::$entry(kernel, range)
                        }
                    } else {
                        kernel.run::<Scalar<$t>>(range)
                    }
                });
            }
        }
    };
}

narrow_runner!(half::f16, run_avx2_f16, "avx2", "f16c");
narrow_runner!(half::bf16, run_avx2_bf16, "avx2");
narrow_runner!(u8, run_avx2_int, "avx2");
narrow_runner!(i8, run_avx2_int, "avx2");
narrow_runner!(u16, run_avx2_int, "avx2");

impl Runner<f32> for SimdRunner {
    fn exec(&self) -> Exec {
        self.0
    }
    fn execute<K: Kernel<f32>>(&self, kernel: &K) {
        let exec = self.0;
        let threads = exec.threads_for(kernel.tasks(), kernel.elements());
        split_tasks(kernel.tasks(), threads, &|range| {
            run_f32(kernel, exec.isa, range);
            if kernel.streams() {
                fence();
            }
        });
    }
}

impl<T: Element> Runner<T> for ScalarRunner {
    fn exec(&self) -> Exec {
        self.0
    }
    fn execute<K: Kernel<T>>(&self, kernel: &K) {
        let threads = self.0.threads_for(kernel.tasks(), kernel.elements());
        split_tasks(kernel.tasks(), threads, &|range| {
            kernel.run::<Scalar<T>>(range)
        });
    }
}

/// Runs `range` of an f32 kernel on `isa`, which the caller has checked the CPU has.
fn run_f32<K: F32Kernel>(kernel: &K, isa: Isa, range: Range<usize>) {
    debug_assert!(isa.is_supported());
    match isa {
        Isa::Scalar => kernel.run::<Scalar<f32>>(range),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` came from `Exec`, which refuses a variant the CPU lacks.
        Isa::Sse2 => unsafe { super::x86::run_sse2(kernel, range) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { super::x86::run_avx2(kernel, range) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx512 => unsafe { super::x86::run_avx512(kernel, range) },
        #[cfg(not(target_arch = "x86_64"))]
        _ => kernel.run::<Scalar<f32>>(range),
    }
}

fn fence() {
    #[cfg(target_arch = "x86_64")]
    super::x86::store_fence();
}

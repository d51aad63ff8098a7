//! What a kernel is: a number of independent tasks (output rows or planes) and how to run a
//! range of them, written once for any [`Lanes`]. The runners (`run`) and the SIMD entry
//! points (`x86`) both take kernels by this trait, so neither imports the other for it.

use super::lanes::Lanes;
use crate::element::Element;
use std::ops::Range;

/// A kernel over `tasks()` independent tasks (output rows or planes), written once for
/// any [`Lanes`] of its element type.
pub(crate) trait Kernel<T: Element>: Sync {
    /// Number of tasks; `run` is called on disjoint ranges of `0..tasks()`.
    fn tasks(&self) -> usize;
    /// Elements read and written in all, to size the thread count of automatic calls.
    fn elements(&self) -> usize;
    /// True when the kernel may use streaming stores (a fence must follow).
    fn streams(&self) -> bool {
        false
    }
    /// Runs tasks `range`. Implementations are `#[inline(always)]` so that the SIMD entry
    /// points compile them with their instruction set.
    fn run<L: Lanes<T = T>>(&self, range: Range<usize>);
}

/// A kernel of f32, the element type with SIMD variants.
pub(crate) trait F32Kernel: Kernel<f32> {}
impl<K: Kernel<f32>> F32Kernel for K {}

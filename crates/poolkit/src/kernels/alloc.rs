//! Output buffers for the allocating calls: left uninitialised (a fast path writes every
//! element) and, when large, backed by transparent huge pages, so that a fresh output
//! costs a few dozen page faults instead of thousands.

/// Outputs from this size on ask for huge pages.
const HUGE_PAGE_MIN_BYTES: usize = 8 << 20;

/// A buffer with capacity for `len` elements and length 0.
pub(crate) fn output_buffer<T>(len: usize) -> Vec<T> {
    let mut buffer = Vec::with_capacity(len);
    let bytes = len * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(buffer.as_mut_ptr() as *mut u8, bytes);
    }
    buffer
}

/// `len` zeros, the large ones on huge pages: for calls that may hand the buffer to code
/// that reads it. Zeros come from `calloc` (fresh pages the kernel zeroes on first touch),
/// so the advice still applies to a large buffer's pages.
pub(crate) fn zeroed_output_buffer<T: crate::element::Element>(len: usize) -> Vec<T> {
    let mut buffer = vec![T::ZERO; len];
    let bytes = len * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(buffer.as_mut_ptr() as *mut u8, bytes);
    }
    buffer
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    let first = (start as usize).next_multiple_of(HUGE_PAGE);
    let end = (start as usize + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: the range lies inside this allocation and is page-aligned; the advice
        // changes how the kernel backs the pages, never their contents. A refusal (no
        // THP support) leaves ordinary pages, so the result is ignored.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

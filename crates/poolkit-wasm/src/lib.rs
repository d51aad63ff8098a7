//! The explorer's answers for the browser: `poolkit-explorer-api` behind a C-style interface
//! that JavaScript drives with plain `WebAssembly.instantiate`, so no binding generator has
//! to match this crate's version.
//!
//! The protocol, one call at a time (the page is single-threaded):
//! 1. `poolkit_alloc(n)` reserves `n` bytes; JavaScript writes the endpoint name, the JSON
//!    body and, for an uploaded image, its RGBA pixels into such buffers.
//! 2. `poolkit_call(...)` answers and returns the status (200, or the refusal's 4xx); the
//!    answer's JSON (or `{"error", "field"}`) is then at `poolkit_answer_ptr()` for
//!    `poolkit_answer_len()` bytes, until the next call.
//! 3. `poolkit_free(ptr, n)` gives each buffer back.

use std::cell::RefCell;

thread_local! {
    static ANSWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reserves `len` bytes for JavaScript to fill; give them back with [`poolkit_free`].
#[no_mangle]
pub extern "C" fn poolkit_alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Gives back a buffer from [`poolkit_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly what one `poolkit_alloc(len)` returned and was given,
/// and the buffer must not be used again.
#[no_mangle]
pub unsafe extern "C" fn poolkit_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes back a buffer of capacity `len.max(1)` made by
    // `poolkit_alloc`, once.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
}

/// Answers `endpoint` for `body` (and `pixels` for an uploaded image); returns the status.
///
/// # Safety
/// Each `(ptr, len)` pair must be readable for `len` bytes (a buffer from
/// [`poolkit_alloc`] that JavaScript wrote, or any pointer with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn poolkit_call(
    endpoint_ptr: *const u8,
    endpoint_len: usize,
    body_ptr: *const u8,
    body_len: usize,
    pixels_ptr: *const u8,
    pixels_len: usize,
) -> u32 {
    // SAFETY: the caller's promise above.
    let (endpoint, body, pixels) = unsafe {
        (
            bytes(endpoint_ptr, endpoint_len),
            bytes(body_ptr, body_len),
            bytes(pixels_ptr, pixels_len),
        )
    };
    let (status, answer) = answer(endpoint, body, pixels);
    ANSWER.with(|a| *a.borrow_mut() = answer);
    u32::from(status)
}

/// Where the last answer's bytes start.
#[no_mangle]
pub extern "C" fn poolkit_answer_ptr() -> *const u8 {
    ANSWER.with(|a| a.borrow().as_ptr())
}

/// How many bytes the last answer has.
#[no_mangle]
pub extern "C" fn poolkit_answer_len() -> usize {
    ANSWER.with(|a| a.borrow().len())
}

/// The status and JSON bytes of one call; what the native server would answer.
pub fn answer(endpoint: &[u8], body: &[u8], pixels: &[u8]) -> (u16, Vec<u8>) {
    let result = match std::str::from_utf8(endpoint) {
        Ok(name) => poolkit_explorer_api::call(name, body, pixels),
        Err(_) => Err(poolkit_explorer_api::ApiError::new(
            404,
            "the endpoint name is not UTF-8",
        )),
    };
    let (status, value) = match result {
        Ok(value) => (200, value),
        Err(e) => (e.status, e.to_json()),
    };
    (status, serde_json::to_vec(&value).unwrap_or_default())
}

/// `len` bytes at `ptr` (none when `len` is 0, whatever `ptr` is).
///
/// # Safety
/// When `len` > 0, `ptr` must be readable for `len` bytes for the returned lifetime.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        return &[];
    }
    // SAFETY: the caller's promise.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_through_the_buffers_answers_as_the_library_does() {
        let body = br#"{"grid": [[8, 2], [5, 9]]}"#;
        let ptr = poolkit_alloc(body.len());
        // SAFETY: a fresh buffer of `body.len()` bytes, written once, read by the call,
        // freed once.
        let status = unsafe {
            std::ptr::copy_nonoverlapping(body.as_ptr(), ptr, body.len());
            let status = poolkit_call(b"pool".as_ptr(), 4, ptr, body.len(), std::ptr::null(), 0);
            poolkit_free(ptr, body.len());
            status
        };
        assert_eq!(status, 200);
        let answer: Vec<u8> = unsafe {
            std::slice::from_raw_parts(poolkit_answer_ptr(), poolkit_answer_len()).to_vec()
        };
        let value: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        let expected = poolkit_explorer_api::call("pool", body, &[]).unwrap();
        assert_eq!(value, expected);
        assert_eq!(value["max"]["values"], serde_json::json!([[9.0]]));
    }

    #[test]
    fn a_refusal_comes_back_with_its_status_and_field() {
        let (status, bytes) = answer(
            b"pool",
            br#"{"grid": [[1, 2], [3, 4]], "settings": {"stride": [null, 2]}}"#,
            &[],
        );
        assert_eq!(status, 400);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["field"], "settings.stride[0]");
        assert_eq!(
            value["error"],
            "Stride (rows) is empty: type a whole number from 1 to 16."
        );
        assert_eq!(answer(b"nothing", b"{}", &[]).0, 404);
    }
}

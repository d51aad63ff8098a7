//! Fuzz target: the explorer's request router with any method, path, content type and body.
//! Every answer is a complete response below 500 (a refusal is a 4xx with a JSON reason),
//! never a 5xx or a panic.
//!
//! Input: a first line `METHOD TARGET [CONTENT-TYPE]`, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolkit_explorer::http::Request;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let head = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or_default();
    let mut words = head.split(' ');
    let method = words.next().unwrap_or_default();
    let target = words.next().unwrap_or("/");
    // The server's reader accepts only targets that start with '/'.
    let target = if target.starts_with('/') {
        target.to_string()
    } else {
        format!("/{target}")
    };
    let mut request = Request::new(method, &target, body);
    if body.len() > poolkit_explorer::body_limit(&request.method, &request.path) {
        return; // refused with 413 before the router sees it
    }
    if let Some(kind) = words.next() {
        request
            .headers
            .push(("content-type".into(), kind.to_string()));
    }
    let response = poolkit_explorer::handle(&request);
    assert!(
        (200..500).contains(&response.status),
        "{method} {target} answered {}: {}",
        response.status,
        response.text()
    );
    if response.status >= 400 {
        let reason = response.body_json();
        assert!(
            reason["error"].is_string(),
            "a refusal without a reason: {}",
            response.text()
        );
    }
});

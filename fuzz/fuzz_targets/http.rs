//! Fuzz target: the explorer's request reader on raw bytes, as a socket would deliver them.
//! Every input is read into a request or refused with a 4xx/5xx status and a reason; never a
//! panic, and never a body longer than its Content-Length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolkit_explorer::http::read_request;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let mut stream = std::io::Cursor::new(data);
    let deadline = Instant::now() + Duration::from_secs(5);
    match read_request(&mut stream, deadline, |_, _| 64 * 1024) {
        Ok(request) => {
            let declared = request
                .header("content-length")
                .map_or(0, |v| v.parse::<usize>().expect("a read request has a valid length"));
            assert_eq!(request.body.len(), declared);
            assert!(request.path.starts_with('/'));
        }
        Err(e) => {
            assert!((400..600).contains(&e.status), "status {}", e.status);
            assert!(!e.message.is_empty());
        }
    }
});

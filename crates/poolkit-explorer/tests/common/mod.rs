//! Helpers shared by the explorer's socket tests: a reply read off a raw loopback socket,
//! split into status, head and body, and the library's seed grid as the API takes it.

#![allow(dead_code)]

use serde_json::{json, Value};

/// An HTTP response as it came over the socket.
pub struct Reply {
    pub status: u16,
    /// The status line and the headers.
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// Splits the bytes of a whole response at the blank line after its headers.
    pub fn parse(bytes: &[u8]) -> Reply {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
        let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
        Reply {
            status: head[9..12].parse().unwrap(),
            head,
            body: bytes[split + 4..].to_vec(),
        }
    }

    /// The value of header `name` (any case), trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// The library's seed grid, row by row.
pub fn seed_grid() -> Value {
    let rows: Vec<&[f64]> = poolkit::teach::SEED_GRID
        .chunks(poolkit::teach::SEED_SIDE)
        .collect();
    json!(rows)
}

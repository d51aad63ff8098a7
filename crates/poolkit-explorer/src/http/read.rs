//! Reading one request off a socket, refusing early: headers past their cap (431), a body
//! longer than its route allows (413, decided from `Content-Length` before reading it), a
//! client slower than the deadline (408), and what this server does not speak (chunked
//! bodies, HTTP/2 prefaces, ...).

use super::message::Request;
use std::io::Read;
use std::time::Instant;

/// The most header bytes (request line included) a request may send.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Why a request could not be read; the server answers `status` with `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub status: u16,
    pub message: String,
}

fn fail(status: u16, message: impl Into<String>) -> ReadError {
    ReadError {
        status,
        message: message.into(),
    }
}

/// Reads one request. `body_limit(method, path)` gives the largest body that route accepts.
pub fn read_request(
    stream: &mut impl Read,
    deadline: Instant,
    body_limit: impl Fn(&str, &str) -> usize,
) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = find_header_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(fail(
                431,
                format!("request headers exceed {MAX_HEADER_BYTES} bytes"),
            ));
        }
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(fail(400, "connection closed before the headers ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if header_end > MAX_HEADER_BYTES {
        return Err(fail(
            431,
            format!("request headers exceed {MAX_HEADER_BYTES} bytes"),
        ));
    }
    let head = std::str::from_utf8(&buf[..header_end])
        .map_err(|_| fail(400, "request headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && t.starts_with('/') => (m, t, v),
        _ => {
            return Err(fail(
                400,
                format!("request line {request_line:?} is not `METHOD /path HTTP/1.1`"),
            ))
        }
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(fail(
            505,
            format!("{version:?}: this server speaks HTTP/1.0 and HTTP/1.1"),
        ));
    }
    let mut request = Request::new(method, target, Vec::new());
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(fail(400, format!("header line {line:?} has no colon")));
        };
        request
            .headers
            .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    if request.header("transfer-encoding").is_some() {
        return Err(fail(
            501,
            "Transfer-Encoding bodies are not supported: send Content-Length",
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| {
            fail(
                400,
                format!("Content-Length {v:?} is not a non-negative integer"),
            )
        })?,
    };
    let limit = body_limit(&request.method, &request.path);
    if length > limit {
        return Err(fail(
            413,
            format!(
                "body of {length} bytes is larger than the {limit} bytes {} {} accepts",
                request.method, request.path
            ),
        ));
    }
    let mut body = buf[header_end + 4..].to_vec();
    if body.len() > length {
        // Pipelined requests are not served: one request per connection.
        body.truncate(length);
    }
    while body.len() < length {
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(fail(
                400,
                format!(
                    "body ended after {} of {length} bytes (Content-Length)",
                    body.len()
                ),
            ));
        }
        let take = n.min(length - body.len());
        body.extend_from_slice(&chunk[..take]);
    }
    request.body = body;
    Ok(request)
}

fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

fn read_some(
    stream: &mut impl Read,
    chunk: &mut [u8],
    deadline: Instant,
) -> Result<usize, ReadError> {
    loop {
        if Instant::now() > deadline {
            return Err(fail(408, "the request took too long to arrive"));
        }
        match stream.read(chunk) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(fail(408, "the request took too long to arrive"))
            }
            Err(e) => return Err(fail(400, format!("reading the request failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn read(raw: &[u8], limit: usize) -> Result<Request, ReadError> {
        let mut cursor = std::io::Cursor::new(raw.to_vec());
        read_request(
            &mut cursor,
            Instant::now() + Duration::from_secs(5),
            |_, _| limit,
        )
    }

    #[test]
    fn reads_headers_query_and_body() {
        let r = read(
            b"POST /api/x?a=1&b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
            10,
        )
        .unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api/x"));
        assert_eq!(
            (r.query_param("a"), r.query_param("b")),
            (Some("1"), Some(""))
        );
        assert_eq!(r.header("host"), Some("h"));
        assert_eq!(r.body, b"abc");
    }

    #[test]
    fn oversized_body_is_413_before_reading_it() {
        let e = read(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10).unwrap_err();
        assert_eq!(e.status, 413);
        assert!(e.message.contains("11 bytes"), "{}", e.message);
    }

    #[test]
    fn oversized_headers_are_431() {
        let mut raw = b"GET / HTTP/1.1\r\nX: ".to_vec();
        raw.extend(std::iter::repeat_n(b'a', MAX_HEADER_BYTES + 10));
        raw.extend_from_slice(b"\r\n\r\n");
        assert_eq!(read(&raw, 0).unwrap_err().status, 431);
    }

    #[test]
    fn malformed_requests_are_refused_with_a_reason() {
        assert_eq!(read(b"GARBAGE\r\n\r\n", 0).unwrap_err().status, 400);
        assert_eq!(read(b"GET / HTTP/2.0\r\n\r\n", 0).unwrap_err().status, 505);
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(read(chunked, 10).unwrap_err().status, 501);
        let bad_len = b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
        assert_eq!(read(bad_len, 10).unwrap_err().status, 400);
        let short = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
        assert!(read(short, 10).unwrap_err().message.contains("2 of 5"));
    }
}

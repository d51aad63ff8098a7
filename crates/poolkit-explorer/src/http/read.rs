//! Reading one request off a socket, refusing early: headers past their cap (431), a body
//! longer than its route allows (413, decided from `Content-Length` before reading it), a
//! client slower than the deadline (408), and what this server does not speak (chunked
//! bodies, HTTP/2 prefaces, ...). The request head is parsed by `httparse`, which refuses
//! malformed lines (whitespace before a header's colon, bad tokens) itself; this module adds
//! the rules about `Content-Length`: digits only, and only once.

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
    let (mut request, header_end) = loop {
        if let Some(parsed) = parse_head(&buf)? {
            break parsed;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(too_long());
        }
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(fail(400, "connection closed before the headers ended"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if header_end > MAX_HEADER_BYTES {
        return Err(too_long());
    }
    if request.header("transfer-encoding").is_some() {
        return Err(fail(
            501,
            "Transfer-Encoding bodies are not supported: send Content-Length",
        ));
    }
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(name, _)| name == "content-length")
        .map(|(_, value)| value.as_str())
        .collect();
    let length = match lengths[..] {
        [] => 0,
        [v] if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse::<usize>()
            .map_err(|_| fail(400, format!("Content-Length {v:?} is too large")))?,
        [v] => {
            return Err(fail(
                400,
                format!("Content-Length {v:?} is not a non-negative integer written in digits"),
            ))
        }
        _ => {
            return Err(fail(
                400,
                format!("{} Content-Length headers: send exactly one", lengths.len()),
            ))
        }
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
    let mut body = buf[header_end..].to_vec();
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

/// Most header lines a request may send.
const MAX_HEADERS: usize = 64;

fn too_long() -> ReadError {
    fail(
        431,
        format!("request headers exceed {MAX_HEADER_BYTES} bytes or {MAX_HEADERS} lines"),
    )
}

/// The request and where its body starts, once the head is complete (`None` until then).
fn parse_head(buf: &[u8]) -> Result<Option<(Request, usize)>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Request::new(&mut headers);
    let end = match head.parse(buf) {
        Ok(httparse::Status::Complete(end)) => end,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) => {
            return Err(fail(505, "this server speaks HTTP/1.0 and HTTP/1.1"))
        }
        Err(httparse::Error::TooManyHeaders) => return Err(too_long()),
        Err(e) => return Err(fail(400, format!("the request is not valid HTTP/1.1: {e}"))),
    };
    let (method, target) = (
        head.method.unwrap_or_default(),
        head.path.unwrap_or_default(),
    );
    if !target.starts_with('/') {
        return Err(fail(
            400,
            format!("request target {target:?} is not a path: write `METHOD /path HTTP/1.1`"),
        ));
    }
    let mut request = Request::new(method, target, Vec::new());
    for header in head.headers.iter() {
        let value = std::str::from_utf8(header.value)
            .map_err(|_| fail(400, format!("header {:?} is not UTF-8", header.name)))?;
        request
            .headers
            .push((header.name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Some((request, end)))
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
        assert_eq!(
            read(b"GET http://x/ HTTP/1.1\r\n\r\n", 0)
                .unwrap_err()
                .status,
            400
        );
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(read(chunked, 10).unwrap_err().status, 501);
        let bad_len = b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
        assert_eq!(read(bad_len, 10).unwrap_err().status, 400);
        let short = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
        assert!(read(short, 10).unwrap_err().message.contains("2 of 5"));
    }

    #[test]
    fn content_length_is_digits_and_sent_once() {
        for (raw, said) in [
            (
                &b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nabcde"[..],
                "written in digits",
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde",
                "2 Content-Length headers",
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-length: 5\r\n\r\nabcde",
                "2 Content-Length headers",
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nabcde",
                "written in digits",
            ),
        ] {
            let e = read(raw, 10).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.message.contains(said), "{}", e.message);
        }
    }

    #[test]
    fn whitespace_before_a_colon_and_bad_tokens_are_refused() {
        let e = read(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("not valid HTTP/1.1"), "{}", e.message);
        assert_eq!(read(b"G(T / HTTP/1.1\r\n\r\n", 0).unwrap_err().status, 400);
        let many: Vec<u8> = [&b"GET / HTTP/1.1\r\n"[..], &b"X: y\r\n".repeat(65), b"\r\n"].concat();
        assert_eq!(read(&many, 0).unwrap_err().status, 431);
    }
}

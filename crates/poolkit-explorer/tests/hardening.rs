//! The local server's promises, proven over real loopback sockets: it binds 127.0.0.1 by
//! default and warns when told otherwise; it refuses foreign Host headers (DNS rebinding)
//! and cross-origin API calls; every response carries a Content-Security-Policy and
//! `nosniff`; bodies, grids, image sizes and concurrent connections are capped; a slow
//! client times out without holding up others; a panicking handler is a 500 and the server
//! keeps serving. Every socket here is on 127.0.0.1 and every wait is bounded.

mod common;

use common::{seed_grid, Reply};
use poolkit_explorer::http::{Request, Response};
use poolkit_explorer::{exposure_warning, ServeOptions, Server, ServerConfig};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The explorer's own routes plus `/test/panic` (panics) and `/test/slow` (takes 1.5 s).
fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/test/panic" => panic!("a handler bug, on purpose"),
        "/test/slow" => {
            std::thread::sleep(Duration::from_millis(1500));
            Response::json(200, &json!({ "slow": true }))
        }
        _ => poolkit_explorer::handle(request),
    }
}

/// A server of its own on a free loopback port, running until the test process ends.
fn start(config: ServerConfig) -> SocketAddr {
    let server = Server::bind(&config).expect("bind 127.0.0.1");
    let addr = server.local_addr();
    std::thread::spawn(move || server.run_with(handler, poolkit_explorer::body_limit));
    addr
}

fn loopback(max_connections: usize, deadline: Duration) -> SocketAddr {
    let mut config = ServerConfig::new("127.0.0.1", 0);
    config.max_connections = max_connections;
    config.request_deadline = deadline;
    start(config)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

fn read_reply(mut stream: TcpStream) -> Reply {
    let mut bytes = Vec::new();
    // A reset after the whole response arrived is not a failure of the server.
    let _ = stream.read_to_end(&mut bytes);
    Reply::parse(&bytes)
}

fn send(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = connect(addr);
    stream.write_all(raw).unwrap();
    read_reply(stream)
}

fn request(addr: SocketAddr, method: &str, path: &str, extra: &str, body: &[u8]) -> Reply {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{extra}Content-Length: {}\r\n\r\n",
        addr.port(),
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    send(addr, &raw)
}

fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Reply {
    request(
        addr,
        "POST",
        path,
        "Content-Type: application/json\r\n",
        body.to_string().as_bytes(),
    )
}

#[test]
fn binds_loopback_by_default_and_warns_otherwise() {
    let defaults = ServeOptions::default();
    assert_eq!(defaults.host, "127.0.0.1");
    let server = Server::bind(&ServerConfig::new(&defaults.host, 0)).unwrap();
    assert!(server.local_addr().ip().is_loopback());
    assert_eq!(exposure_warning(server.local_addr()), None);
    assert_eq!(exposure_warning("[::1]:7878".parse().unwrap()), None);
    // Any other address is reachable from elsewhere: the server says so (checked on the
    // address alone, nothing is bound outside loopback here).
    for (addr, names) in [
        ("0.0.0.0:7878", "every network interface"),
        ("[::]:7878", "every network interface"),
        ("192.168.1.20:7878", "192.168.1.20"),
    ] {
        let warning = exposure_warning(addr.parse().unwrap()).expect(addr);
        assert!(warning.contains(names), "{warning}");
        assert!(warning.contains("--host 127.0.0.1"), "{warning}");
    }
}

#[test]
fn foreign_host_headers_are_refused_dns_rebinding() {
    let addr = loopback(8, Duration::from_secs(5));
    for host in [
        "attacker.example".to_string(),
        format!("attacker.example:{}", addr.port()),
        "127.0.0.1:1".to_string(),
        format!("127.0.0.1.attacker.example:{}", addr.port()),
    ] {
        let raw = format!("GET /api/samples HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let reply = send(addr, raw.as_bytes());
        assert_eq!(reply.status, 403, "Host {host}");
        assert!(reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("is not this server"));
    }
    let no_host = send(addr, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(no_host.status, 403);
    // The names of this machine pass.
    for host in [
        format!("localhost:{}", addr.port()),
        format!("127.0.0.1:{}", addr.port()),
    ] {
        let raw = format!("GET /api/samples HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(send(addr, raw.as_bytes()).status, 200, "Host {host}");
    }
}

#[test]
fn cross_origin_api_calls_are_refused() {
    let addr = loopback(8, Duration::from_secs(5));
    let body = json!({ "grid": seed_grid() }).to_string();
    for origin in [
        "http://attacker.example",
        "https://127.0.0.1",
        "http://localhost:1",
        "file://",
    ] {
        let extra = format!("Content-Type: application/json\r\nOrigin: {origin}\r\n");
        let reply = request(addr, "POST", "/api/pool", &extra, body.as_bytes());
        assert_eq!(reply.status, 403, "Origin {origin}");
    }
    let own = format!(
        "Content-Type: application/json\r\nOrigin: http://127.0.0.1:{}\r\n",
        addr.port()
    );
    assert_eq!(
        request(addr, "POST", "/api/pool", &own, body.as_bytes()).status,
        200
    );
}

#[test]
fn every_response_has_a_csp_and_nosniff() {
    let addr = loopback(8, Duration::from_secs(5));
    let mut replies = vec![
        request(addr, "GET", "/", "", b""),
        request(addr, "GET", "/api/samples", "", b""),
        request(addr, "GET", "/api/samples/rings.png", "", b""),
        post_json(addr, "/api/pool", &json!({ "grid": seed_grid() })),
        post_json(addr, "/api/pool", &json!({ "grid": [[1]] })),
        request(addr, "GET", "/nowhere", "", b""),
        request(addr, "DELETE", "/api/pool", "", b""),
        request(addr, "GET", "/test/panic", "", b""),
        send(addr, b"GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n"),
        send(addr, b"NONSENSE\r\n\r\n"),
    ];
    replies.push(request(
        addr,
        "POST",
        "/api/pool",
        "Content-Type: application/json\r\n",
        &vec![b' '; 100 * 1024],
    ));
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 400, 404, 405, 500, 403, 400, 413]
    );
    for reply in &replies {
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{}", reply.head);
        assert!(csp.contains("frame-ancestors 'none'"), "{}", reply.head);
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{}",
            reply.head
        );
    }
}

#[test]
fn bodies_grids_and_images_are_capped() {
    let addr = loopback(8, Duration::from_secs(5));
    // JSON bodies: 64 KiB, refused from Content-Length before the body is read.
    let reply = request(
        addr,
        "POST",
        "/api/explore",
        "Content-Type: application/json\r\n",
        &vec![b' '; 64 * 1024 + 1],
    );
    assert_eq!(reply.status, 413);
    let raw = format!(
        "POST /api/image?layers=1 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\r\n",
        addr.port(),
        4 * 1024 * 1024 + 1
    );
    let claimed_only = send(addr, raw.as_bytes());
    assert_eq!(claimed_only.status, 413, "decided before any body byte");
    // Grids: 16 a side.
    let big: Vec<Vec<u8>> = vec![vec![1; 17]; 17];
    let reply = post_json(addr, "/api/pool", &json!({ "grid": big }));
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"].as_str().unwrap().contains("16"));
    // Images: a tiny PNG whose header claims 100000 × 100000 pixels is refused from its
    // header, without decoding (or allocating) anything like that.
    let reply = request(
        addr,
        "POST",
        "/api/image?layers=1",
        "Content-Type: image/png\r\n",
        &png_header_claiming(100_000, 100_000),
    );
    assert_eq!(reply.status, 400);
    let message = reply.json()["error"].as_str().unwrap().to_string();
    assert!(
        message.contains("100000×100000") && message.contains("4096"),
        "{message}"
    );
}

/// A PNG claiming `width × height` 8-bit grey pixels, with empty IDAT and IEND chunks: no
/// pixel data at all.
fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn concurrent_connections_beyond_the_cap_get_503_and_the_server_recovers() {
    let addr = loopback(2, Duration::from_secs(5));
    // Two slow requests hold both slots.
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let mut stream = connect(addr);
            let raw = format!(
                "GET /test/slow HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
                addr.port()
            );
            stream.write_all(raw.as_bytes()).unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let refused = request(addr, "GET", "/api/samples", "", b"");
    assert_eq!(refused.status, 503);
    assert!(refused.json()["error"].as_str().unwrap().contains("busy"));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused promptly"
    );
    for stream in slow {
        assert_eq!(read_reply(stream).status, 200);
    }
    // Slots are freed once the slow requests end.
    assert_eq!(request(addr, "GET", "/api/samples", "", b"").status, 200);
}

#[test]
fn a_slow_client_times_out_without_blocking_others() {
    let addr = loopback(8, Duration::from_secs(1));
    // Slowloris: header bytes dribbled one every 100 ms, never finishing; between bytes the
    // client listens for the server's answer.
    let mut slow = connect(addr);
    slow.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let dribbler = std::thread::spawn(move || {
        let started = Instant::now();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        let line = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        for &byte in line.iter().chain(std::iter::repeat(&b'a')) {
            if started.elapsed() > Duration::from_secs(5) {
                break;
            }
            let _ = slow.write_all(&[byte]);
            match slow.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let _ = slow.read_to_end(&mut answer);
                    break;
                }
                Err(_) => continue, // nothing yet: send the next byte
            }
        }
        (answer, started.elapsed())
    });
    // Meanwhile other clients are served at once.
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..5 {
        let started = Instant::now();
        let reply = post_json(addr, "/api/pool", &json!({ "grid": seed_grid() }));
        assert_eq!(reply.status, 200);
        assert!(started.elapsed() < Duration::from_millis(900));
    }
    let (answer, elapsed) = dribbler.join().unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    // The slow client got 408 once the 1 s deadline passed, not before, and well within 5 s.
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "{answer:?} after {elapsed:?}"
    );
    assert!(answer.contains("too long"), "{answer}");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[test]
fn a_panicking_handler_is_a_500_and_the_server_keeps_serving() {
    let addr = loopback(4, Duration::from_secs(5));
    for _ in 0..3 {
        let reply = request(addr, "GET", "/test/panic", "", b"");
        assert_eq!(reply.status, 500);
        assert!(reply.json()["error"].as_str().unwrap().contains("panicked"));
        let ok = post_json(addr, "/api/pool", &json!({ "grid": seed_grid() }));
        assert_eq!(ok.status, 200);
        assert_eq!(ok.json()["max"]["values"][0], json!([9.0, 8.0, 7.0]));
    }
    // Panics do not leak connection slots: more requests than slots still succeed.
    for _ in 0..8 {
        assert_eq!(request(addr, "GET", "/test/panic", "", b"").status, 500);
    }
    assert_eq!(request(addr, "GET", "/api/samples", "", b"").status, 200);
}

//! The server over a real loopback socket: pages and API answers, and every refusal the
//! hardening promises (400, 403, 404, 405, 413, 415, 431) with a JSON reason.

mod common;

use common::{seed_grid, Reply};
use poolkit_explorer::{Server, ServerConfig};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let server = Server::bind(&ServerConfig::new("127.0.0.1", 0)).expect("bind loopback");
        let addr = server.local_addr();
        std::thread::spawn(move || poolkit_explorer::run(server));
        addr
    })
}

fn send_raw(raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(server()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    Reply::parse(&bytes)
}

fn request(method: &str, path: &str, content_type: &str, body: &[u8]) -> Reply {
    let host = format!("127.0.0.1:{}", server().port());
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    send_raw(&raw)
}

fn post(path: &str, body: Value) -> Reply {
    request(
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
}

#[test]
fn page_and_assets_are_served_with_a_strict_policy() {
    let page = request("GET", "/", "text/plain", b"");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(
        page.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(request("GET", "/style.css", "text/plain", b"").status, 200);
    assert_eq!(
        request("GET", "/favicon.svg", "text/plain", b"").status,
        200
    );
    let missing = request("GET", "/nope.js", "text/plain", b"");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .contains("/nope.js"));
}

#[test]
fn explore_answers_the_seeds_numbers() {
    let r = post("/api/explore", json!({ "grid": seed_grid() }));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        v["pool"]["max"]["values"],
        json!([[9.0, 8.0, 7.0], [6.0, 7.0, 9.0], [8.0, 9.0, 6.0]])
    );
    assert_eq!(v["pool"]["summary"]["mean_gap"], json!(3.0));
    assert_eq!(v["pool"]["summary"]["largest_gap"], json!(3.5));
    assert_eq!(v["conv"]["equals_avg_pool"], json!(true));
    assert_eq!(v["global"]["max"], json!(9.0));
    assert_eq!(v["gradient"]["grad_input"][1][1], json!(1.0));
    assert_eq!(v["shift"]["direction"], json!("right"));
}

#[test]
fn invalid_settings_are_400_naming_value_and_rule() {
    let r = post(
        "/api/explore",
        json!({ "grid": seed_grid(), "settings": { "stride": [0, 2] } }),
    );
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["field"], json!("settings.stride[0]"));
    assert_eq!(
        v["error"],
        json!("Stride (rows) is 0: it must be a whole number from 1 to 16.")
    );
    // An empty box and a fraction get the same kind of sentence, naming the box.
    for (stride, field, said) in [
        (
            json!([null, 2]),
            "settings.stride[0]",
            "Stride (rows) is empty: type a whole number from 1 to 16.",
        ),
        (
            json!([2, 2.5]),
            "settings.stride[1]",
            "Stride (columns) is 2.5: it must be a whole number from 1 to 16.",
        ),
    ] {
        let r = post(
            "/api/explore",
            json!({ "grid": seed_grid(), "settings": { "stride": stride } }),
        );
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["field"], json!(field));
        assert_eq!(r.json()["error"], json!(said));
    }
    let empty_p = post(
        "/api/explore",
        json!({ "grid": seed_grid(), "settings": { "p": null } }),
    );
    assert_eq!(
        empty_p.json()["error"],
        json!("p is empty: type a number from 0.1 to 100.")
    );
    let unknown = post(
        "/api/explore",
        json!({ "grid": seed_grid(), "settings": { "strides": [1, 1] } }),
    );
    assert_eq!(unknown.status, 400);
    assert!(unknown.json()["error"]
        .as_str()
        .unwrap()
        .contains("strides"));
    let not_json = request("POST", "/api/pool", "application/json", b"{");
    assert_eq!(not_json.status, 400);
}

#[test]
fn oversized_bodies_are_413_and_wrong_types_415() {
    let big = vec![b' '; 65 * 1024];
    let r = request("POST", "/api/explore", "application/json", &big);
    assert_eq!(r.status, 413);
    assert!(r.json()["error"].as_str().unwrap().contains("66560 bytes"));
    let r = request("POST", "/api/explore", "text/plain", b"{}");
    assert_eq!(r.status, 415);
}

#[test]
fn wrong_method_is_405_with_allow() {
    let r = request("GET", "/api/explore", "text/plain", b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("POST"));
    assert_eq!(
        request("POST", "/api/nothing", "application/json", b"{}").status,
        404
    );
}

#[test]
fn foreign_host_and_origin_are_403() {
    let r = send_raw(b"GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
    assert_eq!(r.status, 403);
    let host = format!("127.0.0.1:{}", server().port());
    let raw = format!("POST /api/pool HTTP/1.1\r\nHost: {host}\r\nOrigin: http://attacker.example\r\nContent-Length: 2\r\n\r\n{{}}");
    assert_eq!(send_raw(raw.as_bytes()).status, 403);
}

#[test]
fn malformed_and_huge_headers_are_refused() {
    assert_eq!(send_raw(b"NONSENSE\r\n\r\n").status, 400);
    let mut raw = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 20_000));
    raw.extend_from_slice(b"\r\n\r\n");
    assert_eq!(send_raw(&raw).status, 431);
}

#[test]
fn samples_are_listed_and_pooled() {
    let list = request("GET", "/api/samples", "text/plain", b"").json();
    let names: Vec<_> = list["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert!(names.contains(&json!("cat")), "{names:?}");
    let png = request("GET", "/api/samples/cat.png", "text/plain", b"");
    assert_eq!(
        (png.status, png.header("content-type").as_deref()),
        (200, Some("image/png"))
    );
    let pooled = request(
        "POST",
        "/api/image?sample=rings&layers=3",
        "application/octet-stream",
        b"",
    );
    assert_eq!(
        pooled.status,
        200,
        "{}",
        String::from_utf8_lossy(&pooled.body)
    );
    assert_eq!(pooled.json()["layers"].as_array().unwrap().len(), 3);
    let bad = request(
        "POST",
        "/api/image?layers=2",
        "image/png",
        b"\x89PNG garbage",
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn checkpoint_and_parse_endpoints() {
    let r = post("/api/checkpoint", json!({ "answer": "7, 7, 32" })).json();
    assert_eq!(r["correct"], json!(true));
    let r = post("/api/parse", json!({ "text": "abc", "kind": "number" }));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("\"abc\" is not a number"));
    let r = post("/api/parse", json!({ "text": "1,2\n3,4", "kind": "csv" })).json();
    assert_eq!(r["grid"], json!([[1.0, 2.0], [3.0, 4.0]]));
}

#[test]
fn many_concurrent_requests_are_all_answered() {
    let handles: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(|| post("/api/pool", json!({ "grid": seed_grid() })).status))
        .collect();
    for h in handles {
        let status = h.join().unwrap();
        assert!(status == 200 || status == 503, "{status}");
    }
}

#[test]
fn a_taken_port_is_an_error_not_a_panic() {
    let taken = server().port();
    let err = Server::bind(&ServerConfig::new("127.0.0.1", taken)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    let url = Server::bind(&ServerConfig::new("127.0.0.1", 0))
        .unwrap()
        .url();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
}

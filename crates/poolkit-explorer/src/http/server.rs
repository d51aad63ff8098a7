//! The listener: accepts connections, caps how many are served at once, reads one request
//! each under a deadline, checks where it claims to come from, and writes the response.

use super::message::{reason, Request, Response};
use super::read::read_request;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where and how the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address to bind, `127.0.0.1` by default.
    pub host: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Connections served at once; more are answered 503 at once.
    pub max_connections: usize,
    /// Time a client has to send its whole request.
    pub request_deadline: Duration,
}

impl ServerConfig {
    /// The defaults for `host:port`.
    pub fn new(host: &str, port: u16) -> ServerConfig {
        ServerConfig {
            host: host.to_string(),
            port,
            max_connections: 32,
            request_deadline: Duration::from_secs(10),
        }
    }
}

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    config: ServerConfig,
    addr: SocketAddr,
}

impl Server {
    /// Binds the address; fails as `bind` does (port in use, bad host, ...).
    pub fn bind(config: &ServerConfig) -> std::io::Result<Server> {
        let target = (config.host.as_str(), config.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("host {:?} resolves to no address", config.host),
                )
            })?;
        let listener = TcpListener::bind(target)?;
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            config: config.clone(),
            addr,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("http://{}:{}/", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("http://[{}]:{}/", a.ip(), a.port()),
        }
    }

    /// Serves until the process ends, answering each request with `handler` and reading no
    /// body longer than `body_limit(method, path)`. Each connection gets its own thread, at
    /// most `max_connections` at once. The explorer's routes are `crate::run`'s; tests pass
    /// their own (one that panics, one that is slow) with the same checks, caps and deadlines.
    pub fn run_with<H>(self, handler: H, body_limit: BodyLimit) -> std::io::Result<()>
    where
        H: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let gate = Arc::new(HostGate::new(&self.config.host, self.addr));
        let handler = Arc::new(handler);
        let slots = Arc::new(Slots::default());
        for stream in self.listener.incoming() {
            let Ok(mut stream) = stream else {
                // Out of descriptors or a reset before accept: back off, keep serving.
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            // A client that just got its answer may reconnect before the thread that served
            // it has ended: wait a moment for a slot before refusing.
            let Some(slot) = slots.acquire(self.config.max_connections, SLOT_WAIT) else {
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let busy = Response::error(503, "the explorer is busy: try again");
                let _ = write_response(&mut stream, &busy);
                continue;
            };
            let gate = gate.clone();
            let handler = handler.clone();
            let deadline = self.config.request_deadline;
            let spawned = std::thread::Builder::new()
                .name("explorer-conn".into())
                .spawn(move || {
                    let _slot = slot;
                    serve_connection(stream, &gate, deadline, &*handler, body_limit);
                });
            if spawned.is_err() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }
}

/// The largest body a route accepts, from its method and path.
pub type BodyLimit = fn(&str, &str) -> usize;

/// How long a new connection waits for a free slot before it is answered 503.
const SLOT_WAIT: Duration = Duration::from_millis(250);

/// The number of connections being served, and a signal when one ends.
#[derive(Default)]
struct Slots {
    active: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    /// A slot if fewer than `max` are taken, waiting up to `wait` for one to free.
    fn acquire(self: &Arc<Self>, max: usize, wait: Duration) -> Option<Slot> {
        let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let (mut active, _) = self
            .freed
            .wait_timeout_while(active, wait, |active| *active >= max)
            .unwrap_or_else(|e| e.into_inner());
        if *active >= max {
            return None;
        }
        *active += 1;
        Some(Slot(self.clone()))
    }
}

/// Frees a connection slot when the connection's thread ends, panic or not.
struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        let mut active = self.0.active.lock().unwrap_or_else(|e| e.into_inner());
        *active -= 1;
        self.0.freed.notify_one();
    }
}

/// The warning to print when `addr` is reachable from other machines: everything but a
/// loopback address is.
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let reach = if addr.ip().is_unspecified() {
        "every network interface".to_string()
    } else {
        addr.ip().to_string()
    };
    Some(format!(
        "warning: the explorer listens on {reach} (port {}), so other machines on the network \
         can reach it; use --host 127.0.0.1 to keep it to this machine",
        addr.port()
    ))
}

fn serve_connection(
    mut stream: TcpStream,
    gate: &HostGate,
    deadline: Duration,
    handler: &dyn Fn(&Request) -> Response,
    body_limit: BodyLimit,
) {
    let per_read = deadline.min(Duration::from_secs(5));
    let _ = stream.set_read_timeout(Some(per_read));
    let _ = stream.set_write_timeout(Some(deadline));
    let _ = stream.set_nodelay(true);
    let (response, unread_body) =
        match read_request(&mut stream, Instant::now() + deadline, body_limit) {
            Ok(request) => (respond(&request, gate, handler), false),
            Err(e) => (Response::error(e.status, e.message), true),
        };
    let _ = write_response(&mut stream, &response);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    if unread_body {
        drain(&mut stream);
    }
}

/// Reads and discards what a refused client is still sending, briefly, so that closing the
/// socket does not reset the connection before the client has read the refusal.
fn drain(stream: &mut TcpStream) {
    const MAX_DRAIN_BYTES: usize = 8 * 1024 * 1024;
    let until = Instant::now() + Duration::from_secs(2);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 16 * 1024];
    let mut drained = 0;
    while drained < MAX_DRAIN_BYTES && Instant::now() < until {
        match std::io::Read::read(stream, &mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Checks the request's origin, then routes it; a panicking handler becomes a 500.
fn respond(request: &Request, gate: &HostGate, handler: &dyn Fn(&Request) -> Response) -> Response {
    if let Err(refusal) = gate.check(request) {
        return refusal;
    }
    match catch_unwind(AssertUnwindSafe(|| handler(request))) {
        Ok(response) => response,
        Err(_) => Response::error(500, "internal error: the handler panicked; this is a bug"),
    }
}

fn write_response(stream: &mut impl Write, response: &Response) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
         X-Frame-Options: DENY\r\nContent-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         img-src 'self' data: blob:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)
}

/// Refuses requests whose `Host` is not this server (DNS rebinding) and cross-site
/// `Origin`s (another page posting to the explorer).
#[derive(Debug)]
struct HostGate {
    allowed: Vec<String>,
    any_host: bool,
}

impl HostGate {
    fn new(host: &str, addr: SocketAddr) -> HostGate {
        let port = addr.port();
        let mut allowed: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|h| format!("{h}:{port}"))
            .collect();
        let named = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        allowed.push(named.to_ascii_lowercase());
        allowed.push(addr.to_string());
        HostGate {
            allowed,
            // Bound to every interface on purpose: the user chose to be reachable by any name.
            any_host: addr.ip().is_unspecified(),
        }
    }

    fn check(&self, request: &Request) -> Result<(), Response> {
        let host = request
            .header("host")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !self.any_host && !self.allowed.contains(&host) {
            return Err(Response::error(
                403,
                format!(
                    "Host {host:?} is not this server: requests must name it as one of {}",
                    self.allowed.join(", ")
                ),
            ));
        }
        if let Some(origin) = request.header("origin") {
            let origin_host = origin
                .strip_prefix("http://")
                .unwrap_or("")
                .to_ascii_lowercase();
            // `null` is a sandboxed frame, a file or a redirect: never this server's own page.
            if origin == "null" {
                return Err(Response::error(
                    403,
                    "Origin null (a sandboxed frame, a file or a redirect): the explorer answers only its own page",
                ));
            }
            if origin_host != host {
                return Err(Response::error(
                    403,
                    format!(
                        "Origin {origin:?} is another site: the explorer answers only its own page"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> HostGate {
        HostGate::new("127.0.0.1", "127.0.0.1:7878".parse().unwrap())
    }

    fn with_headers(headers: &[(&str, &str)]) -> Request {
        let mut r = Request::new("GET", "/", Vec::new());
        r.headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        r
    }

    #[test]
    fn loopback_names_pass_the_host_check() {
        for host in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST:7878",
            "[::1]:7878",
        ] {
            assert!(
                gate().check(&with_headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
    }

    #[test]
    fn dns_rebinding_host_is_403() {
        let refused = gate()
            .check(&with_headers(&[("host", "evil.example:7878")]))
            .unwrap_err();
        assert_eq!(refused.status, 403);
        assert!(refused.text().contains("evil.example"));
        assert!(gate().check(&with_headers(&[])).is_err());
    }

    #[test]
    fn cross_site_origin_is_403() {
        let same = [
            ("host", "127.0.0.1:7878"),
            ("origin", "http://127.0.0.1:7878"),
        ];
        assert!(gate().check(&with_headers(&same)).is_ok());
        let other = [
            ("host", "127.0.0.1:7878"),
            ("origin", "http://evil.example"),
        ];
        assert_eq!(gate().check(&with_headers(&other)).unwrap_err().status, 403);
        let opaque = [("host", "127.0.0.1:7878"), ("origin", "null")];
        let refused = gate().check(&with_headers(&opaque)).unwrap_err();
        assert_eq!(refused.status, 403);
        assert!(refused.text().contains("Origin null"), "{}", refused.text());
    }
}

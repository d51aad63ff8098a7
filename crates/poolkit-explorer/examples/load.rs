//! A bounded load generator for the explorer: N clients on std threads, each sending valid
//! requests over raw HTTP/1.1 (one per connection, as the server serves them) to a server on
//! 127.0.0.1 for a fixed time, then a summary: requests/s, latency percentiles, errors.
//!
//! It refuses any address that is not loopback, and stops by itself: after `--seconds`, or
//! after `--max-requests` in all, whichever comes first.
//!
//! ```text
//! cargo run --release -p poolkit-explorer --example load -- \
//!     --addr 127.0.0.1:7878 --clients 32 --seconds 20 --path /api/explore
//! ```
//!
//! Exit status: 0 when every request got 200, 1 when any failed, 2 for bad arguments.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The seed's 6×6 grid with the page's default settings and every optional view.
fn body() -> String {
    let rows: Vec<&[f64]> = poolkit::teach::SEED_GRID
        .chunks(poolkit::teach::SEED_SIDE)
        .collect();
    serde_json::json!({
        "grid": rows,
        "settings": {"operator": "max", "kernel": [2, 2], "stride": [2, 2]},
        "shift": "right",
        "weights": [[0.25, 0.25], [0.25, 0.25]],
    })
    .to_string()
}

struct Options {
    addr: SocketAddr,
    clients: usize,
    duration: Duration,
    path: String,
    max_requests: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:7878".parse().expect("literal address"),
        clients: 32,
        duration: Duration::from_secs(20),
        path: "/api/explore".into(),
        max_requests: 10_000_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |rule: &str| format!("{flag} {value:?}: {rule}");
        match flag.as_str() {
            "--addr" => {
                options.addr = value.parse().map_err(|_| bad("give IP:PORT"))?;
            }
            "--clients" => {
                options.clients = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1024).contains(n))
                    .ok_or_else(|| bad("clients range from 1 to 1024"))?;
            }
            "--seconds" => {
                let seconds: u64 = value
                    .parse()
                    .ok()
                    .filter(|s| (1..=600).contains(s))
                    .ok_or_else(|| bad("seconds range from 1 to 600"))?;
                options.duration = Duration::from_secs(seconds);
            }
            "--path" if value.starts_with("/api/") => options.path = value,
            "--path" => return Err(bad("the path must be an /api/ route")),
            "--max-requests" => {
                options.max_requests = value
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| bad("at least 1"))?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !options.addr.ip().is_loopback() {
        return Err(format!(
            "--addr {}: this tool loads only a server on this machine (127.0.0.1 or ::1)",
            options.addr
        ));
    }
    Ok(options)
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// Sends one request on a fresh connection; the status code or why there was none.
fn one_request(addr: SocketAddr, raw: &[u8]) -> Result<u16, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.write_all(raw).map_err(|e| e.to_string())?;
    let mut response = Vec::with_capacity(16 * 1024);
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {} bytes", response.len()))?;
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let length: usize = String::from_utf8_lossy(&response[..head_end])
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or("no Content-Length")?;
    if response.len() - head_end - 4 != length {
        return Err(format!(
            "body of {} bytes, Content-Length {length}",
            response.len() - head_end - 4
        ));
    }
    Ok(status)
}

fn client(options: Arc<Options>, issued: Arc<AtomicU64>, until: Instant) -> Tally {
    let body = body();
    let raw = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        options.path,
        options.addr,
        body.len()
    );
    let mut tally = Tally::default();
    while Instant::now() < until && issued.fetch_add(1, Ordering::Relaxed) < options.max_requests {
        let started = Instant::now();
        let result = one_request(options.addr, raw.as_bytes());
        let micros = started.elapsed().as_micros() as u64;
        match result {
            Ok(200) => tally.latencies_us.push(micros),
            other => {
                tally.errors += 1;
                tally.first_error.get_or_insert(match other {
                    Ok(status) => format!("status {status}"),
                    Err(e) => e,
                });
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + options.duration;
    let handles: Vec<_> = (0..options.clients)
        .map(|_| {
            let (options, issued) = (options.clone(), issued.clone());
            std::thread::spawn(move || client(options, issued, until))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for handle in handles {
        let tally = handle.join().expect("client thread");
        latencies.extend(tally.latencies_us);
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ok = latencies.len() as u64;
    println!(
        "load: {} clients, {:.1} s, POST {} on {}",
        options.clients, elapsed, options.path, options.addr
    );
    println!(
        "load: {} requests ({} ok, {errors} errors), {:.0} requests/s",
        ok + errors,
        ok,
        (ok + errors) as f64 / elapsed
    );
    println!(
        "load: latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    if let Some(e) = first_error {
        println!("load: first error: {e}");
    }
    if errors == 0 && ok > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

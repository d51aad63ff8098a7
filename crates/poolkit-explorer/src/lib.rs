//! The interactive Max vs. Average Pooling Explorer, served from this crate.
//!
//! `poolkit explore` calls [`serve`]: a small HTTP/1.1 server on `std::net` that serves the
//! page (HTML, scripts, styles and, when built with it, the library compiled to WebAssembly,
//! all embedded in the binary, nothing loaded from outside) and a JSON API. Every number the
//! page shows — pooled outputs, windows, argmax positions, gradients, shapes, summaries —
//! comes from `poolkit-explorer-api`: in the browser through the WebAssembly build (the same
//! page `scripts/build-web.sh` writes as a static site), or through this server's API when
//! the binary has no WebAssembly. The API is documented in `API.md` beside this crate's
//! `Cargo.toml`.
//!
//! Stopping: the server keeps no state worth saving (every request carries the whole page
//! state), so Ctrl-C's default action, ending the process at once, is a clean stop.
//!
//! ```no_run
//! use poolkit_explorer::{serve, ServeOptions};
//! serve(ServeOptions { host: "127.0.0.1".into(), port: 7878, open: false })?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod api;
mod assets;
pub mod http;
mod routes;
mod upload;

pub use poolkit_explorer_api as answers;

pub use http::server::{exposure_warning, Server, ServerConfig};
pub use routes::{body_limit, handle, run};

/// How `poolkit explore` was asked to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Address to bind: `127.0.0.1` unless the user asks otherwise.
    pub host: String,
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Open the page in the default browser once the server listens.
    pub open: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: "127.0.0.1".into(),
            port: 7878,
            open: false,
        }
    }
}

/// Serves the explorer until the process is stopped (Ctrl-C), printing its URL first.
///
/// Returns only if the address cannot be bound or the listener fails.
pub fn serve(opts: ServeOptions) -> std::io::Result<()> {
    let server = Server::bind(&ServerConfig::new(&opts.host, opts.port))?;
    let url = server.url();
    if let Some(warning) = exposure_warning(server.local_addr()) {
        eprintln!("{warning}");
    }
    println!("poolkit explorer: {url}");
    if !assets::has_wasm() {
        println!("(this build has no WebAssembly: the page computes through this server; scripts/build-web.sh builds it)");
    }
    println!("(Ctrl-C stops it)");
    if opts.open {
        open_in_browser(&url);
    }
    run(server)
}

/// Best effort: a missing opener only prints a note, the server still runs.
fn open_in_browser(url: &str) {
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(target_os = "windows") {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    let spawned = std::process::Command::new(opener[0])
        .args(&opener[1..])
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!(
            "could not start a browser ({}); open {url} yourself",
            opener[0]
        );
    }
}

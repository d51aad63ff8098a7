//! Serves the explorer without the CLI, for the browser tests and for working on the page:
//! `cargo run -p poolkit-explorer --example serve -- [PORT]` (0 picks a free port; the URL
//! is printed on the first line).

fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map(|p| p.parse::<u16>())
        .transpose()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("port: {e}")))?
        .unwrap_or(7878);
    poolkit_explorer::serve(poolkit_explorer::ServeOptions {
        host: "127.0.0.1".into(),
        port,
        open: false,
    })
}

//! Which handler answers which path, and how large a body each may receive.

use crate::api;
use crate::assets;
use crate::http::server::Server;
use crate::http::{Request, Response};

/// Bodies of JSON requests: a 16×16 grid with settings is a few kilobytes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// Uploaded PNG/JPEG files.
pub const IMAGE_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The largest body `method path` accepts; longer ones are refused with 413 unread.
pub fn body_limit(method: &str, path: &str) -> usize {
    match (method, path) {
        ("POST", "/api/image") => IMAGE_BODY_LIMIT,
        ("POST", _) => JSON_BODY_LIMIT,
        _ => 0,
    }
}

/// Answers one request.
pub fn handle(request: &Request) -> Response {
    if request.path.starts_with("/api/") {
        return api::handle(request);
    }
    match assets::find(&request.path) {
        Some(asset) if request.method == "GET" || request.method == "HEAD" => {
            let mut response = Response::asset(asset.content_type, asset.body);
            if request.method == "HEAD" {
                response.body.clear();
            }
            response
        }
        Some(_) => Response::error(
            405,
            format!(
                "{} {}: assets are read with GET",
                request.method, request.path
            ),
        )
        .with_header("Allow", "GET, HEAD"),
        None => Response::error(404, format!("no page or asset at {:?}", request.path)),
    }
}

/// Serves the explorer's routes on `server` until the process ends.
pub fn run(server: Server) -> std::io::Result<()> {
    server.run_with(handle, body_limit)
}

//! The JSON API the page calls for every number it shows. Each handler turns a request body
//! into library calls and the library's answers into JSON; `API.md` documents the shapes.
//!
//! Handlers are plain functions from a [`Request`] to a [`Response`], so tests call them
//! directly as well as over a socket.

mod checkpoint;
mod conv;
mod error;
mod explore;
mod gradient;
mod grid;
mod images;
mod presets;
mod request;
mod samples;
mod settings;
mod shift;
mod text;

pub use error::ApiError;
pub use grid::Grid;
pub use settings::{Operator, PaddingMode, Settings};

use crate::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Routes an `/api/...` request to its handler.
pub fn handle(request: &Request) -> Response {
    let method = request.method.as_str();
    let path = request.path.as_str();
    let result = match (method, path) {
        ("POST", "/api/explore") => json_handler(request, explore::explore),
        ("POST", "/api/pool") => json_handler(request, explore::pool_only),
        ("POST", "/api/shift") => json_handler(request, shift::shift),
        ("POST", "/api/gradient") => json_handler(request, gradient::gradient),
        ("POST", "/api/conv") => json_handler(request, conv::conv),
        ("POST", "/api/shape") => json_handler(request, checkpoint::shape),
        ("POST", "/api/checkpoint") => json_handler(request, checkpoint::checkpoint),
        ("POST", "/api/parse") => json_handler(request, text::parse),
        ("POST", "/api/preset") => json_handler(request, presets::preset),
        ("POST", "/api/resize") => json_handler(request, presets::resize),
        ("POST", "/api/image") => images::pool_image(request),
        ("GET", "/api/samples") => Ok(samples::list()),
        ("GET", p) if p.starts_with("/api/samples/") => {
            return samples::png(&p["/api/samples/".len()..]);
        }
        (_, p) if known_path(p) => {
            let allow = if p == "/api/samples" || p.starts_with("/api/samples/") {
                "GET"
            } else {
                "POST"
            };
            return Response::error(
                405,
                format!("{method} {p}: this endpoint answers {allow} only"),
            )
            .with_header("Allow", allow);
        }
        _ => return Response::error(404, format!("no API endpoint at {path:?}")),
    };
    match result {
        Ok(value) => Response::json(200, &value),
        Err(e) => e.into_response(),
    }
}

fn known_path(path: &str) -> bool {
    const PATHS: &[&str] = &[
        "/api/explore",
        "/api/pool",
        "/api/shift",
        "/api/gradient",
        "/api/conv",
        "/api/shape",
        "/api/checkpoint",
        "/api/parse",
        "/api/preset",
        "/api/resize",
        "/api/image",
        "/api/samples",
    ];
    PATHS.contains(&path) || path.starts_with("/api/samples/")
}

/// Parses the body as `T`, runs `f`, and serialises its answer.
fn json_handler<T: DeserializeOwned>(
    request: &Request,
    f: impl FnOnce(T) -> Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    if let Some(kind) = request.header("content-type") {
        if !kind.starts_with("application/json") {
            return Err(ApiError::new(
                415,
                format!("Content-Type {kind:?}: this endpoint takes application/json"),
            ));
        }
    }
    let body: T = serde_json::from_slice(&request.body).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not valid for this endpoint: {e}"
        ))
    })?;
    f(body)
}

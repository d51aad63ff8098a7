//! The JSON API over HTTP: every endpoint of `poolkit-explorer-api` answers `POST /api/NAME`,
//! beside the two the server adds: `POST /api/image` with a PNG or JPEG file as the body
//! (decoded here), and `GET /api/samples/NAME.png`.

use crate::http::{Request, Response};
use crate::upload;
use poolkit_explorer_api::{call, ApiError, ENDPOINTS};

/// Routes an `/api/...` request to its handler.
pub fn handle(request: &Request) -> Response {
    let method = request.method.as_str();
    let path = request.path.as_str();
    let name = path.strip_prefix("/api/").unwrap_or("");
    let result = match (method, name) {
        ("GET", "samples") => call("samples", b"{}", &[]),
        // The page's engine asks every endpoint with POST; `samples` takes GET too.
        ("POST", "samples") => json_call(request, "samples"),
        ("GET", n) if n.starts_with("samples/") => {
            return upload::sample_png(&n["samples/".len()..])
        }
        ("POST", "image") => upload::pool_image(request),
        ("POST", n) if ENDPOINTS.contains(&n) && n != "samples" => json_call(request, n),
        (_, n) if ENDPOINTS.contains(&n) || n.starts_with("samples/") => {
            let allow = if n.starts_with("samples") {
                "GET"
            } else {
                "POST"
            };
            return Response::error(
                405,
                format!("{method} {path}: this endpoint answers {allow} only"),
            )
            .with_header("Allow", allow);
        }
        _ => return Response::error(404, format!("no API endpoint at {path:?}")),
    };
    match result {
        Ok(value) => Response::json(200, &value),
        Err(e) => error_response(&e),
    }
}

/// A refusal as HTTP: its status and `{"error", "field"}`.
pub fn error_response(e: &ApiError) -> Response {
    Response::json(e.status, &e.to_json())
}

/// A JSON endpoint: the body must be JSON (when its type is given at all).
fn json_call(request: &Request, name: &str) -> Result<serde_json::Value, ApiError> {
    if let Some(kind) = request.header("content-type") {
        if !kind.starts_with("application/json") {
            return Err(ApiError::new(
                415,
                format!("Content-Type {kind:?}: this endpoint takes application/json"),
            ));
        }
    }
    call(name, &request.body, &[])
}

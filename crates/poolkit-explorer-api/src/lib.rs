//! The explorer's answers. Every number the Max vs. Average Pooling Explorer shows is computed
//! here, from a JSON request, with the `poolkit` library: the local server (`poolkit explore`)
//! answers its `/api/...` requests with [`call`], and the page compiled to WebAssembly calls
//! the same function in the browser. No I/O: requests and answers are bytes and JSON values.
//! The endpoints and their JSON are documented in `API.md` of the `poolkit-explorer` crate.

mod checkpoint;
mod conv;
mod error;
mod explore;
mod fields;
mod frameworks;
mod gradient;
mod grid;
pub mod images;
mod limits;
mod plain_words;
mod presets;
mod request;
pub mod samples;
mod settings;
mod shift;
mod text;

pub use error::ApiError;
pub use grid::Grid;
pub use settings::{Operator, PaddingMode, Settings};

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Every endpoint, by the name that follows `/api/` in the server's paths.
pub const ENDPOINTS: &[&str] = &[
    "explore",
    "pool",
    "shift",
    "gradient",
    "conv",
    "shape",
    "checkpoint",
    "chain",
    "parse",
    "preset",
    "resize",
    "samples",
    "image",
    "limits",
];

/// Answers one request: `endpoint` names it (`"explore"`, ...), `body` is its JSON, and
/// `pixels` carries an uploaded image's RGBA bytes for `"image"` (empty otherwise).
pub fn call(endpoint: &str, body: &[u8], pixels: &[u8]) -> Result<Value, ApiError> {
    match endpoint {
        "explore" => json_handler(body, explore::explore),
        "pool" => json_handler(body, explore::pool_only),
        "shift" => json_handler(body, shift::shift),
        "gradient" => json_handler(body, gradient::gradient),
        "conv" => json_handler(body, conv::conv),
        "shape" => json_handler(body, checkpoint::shape),
        "checkpoint" => json_handler(body, checkpoint::checkpoint),
        "chain" => json_handler(body, checkpoint::chain),
        "parse" => json_handler(body, text::parse),
        "preset" => json_handler(body, presets::preset),
        "resize" => json_handler(body, presets::resize),
        "samples" => Ok(images::samples()),
        "limits" => Ok(limits::limits()),
        "image" => json_handler(body, |request| images::pool_request(request, pixels)),
        _ => Err(ApiError::new(
            404,
            format!(
                "no endpoint {endpoint:?}: the endpoints are {}",
                ENDPOINTS.join(", ")
            ),
        )),
    }
}

/// Parses the body as `T` and runs `f`; a body that does not parse is refused with the
/// field it failed at and a sentence a learner understands.
fn json_handler<T: DeserializeOwned>(
    body: &[u8],
    f: impl FnOnce(T) -> Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let parsed = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body));
    let request: T = parsed.map_err(error::from_body)?;
    f(request)
}

//! The API's refusal: a status (as HTTP would give it) and a sentence naming the value and
//! the rule it broke, with the field at fault so that the page can show it beside that field.

use serde_json::{json, Value};

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// 400 for a request that breaks a rule, 413/415 for bodies, 404 for unknown names.
    pub status: u16,
    /// What was wrong and which rule says so.
    pub message: String,
    /// The request field at fault, when one is: `settings.stride[1]` (the columns' stride),
    /// `settings.p`, `grid`, `layers`, ...
    pub field: Option<String>,
    /// The library's own account, when the message retells it in the page's words.
    pub detail: Option<String>,
}

impl ApiError {
    /// Any status.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
            detail: None,
        }
    }

    /// A 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// A 400 about one field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: message.into(),
            field: Some(field.to_string()),
            detail: None,
        }
    }

    /// The answer's body: `{"error": message, "field": field, "detail": detail}`, the last
    /// two only when present.
    pub fn to_json(&self) -> Value {
        let mut body = json!({ "error": self.message });
        if let Some(field) = &self.field {
            body["field"] = field.clone().into();
        }
        if let Some(detail) = &self.detail {
            body["detail"] = detail.clone().into();
        }
        body
    }
}

impl From<poolkit::Error> for ApiError {
    /// Library refusals already name the value and the rule; they are the client's to fix.
    fn from(e: poolkit::Error) -> ApiError {
        ApiError::bad_request(e.message().to_string())
    }
}

/// A body that does not parse: a settings field gets a sentence in the page's words
/// ("Stride (rows) is 2.5: strides are whole numbers from 1 to 16."), any other field the
/// parser's own account of where and why.
pub fn from_body(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request(format!("the request body is not JSON: {inner}"));
    }
    let detail = inner.to_string();
    let detail = detail.split(" at line ").next().unwrap_or(&detail);
    if let Some(message) = crate::fields::refusal(&path, given_value(detail)) {
        return ApiError::field(&path, message);
    }
    // A layer of the shape calculator: the same sentence, naming the layer.
    let layer = path
        .strip_prefix("layers[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, format!("settings.{rest}"))));
    if let Some((i, settings_path)) = layer {
        if let Some(message) = crate::fields::refusal(&settings_path, given_value(detail)) {
            return ApiError::field(
                &format!("layers[{i}].{settings_path}"),
                format!("Layer {}: {message}", i + 1),
            );
        }
    }
    if path == "." {
        return ApiError::bad_request(format!(
            "the request is not valid for this endpoint: {detail}"
        ));
    }
    ApiError::field(&path, format!("{path}: {detail}"))
}

/// What a parser message says was given: `None` for null (an empty box), else the value
/// (between backticks in serde's messages, or after "string").
fn given_value(detail: &str) -> Option<String> {
    if detail.starts_with("invalid type: null") {
        return None;
    }
    if let Some(value) = detail.split('`').nth(1) {
        return Some(value.to_string());
    }
    let after = detail.split_once("string ").map(|(_, rest)| rest)?;
    Some(
        after
            .split(", expected")
            .next()
            .unwrap_or(after)
            .to_string(),
    )
}

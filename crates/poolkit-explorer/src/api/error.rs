//! The API's refusal: an HTTP status and a sentence naming the value and the rule it broke.

use crate::http::Response;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// 400 for a request that breaks a rule, 413/415 for bodies, 404 for unknown names.
    pub status: u16,
    /// What was wrong and which rule says so.
    pub message: String,
    /// The request field at fault, when one is (`settings.stride`, `grid`, ...).
    pub field: Option<String>,
}

impl ApiError {
    /// Any status.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
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
        }
    }

    /// The JSON response: `{"error": message, "field": field}`.
    pub fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        Response::json(self.status, &body)
    }
}

impl From<poolkit::Error> for ApiError {
    /// Library refusals already name the value and the rule; they are the client's to fix.
    fn from(e: poolkit::Error) -> ApiError {
        ApiError::bad_request(e.message().to_string())
    }
}

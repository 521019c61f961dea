//! Google's error envelope (`{"error": {code, message, status, details}}`,
//! REFERENCE §4.1/§4.4) and its conversion into an HTTP response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Google API error: HTTP status, canonical status name, message and
/// `details` entries, rendered as Google's `{"error": …}` body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status code (`400`, `403`, …).
    pub code: u16,
    /// Canonical status name (`INVALID_ARGUMENT`, `PERMISSION_DENIED`, …).
    pub status: String,
    pub message: String,
    /// `details` entries (`ErrorInfo`, `GoogleAdsFailure`, …); empty means omitted.
    pub details: Vec<Value>,
}

impl ApiError {
    /// An error whose canonical status follows from the HTTP code.
    pub(crate) fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            status: canonical_status(code).to_owned(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub(crate) fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// Adds a `google.rpc.ErrorInfo` detail.
    pub(crate) fn with_error_info(mut self, reason: &str, service: &str, method: &str) -> Self {
        self.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": service, "method": method},
        }));
        self
    }

    /// The JSON body Google sends.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "status": self.status,
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_response(status, &self.body());
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ),
            );
        }
        response
    }
}

/// A JSON body with Google's API content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// The `google.rpc.Code` name Google pairs with an HTTP status.
pub(crate) fn canonical_status(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// Google's default message for a status, used by forced failures.
pub(crate) fn default_message(code: u16) -> &'static str {
    match code {
        400 => "Request contains an invalid argument.",
        401 => UNAUTHENTICATED_MESSAGE,
        403 => "The caller does not have permission",
        404 => "Requested entity was not found.",
        429 => "Resource has been exhausted (e.g. check quota).",
        503 => "The service is currently unavailable.",
        504 => "The request deadline was exceeded.",
        _ => "Internal error encountered.",
    }
}

/// What Google's front end says about a missing, unknown or expired token.
pub(crate) const UNAUTHENTICATED_MESSAGE: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

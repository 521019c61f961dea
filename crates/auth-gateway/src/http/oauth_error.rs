//! The one place an `OAuthError` becomes a response (RFC 6749 §5.2): JSON
//! `{"error", "error_description"}`, 400 for request errors, 401 for `invalid_client`
//! (with `WWW-Authenticate: Basic` when the client tried Basic), 500 and 503 for the
//! gateway's own failures; never cached.

use crate::core::authz::oauth_error::{OAuthError, OAuthErrorCode};
use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The realm named in the Basic challenge.
const REALM: &str = "Basic realm=\"mcp-auth-gateway\"";

/// An OAuth error answer of the token, registration and revocation endpoints.
#[derive(Debug)]
pub struct OAuthErrorResponse {
    pub error: OAuthError,
    /// The request carried `Authorization: Basic` (RFC 6749 §5.2: a 401 then names the
    /// scheme in `WWW-Authenticate`).
    pub basic_tried: bool,
}

impl OAuthErrorResponse {
    pub fn new(error: OAuthError, basic_tried: bool) -> Self {
        Self { error, basic_tried }
    }
}

impl From<OAuthError> for OAuthErrorResponse {
    fn from(error: OAuthError) -> Self {
        Self::new(error, false)
    }
}

/// `{"error": …, "error_description": …}` (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// The OAuth error code, e.g. `invalid_grant`.
    #[schema(example = "invalid_grant")]
    pub error: String,
    /// What was wrong, for the client's developer. Never holds a secret.
    pub error_description: String,
    /// Token exchange only: a connect link for the user, who must sign in upstream
    /// (or grant more scopes) before the exchange can succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_uri: Option<String>,
    /// Token exchange only, with `authorization_uri`: the sign-in session it opens
    /// (`GET /auth/status/{session_id}` tells when it completes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Token exchange only: the upstream scopes the user's grant lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, which token answers carry (RFC 6749
/// §5.1) and so do their errors.
pub fn no_store() -> [(HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

fn status(code: OAuthErrorCode) -> StatusCode {
    match code {
        OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for OAuthErrorResponse {
    fn into_response(self) -> Response {
        let code = self.error.code;
        crate::http::middleware::record_outcome(code.as_str());
        let body = OAuthErrorBody {
            error: code.as_str().to_owned(),
            error_description: self.error.description,
            authorization_uri: self.error.authorization_uri,
            session_id: self.error.session_id,
            missing_scopes: self.error.missing_scopes,
        };
        let mut response = (status(code), no_store(), Json(body)).into_response();
        if code == OAuthErrorCode::InvalidClient && self.basic_tried {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
        }
        response
    }
}

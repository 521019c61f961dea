//! The one place errors become responses: each core error gets its status code and a
//! stable code; 5xx causes are logged in full and never sent to the client.

use crate::core::{CoreError, SignInReason};
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gateway_proto::{ApiErrorBody, ErrorCode, ErrorDetail, INVALID_API_KEY};

/// An error answer of the JSON API.
#[derive(Debug)]
pub enum ApiError {
    /// 403 `{"detail": "Invalid API key"}`, the original's exact shape.
    InvalidApiKey,
    /// `{"detail": {...}}` with a status.
    Detail(StatusCode, Box<ErrorDetail>),
    /// 422 in FastAPI's validation shape, for bodies and queries that do not parse.
    Unprocessable {
        location: &'static str,
        message: String,
    },
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Detail(status, Box::new(ErrorDetail::new(code, message)))
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::InvalidApiKey => Self::InvalidApiKey,
            CoreError::UnknownProvider(name) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::UnknownProvider,
                format!("Unknown provider: {name}"),
            ),
            CoreError::ForbiddenProvider(name) => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ForbiddenProvider,
                format!("This API key may not use provider {name}"),
            ),
            CoreError::ForbiddenScope(scope) => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ScopeNotAllowed,
                format!("This API key may not ask for scope {scope}"),
            ),
            CoreError::InvalidEmail(error) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidEmail,
                error.to_string(),
            ),
            CoreError::InvalidScope(error) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidScope,
                error.to_string(),
            ),
            CoreError::SessionNotFound => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "Session not found",
            ),
            CoreError::CredentialNotFound => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "No credentials found for this user and provider",
            ),
            CoreError::SignInRequired { reason, link } => {
                let (status, code, message, missing) = match reason {
                    SignInReason::NotAuthenticated => (
                        StatusCode::NOT_FOUND,
                        ErrorCode::NotAuthenticated,
                        "Not signed in yet. Open auth_url in a browser to sign in, then retry.",
                        None,
                    ),
                    SignInReason::NeedsReauth => (
                        StatusCode::UNAUTHORIZED,
                        ErrorCode::NeedsReauth,
                        "The sign-in has expired or was revoked. Open auth_url to sign in again, then retry.",
                        None,
                    ),
                    SignInReason::RefreshFailed => (
                        StatusCode::UNAUTHORIZED,
                        ErrorCode::RefreshFailed,
                        "The token expired and cannot be refreshed. Open auth_url to sign in again, then retry.",
                        None,
                    ),
                    SignInReason::InsufficientScope { missing } => (
                        StatusCode::UNAUTHORIZED,
                        ErrorCode::InsufficientScope,
                        "The sign-in lacks permissions this server needs. Open auth_url to grant them, then retry.",
                        Some(missing),
                    ),
                };
                let mut detail = ErrorDetail::new(code, message);
                detail.auth_required = true;
                detail.auth_url = Some(link.auth_url);
                detail.session_id = Some(link.session_id);
                detail.missing_scopes = missing;
                Self::Detail(status, Box::new(detail))
            }
            CoreError::ProviderUnavailable {
                retry_after_secs,
                source,
            } => {
                tracing::warn!(error = %source, "answering provider_unavailable");
                let mut detail = ErrorDetail::new(
                    ErrorCode::ProviderUnavailable,
                    "The provider is unavailable and the stored token has expired. Retry later.",
                );
                detail.retry_after = Some(retry_after_secs);
                Self::Detail(StatusCode::SERVICE_UNAVAILABLE, Box::new(detail))
            }
            CoreError::Store(StoreError::Unavailable(source)) => {
                tracing::error!(error = %source, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::ServiceUnavailable,
                    "The database is unavailable. Retry later.",
                )
            }
            error @ (CoreError::Store(_) | CoreError::Crypto(_)) => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "Internal server error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidApiKey => (
                StatusCode::FORBIDDEN,
                Json(ApiErrorBody {
                    detail: INVALID_API_KEY,
                }),
            )
                .into_response(),
            Self::Detail(status, detail) => {
                let retry_after = detail.retry_after;
                let mut response = (status, Json(ApiErrorBody { detail })).into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                response
            }
            Self::Unprocessable { location, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({
                    "detail": [{
                        "type": "invalid_request",
                        "loc": [location],
                        "msg": message,
                    }]
                })),
            )
                .into_response(),
        }
    }
}

//! Error bodies. Token errors are `{"detail": {...}}` objects with a stable `error`
//! code; an invalid API key is the original's `{"detail": "Invalid API key"}` string.

use serde::{Deserialize, Serialize};

/// The exact `detail` string the original gateway sends with 403.
pub const INVALID_API_KEY: &str = "Invalid API key";

/// Stable machine-readable error codes carried in `detail.error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No credential stored: the user must sign in (404).
    NotAuthenticated,
    /// The stored grant could not be refreshed (401).
    RefreshFailed,
    /// The provider rejected the grant; a new sign-in is needed (401).
    NeedsReauth,
    /// The grant lacks scopes the caller requires (401).
    InsufficientScope,
    /// The provider is unreachable or failing and no valid token is stored (503).
    ProviderUnavailable,
    UnknownProvider,
    InvalidEmail,
    InvalidScope,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    /// Too many requests from this client or address; retry after `Retry-After` (429).
    RateLimited,
    ServiceUnavailable,
    Internal,
    /// The API key is not allowed this provider (403).
    ForbiddenProvider,
    /// The API key is not allowed a requested scope (403).
    ScopeNotAllowed,
    /// The API key may obtain users' tokens only by token exchange (RFC 8693) with the
    /// user's gateway access token, not by asserting an email (403).
    VerifiedUsersOnly,
}

impl ErrorCode {
    /// The wire name of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAuthenticated => "not_authenticated",
            Self::RefreshFailed => "refresh_failed",
            Self::NeedsReauth => "needs_reauth",
            Self::InsufficientScope => "insufficient_scope",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::UnknownProvider => "unknown_provider",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidRequest => "invalid_request",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited => "rate_limited",
            Self::ServiceUnavailable => "service_unavailable",
            Self::Internal => "internal",
            Self::ForbiddenProvider => "forbidden_provider",
            Self::ScopeNotAllowed => "scope_not_allowed",
            Self::VerifiedUsersOnly => "verified_users_only",
        }
    }
}

/// The `detail` object of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub error: ErrorCode,
    pub message: String,
    /// True when a sign-in (via `auth_url`) resolves the error.
    pub auth_required: bool,
    /// Extension: the sign-in link to show the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Extension: the sign-in session to wait on (`/auth/status/{id}?wait=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Extension: with `insufficient_scope`, the scopes the grant lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_scopes: Option<Vec<String>>,
    /// Extension: with `provider_unavailable`, seconds to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Extension: with `unknown_provider`, the providers this gateway serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_providers: Option<Vec<String>>,
}

impl ErrorDetail {
    /// A detail with only a code and a message.
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
            auth_required: false,
            auth_url: None,
            session_id: None,
            missing_scopes: None,
            retry_after: None,
            configured_providers: None,
        }
    }
}

/// `{"detail": ...}`, the envelope of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody<T> {
    pub detail: T,
}

//! The errors of the authorization server's endpoints, as OAuth names them (RFC 6749
//! §4.1.2.1 and §5.2, RFC 7591 §3.2.2, RFC 8707 §2, RFC 8693 §2.2.2). The HTTP layer turns
//! one into `{"error": code, "error_description": …}` (token, registration, revocation,
//! introspection) or into the redirect's query (authorization), never into anything else.

use crate::core::error::CoreError;
use crate::store::StoreError;

/// An OAuth error code. The strings are the registry's and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// RFC 8707 §2: the `resource` is not one this server issues tokens for.
    InvalidTarget,
    AccessDenied,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    InvalidClientMetadata,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth error with a description a developer can act on. The description never
/// holds a secret (a code, a token, a client secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
    /// Token exchange (RFC 8693) refused because the user must sign in upstream first:
    /// the connect link to show them (an extension parameter, RFC 6749 §5.2 allows them).
    pub authorization_uri: Option<String>,
    /// With `authorization_uri`: the sign-in session it opens, so the MCP server can
    /// wait on `GET /auth/status/{session_id}` as it does after `/auth/token`.
    pub session_id: Option<String>,
    /// With `authorization_uri`: the upstream scopes the user's grant lacks.
    pub missing_scopes: Vec<String>,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            authorization_uri: None,
            session_id: None,
            missing_scopes: Vec::new(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        CoreError::from(error).into()
    }
}

impl From<CoreError> for OAuthError {
    fn from(error: CoreError) -> Self {
        // The cause is logged here, once; the client learns only that it may retry.
        match error {
            CoreError::Unavailable(_) => {
                tracing::warn!(%error, "authorization server: database unavailable");
                Self::new(
                    OAuthErrorCode::TemporarilyUnavailable,
                    "the database is unavailable; retry shortly",
                )
            }
            error => {
                tracing::error!(%error, "authorization server: internal error");
                Self::new(OAuthErrorCode::ServerError, "internal error")
            }
        }
    }
}

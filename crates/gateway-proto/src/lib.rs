//! Wire types of the gateway's HTTP API (the README's HTTP API table), shared by the gateway and
//! `mcp-auth-client`. Field names and shapes match the original Python gateway; fields
//! marked "extension" are additive. Also the email normalisation both sides key users
//! by ([`normalize_email`]).

pub mod email;
pub mod error;
pub mod time;

pub use email::{InvalidEmail, normalize_email};
pub use error::{ApiErrorBody, ErrorCode, ErrorDetail, INVALID_API_KEY};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Header carrying the MCP server's API key.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// `POST /auth/init` body: start a sign-in for `user_email` at `provider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InitRequest {
    pub provider: String,
    pub user_email: String,
    /// Scopes to request on top of the provider's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// `POST /auth/init` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InitResponse {
    /// The link to show the user: the gateway's own connect page, which redirects to the provider.
    pub auth_url: String,
    pub session_id: String,
    #[serde(with = "time::iso8601")]
    pub expires_at: DateTime<Utc>,
}

/// `POST /auth/token` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    pub provider: String,
    pub user_email: String,
    /// Extension: scopes the caller needs; a grant lacking any answers `insufficient_scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Extension: the provider rejected the token last served (HTTP 401), so refresh it
    /// even though it looks valid. Concurrent forced requests share one refresh: a token
    /// replaced within the last 30 s is served as it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_refresh: bool,
}

/// `POST /auth/token` answer: a currently valid access token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[serde(with = "time::iso8601")]
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Where a sign-in session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Pending,
    Completed,
    Failed,
    Expired,
}

impl SessionStatus {
    /// The wire name (`pending`, `completed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// `GET /auth/status/{session_id}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusResponse {
    pub status: SessionStatus,
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Stable error code when `status` is `failed` (e.g. `access_denied`, `account_mismatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::iso8601_option"
    )]
    pub expires_at: Option<DateTime<Utc>>,
}

/// One provider a user has signed in to, in `GET /auth/providers/{user_email}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderGrant {
    pub provider: String,
    pub scopes: Vec<String>,
    #[serde(with = "time::iso8601")]
    pub authenticated_at: DateTime<Utc>,
    #[serde(with = "time::iso8601")]
    pub token_expires_at: DateTime<Utc>,
}

/// `GET /auth/providers/{user_email}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvidersResponse {
    pub user_email: String,
    pub providers: Vec<ProviderGrant>,
}

/// `DELETE /auth/revoke` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeRequest {
    pub provider: String,
    pub user_email: String,
}

/// `DELETE /auth/revoke` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeResponse {
    pub success: bool,
    pub message: String,
}

/// `GET /health` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// `healthy` or `degraded`.
    pub status: String,
    /// `connected` or `unavailable`.
    pub database: String,
    /// `configured` when the key ring is loaded.
    pub encryption: String,
    pub version: String,
    #[serde(with = "time::iso8601")]
    pub timestamp: DateTime<Utc>,
}

/// `GET /ready` answer: whether this replica should get traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadyResponse {
    /// `ready` or `not_ready`.
    pub status: String,
    /// `connected` or `unavailable`.
    pub database: String,
    /// `configured` (the word `/health` uses) when every stored ciphertext's key is
    /// configured, `unknown_key_ids` when some rows were written under a key this replica
    /// does not have.
    pub encryption: String,
    /// Key ids found in the database that no configured key opens (additive field;
    /// absent when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_key_ids: Vec<String>,
    /// `current`: migrations run before the gateway starts serving.
    pub migrations: String,
    /// True once shutdown began: the load balancer should stop sending traffic.
    pub shutting_down: bool,
}

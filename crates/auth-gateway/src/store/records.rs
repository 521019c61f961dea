//! The plain data the store's role traits take and return: sessions and grants for the
//! sign-in and token paths, clients, audit events and key bookkeeping for the
//! administrative ones. No behaviour here; the traits are in `roles`.

use super::{CredentialStatus, SessionState};
use crate::domain::Sealed;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A sign-in session to create (`POST /auth/init`).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: Uuid,
    /// SHA-256 of the opaque token in the connect link.
    pub connect_hash: Vec<u8>,
    pub user_email: String,
    pub provider: String,
    pub scopes: Vec<String>,
    /// The API client that started the sign-in.
    pub client_name: String,
    /// The PKCE verifier, encrypted and bound to the session id.
    pub pkce_verifier: Sealed,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored sign-in session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_email: String,
    pub provider: String,
    pub scopes: Vec<String>,
    pub client_name: String,
    pub state: SessionState,
    /// Stable error code once `Failed` (e.g. `access_denied`, `account_mismatch`).
    pub error: Option<String>,
    pub pkce_verifier: Sealed,
    /// SHA-256 of the browser-binding cookie set by the connect page.
    pub browser_hash: Option<Vec<u8>>,
    /// The upstream account that signed in, once completed.
    pub account_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One user's grant at one provider.
#[derive(Debug, Clone)]
pub struct CredentialRecord {
    pub user_email: String,
    pub provider: String,
    pub access_token: Sealed,
    pub refresh_token: Option<Sealed>,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub account_email: Option<String>,
    pub account_subject: Option<String>,
    pub status: CredentialStatus,
    /// Bumped on every write; writes that race are fenced on it.
    pub version: i64,
    pub authenticated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When a token of this grant was last served (recorded at most hourly).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Tokens from a completed sign-in.
#[derive(Debug, Clone)]
pub struct SignInGrant {
    pub user_email: String,
    pub provider: String,
    pub access_token: Sealed,
    /// `None` when the provider sent no new refresh token: the stored one is kept.
    pub refresh_token: Option<Sealed>,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub account_email: String,
    pub account_subject: String,
}

/// Tokens from a refresh.
#[derive(Debug, Clone)]
pub struct RefreshedTokens {
    pub access_token: Sealed,
    /// `Some` when the provider rotated the refresh token.
    pub refresh_token: Option<Sealed>,
    pub expires_at: DateTime<Utc>,
    /// `Some` when the provider reported the granted scopes.
    pub scopes: Option<Vec<String>>,
}

/// One event of [`ChangeFeed::credential_changes`](super::ChangeFeed::credential_changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialChange {
    /// The feed is connected: from now on no change goes unannounced.
    Listening,
    /// The row of this user and provider was inserted, updated or deleted.
    Changed {
        provider: String,
        user_email: String,
    },
    /// The feed was cut: changes may have been missed. The stream ends after this.
    Lost,
}

/// An API client (one MCP server) to create. Only the key's SHA-256 digest is stored.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: Uuid,
    pub name: String,
    pub key_digest: Vec<u8>,
    pub allowed_providers: Vec<String>,
    /// `None`: any scope the provider allows.
    pub allowed_scopes: Option<Vec<String>>,
    /// The allow-list is all the client may hold: the providers' defaults are not added.
    pub scopes_exclude_defaults: bool,
    /// The client obtains users' tokens only by token exchange (RFC 8693), never by
    /// asserting an email (`/auth/token`, `/auth/init` answer 403).
    pub verified_users_only: bool,
    pub created_at: DateTime<Utc>,
}

/// A stored API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub id: Uuid,
    pub name: String,
    pub key_digest: Vec<u8>,
    pub allowed_providers: Vec<String>,
    pub allowed_scopes: Option<Vec<String>>,
    pub scopes_exclude_defaults: bool,
    /// See [`NewClient::verified_users_only`].
    pub verified_users_only: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The digest replaced by the last rotation, valid until `previous_key_valid_until`.
    pub previous_key_digest: Option<Vec<u8>>,
    pub previous_key_valid_until: Option<DateTime<Utc>>,
}

/// One entry of the audit trail. Never carries a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub occurred_at: DateTime<Utc>,
    pub client_name: Option<String>,
    pub user_email: Option<String>,
    pub provider: Option<String>,
    /// What happened, e.g. `token_issued`, `sign_in_completed`, `client_created`.
    pub event: String,
    /// How it went, e.g. `ok`, `needs_reauth`, `forbidden`.
    pub outcome: String,
    /// Non-secret context (an error code, a count).
    pub detail: Option<String>,
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub user_email: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// A grant brought over from elsewhere (the original gateway), already sealed.
#[derive(Debug, Clone)]
pub struct ImportedCredential {
    pub user_email: String,
    pub provider: String,
    pub access_token: Sealed,
    pub refresh_token: Option<Sealed>,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub imported_at: DateTime<Utc>,
}

/// A sign-in session's sealed PKCE verifier, for re-encryption.
#[derive(Debug, Clone)]
pub struct SessionVerifier {
    pub id: Uuid,
    pub pkce_verifier: Sealed,
}

/// An MCP server registered at the gateway as an OAuth protected resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// The canonical URI, normalised (see `core::authz::resources`); the key.
    pub uri: String,
    /// The API client that owns the MCP server.
    pub client_name: String,
    /// The upstream provider whose tokens its tools use.
    pub provider: String,
    /// The upstream scopes its tools need.
    pub scopes: Vec<String>,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// A signing key to store: its private half sealed by the key ring.
#[derive(Debug, Clone)]
pub struct NewSigningKey {
    pub kid: String,
    /// `ES256`.
    pub algorithm: String,
    /// The public key as an uncompressed SEC1 point (`04 ‖ x ‖ y`).
    pub public_key: Vec<u8>,
    /// The PKCS#8 private key, sealed.
    pub private_key: Sealed,
    pub created_at: DateTime<Utc>,
}

/// A stored signing key: the current one (`retires_at` is `None`) or a previous one,
/// published until `retires_at`.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub algorithm: String,
    pub public_key: Vec<u8>,
    pub private_key: Sealed,
    pub created_at: DateTime<Utc>,
    pub retires_at: Option<DateTime<Utc>>,
}

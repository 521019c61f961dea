//! The administrative half of the store: API clients, the audit trail, and the key-id
//! bookkeeping behind online key rotation and the legacy import. A supertrait of
//! [`Store`](super::Store), so one `Arc<dyn Store>` reaches both halves.

use super::{CredentialRecord, StoreResult};
use crate::domain::Sealed;
use crate::domain::{KeyIdCount, PoolStats, StatusCount};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An API client (one MCP server) to create. Only the key's SHA-256 digest is stored.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: Uuid,
    pub name: String,
    pub key_digest: Vec<u8>,
    pub allowed_providers: Vec<String>,
    /// `None`: any scope the provider allows.
    pub allowed_scopes: Option<Vec<String>>,
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

/// Clients, audit and key bookkeeping. Implementations make each method atomic.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates a client; `false` (nothing written) when the name is taken.
    async fn insert_client(&self, client: &NewClient) -> StoreResult<bool>;

    /// The client whose current or previous key has this digest, revoked or not.
    async fn client_by_digest(&self, digest: &[u8]) -> StoreResult<Option<ClientRecord>>;

    /// Every client, by name.
    async fn clients(&self) -> StoreResult<Vec<ClientRecord>>;

    /// Revokes a client that is not revoked yet; `false` when there is none.
    async fn revoke_client(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Makes `new_digest` the client's key; the old key stays valid until
    /// `previous_valid_until`. `false` when no unrevoked client has this name.
    async fn rotate_client_key(
        &self,
        name: &str,
        new_digest: &[u8],
        previous_valid_until: DateTime<Utc>,
    ) -> StoreResult<bool>;

    async fn insert_audit_event(&self, event: &AuditEvent) -> StoreResult<()>;

    /// Events matching `query`, oldest first (the newest `query.limit`).
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;

    /// How many ciphertexts each key id holds, over credentials and sessions, by key id.
    async fn key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>>;

    /// Credentials per status, by status.
    async fn credential_status_counts(&self) -> StoreResult<Vec<StatusCount>>;

    /// The connection pool's occupancy now.
    fn pool_stats(&self) -> PoolStats;

    /// Credentials with a ciphertext not under `key_id`, after `(user_email, provider)`
    /// `after` in key order, at most `limit`.
    async fn credentials_not_under(
        &self,
        key_id: &str,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<CredentialRecord>>;

    /// Replaces the credential's ciphertexts with the same secrets sealed again, if the
    /// row is still at `expected_version`. The version is not bumped: the secrets are
    /// unchanged, so no concurrent writer's fence needs to fail. `false` when another
    /// writer got there first.
    async fn reseal_credential(
        &self,
        user_email: &str,
        provider: &str,
        expected_version: i64,
        access_token: &Sealed,
        refresh_token: Option<&Sealed>,
    ) -> StoreResult<bool>;

    /// Sessions whose PKCE verifier is not under `key_id`, after `after` by id.
    async fn sessions_not_under(
        &self,
        key_id: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<SessionVerifier>>;

    /// Replaces a session's verifier if it still is `old` (compare-and-swap).
    async fn reseal_session_verifier(
        &self,
        id: Uuid,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool>;

    /// Inserts an imported grant unless one exists for the user and provider;
    /// `false` when one did (so an import can be rerun).
    async fn import_credential(&self, credential: &ImportedCredential) -> StoreResult<bool>;
}

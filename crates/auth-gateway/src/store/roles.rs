//! The store's roles: one narrow trait per kind of data, so a part of the core can hold
//! only the role it uses (`Arc<dyn SessionStore>`, upcast from the `Arc<dyn Store>` that
//! startup builds). [`Store`](super::Store) joins them all. Implementations make each
//! method atomic: one statement, or one transaction where a method says so.

use super::{
    AuditEvent, AuditQuery, ClientRecord, CredentialChange, CredentialRecord, ImportedCredential,
    NewClient, NewSession, NewSigningKey, RefreshedTokens, ResourceRecord, SessionRecord,
    SessionVerifier, SignInGrant, SigningKeyRecord, StoreResult,
};
use crate::domain::{KeyIdCount, PoolStats, Sealed, StatusCount};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use uuid::Uuid;

/// Whether the database answers, and how busy its connection pool is.
#[async_trait]
pub trait Health: Send + Sync {
    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// The connection pool's occupancy now.
    fn pool_stats(&self) -> PoolStats;
}

/// Sign-in sessions, from `POST /auth/init` to the callback that completes or fails them.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &NewSession) -> StoreResult<()>;

    async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>>;

    /// The pending sessions `client_name` opened for `user_email` at `provider` that are
    /// still unexpired at `now`, the latest-expiring first (a few at most).
    async fn pending_sessions_for(
        &self,
        client_name: &str,
        user_email: &str,
        provider: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionRecord>>;

    /// The connect page was opened: record the new `state` hash and browser binding on
    /// the pending, unexpired session whose connect hash matches. A later visit replaces
    /// both, so only the latest authorization request can complete.
    async fn begin_authorization(
        &self,
        connect_hash: &[u8],
        state_hash: &[u8],
        browser_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRecord>>;

    /// The session whose current `state` hash matches, in any status.
    async fn session_by_state(&self, state_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;

    /// Atomically moves a pending, unexpired session to `Exchanging`. Exactly one caller
    /// ever gets `true` for a session.
    async fn claim_session(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Marks a pending or exchanging session `Failed` with a stable error code.
    async fn fail_session(&self, id: Uuid, error: &str, now: DateTime<Utc>) -> StoreResult<()>;

    /// In one transaction: stores the grant (keeping the stored refresh token when the
    /// grant has none, status `Active`, version bumped) and marks the session `Completed`.
    ///
    /// A session role although it writes a credential: it is the last step of the
    /// session's life (only the claimer of an `Exchanging` session gets here, and nothing
    /// is stored otherwise), its caller is the sign-in flow that holds every other
    /// session method, and it is the one way a sign-in creates a grant.
    async fn complete_sign_in(
        &self,
        session_id: Uuid,
        grant: &SignInGrant,
        now: DateTime<Utc>,
    ) -> StoreResult<CredentialRecord>;

    /// Deletes sessions that expired before `before`; returns how many.
    async fn delete_sessions_expired_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Grants: one user's tokens at one provider, read on every token request and written by
/// refreshes, re-authentication, deletion and the legacy import.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn credential(
        &self,
        user_email: &str,
        provider: &str,
    ) -> StoreResult<Option<CredentialRecord>>;

    /// All credentials of one user, ordered by provider.
    async fn credentials_for_user(&self, user_email: &str) -> StoreResult<Vec<CredentialRecord>>;

    /// Stores refreshed tokens if the row is still at `expected_version` (one statement,
    /// version bumped, refresh lease released). `None` when a concurrent writer got
    /// there first.
    async fn store_refreshed(
        &self,
        user_email: &str,
        provider: &str,
        expected_version: i64,
        tokens: &RefreshedTokens,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CredentialRecord>>;

    /// Records that a token of the grant was served, unless that was already recorded
    /// at or after `unless_since` (so a busy grant costs one write an hour). Not a write
    /// of the grant: the version stays.
    async fn record_credential_use(
        &self,
        user_email: &str,
        provider: &str,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Active grants with a refresh token that the background job should refresh, soonest
    /// expiry first: those expiring before `expiring_before` and used since `used_since`,
    /// and those not refreshed since `idle_before` (so the provider does not expire an
    /// unused grant).
    async fn credentials_due_for_refresh(
        &self,
        expiring_before: DateTime<Utc>,
        used_since: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(String, String)>>;

    /// Marks the grant `NeedsReauth` if still at `expected_version`; `false` otherwise.
    async fn mark_needs_reauth(
        &self,
        user_email: &str,
        provider: &str,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Deletes a credential and returns what was deleted.
    async fn delete_credential(
        &self,
        user_email: &str,
        provider: &str,
    ) -> StoreResult<Option<CredentialRecord>>;

    /// Inserts an imported grant unless one exists for the user and provider;
    /// `false` when one did (so an import can be rerun).
    async fn import_credential(&self, credential: &ImportedCredential) -> StoreResult<bool>;

    /// Credentials per status, by status.
    async fn credential_status_counts(&self) -> StoreResult<Vec<StatusCount>>;
}

/// Leases that make work single-flight across replicas: a credential's refresh, and the
/// named background jobs.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the credential's refresh lease when it is free or has run out (one
    /// conditional UPDATE), and returns the row as it is now, read under the lease.
    /// `None` while another owner holds an unexpired lease, or when the row is gone.
    async fn acquire_refresh_lease(
        &self,
        user_email: &str,
        provider: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CredentialRecord>>;

    /// Gives the lease back if `owner` still holds it. Writes through `store_refreshed`
    /// and `mark_needs_reauth` release it too.
    async fn release_refresh_lease(
        &self,
        user_email: &str,
        provider: &str,
        owner: &str,
    ) -> StoreResult<()>;

    /// Takes the named job lease for `owner` if it is free, has run out, or is already
    /// `owner`'s; `true` when `owner` holds it until `until`.
    async fn try_acquire_job_lease(
        &self,
        name: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// API clients (one per MCP server), found by the digest of their key on every request.
#[async_trait]
pub trait ClientStore: Send + Sync {
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

    /// Sets whether an unrevoked client is restricted to verified users (token exchange
    /// only); `false` when no unrevoked client has this name.
    async fn set_client_verified_users_only(
        &self,
        name: &str,
        verified_users_only: bool,
    ) -> StoreResult<bool>;
}

/// The audit trail: who did what for whom, and how it went.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit_event(&self, event: &AuditEvent) -> StoreResult<()>;

    /// Events matching `query`, oldest first (the newest `query.limit`).
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;

    /// Deletes events that occurred before `before` (the retention sweep); returns how many.
    async fn delete_audit_events_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The key-id bookkeeping behind online key rotation: which key seals what, and sealing
/// it again under another key without changing the secret.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// How many ciphertexts each key id holds, over credentials, sessions and logins, by
    /// key id.
    async fn key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>>;

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
}

/// What other processes changed: finished sessions and credential writes, for replicas
/// that wait on sessions or cache tokens. The one role whose backends truly differ
/// (PostgreSQL `LISTEN`/`NOTIFY`; nothing on SQLite).
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Tells every replica that a session finished, so their `?wait=` long-polls
    /// return at once (PostgreSQL `NOTIFY`; nothing to do for a single-process store).
    async fn announce_session_finished(&self, id: Uuid) -> StoreResult<()>;

    /// Session ids finished on any replica, as they are announced; `None` when the
    /// backend serves one process only.
    async fn session_finished_events(&self) -> StoreResult<Option<BoxStream<'static, Uuid>>>;

    /// Changes to credential rows made by any process, for replicas that cache tokens;
    /// `None` when the backend cannot tell (then nothing may be cached).
    async fn credential_changes(&self)
    -> StoreResult<Option<BoxStream<'static, CredentialChange>>>;
}

/// MCP servers registered as OAuth protected resources, by canonical URI.
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// Registers a resource; `false` (nothing written) when the URI is taken.
    async fn insert_resource(&self, resource: &ResourceRecord) -> StoreResult<bool>;

    async fn resource(&self, uri: &str) -> StoreResult<Option<ResourceRecord>>;

    /// Every resource, by URI.
    async fn resources(&self) -> StoreResult<Vec<ResourceRecord>>;

    /// Removes a resource; `false` when there was none.
    async fn delete_resource(&self, uri: &str) -> StoreResult<bool>;
}

/// The keys that sign the gateway's access tokens: one current key, and previous ones
/// still published until they retire. Their private halves are sealed by the key ring,
/// so the key bookkeeping (count, re-seal) covers them too.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// The current key, if one was made.
    async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>>;

    /// Stores `key` as the current key unless there already is one (then `false` and
    /// nothing written): of replicas racing to make the first key, exactly one wins.
    async fn insert_first_signing_key(&self, key: &NewSigningKey) -> StoreResult<bool>;

    /// In one transaction: if `expected_current` is still the current key, retires it at
    /// `previous_retires_at` and makes `key` current. `false` (nothing written) when
    /// another rotation got there first.
    async fn rotate_signing_key(
        &self,
        expected_current: &str,
        key: &NewSigningKey,
        previous_retires_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The current key and the previous ones not retired at `now`, newest first.
    async fn published_signing_keys(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SigningKeyRecord>>;

    /// Deletes keys retired before `before`; returns how many.
    async fn delete_signing_keys_retired_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// How many sealed private keys each key-ring key id holds, by key id.
    async fn signing_key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>>;

    /// Signing keys whose private key is not sealed under `key_id` (a handful at most).
    async fn signing_keys_not_under(&self, key_id: &str) -> StoreResult<Vec<SigningKeyRecord>>;

    /// Replaces a signing key's sealed private key if it still is `old` (compare-and-swap).
    async fn reseal_signing_key(&self, kid: &str, old: &Sealed, new: &Sealed) -> StoreResult<bool>;
}

//! Storage: one narrow trait, two implementations (PostgreSQL for production and many
//! replicas, SQLite as the embedded default). Chosen once from the URL at startup;
//! nothing else branches on the backend. Times are passed in from the core's clock.
//! Imports only `crate::domain`; the core uses the traits, never a backend.

mod admin;
pub mod legacy;
mod postgres;
mod postgres_admin;
mod rows;
mod sqlite;
mod sqlite_admin;

pub use admin::{
    AdminStore, AuditEvent, AuditQuery, ClientRecord, ImportedCredential, NewClient,
    SessionVerifier,
};
// Re-exported: the backends and the store contract tests name them through `store`.
pub use crate::domain::{CredentialStatus, KeyIdCount, PoolStats, SessionState, StatusCount};

pub use legacy::{LegacyReader, LegacyRow};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::domain::{Sealed, UnknownStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use std::sync::Arc;
use uuid::Uuid;

/// Storage failures. The message is for logs; clients only ever see a stable code.
///
/// Each message says only its own part: the wrapped `sqlx::Error` is in the text (logs
/// print errors with `%`), so it is not also reported as the `source`, which would make
/// a cause chain (`{:#}`) say it twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be opened at startup: which one (host and port, or file)
    /// and why, never the URL (it may carry a password).
    #[error("{database}: {cause}")]
    Open { database: String, cause: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Database(error)
        }
    }
}

/// Errors that mean "the database cannot be reached or is refusing work right now"
/// (callers answer 503 and retry later), as opposed to a bug or bad data.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(database) => database.code().is_some_and(|code| {
            // PostgreSQL: 08 connection exception, 53 insufficient resources, 57P0x
            // shutdown / terminated by an operator, 55000 database not accepting
            // connections. SQLite: 5 busy, 6 locked.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P0")
                || code == "55000"
                || code == "5"
                || code == "6"
        }),
        _ => false,
    }
}

impl From<UnknownStatus> for StoreError {
    fn from(error: UnknownStatus) -> Self {
        Self::Corrupt(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

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

/// Everything the gateway keeps. Implementations must make each method atomic. The
/// administrative methods (clients, audit, key bookkeeping) are in [`AdminStore`].
#[async_trait]
pub trait Store: AdminStore + Send + Sync + 'static {
    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    async fn insert_session(&self, session: &NewSession) -> StoreResult<()>;

    async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>>;

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
    async fn complete_sign_in(
        &self,
        session_id: Uuid,
        grant: &SignInGrant,
        now: DateTime<Utc>,
    ) -> StoreResult<CredentialRecord>;

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

    /// Deletes sessions that expired before `before`; returns how many.
    async fn delete_sessions_expired_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;

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

    /// Takes the named job lease for `owner` if it is free, has run out, or is already
    /// `owner`'s; `true` when `owner` holds it until `until`.
    async fn try_acquire_job_lease(
        &self,
        name: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

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
}

/// The PostgreSQL channel that carries finished session ids.
pub const SESSION_FINISHED_CHANNEL: &str = "auth_gateway_session_finished";
/// The channel the `credentials_changed` trigger notifies (migration 0004).
pub const CREDENTIAL_CHANGED_CHANNEL: &str = "auth_gateway_credential_changed";

/// One event of [`Store::credential_changes`].
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

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    /// Accepts `postgres://`, `postgresql://`, the original's `postgresql+asyncpg://`, and
    /// `sqlite://` / `sqlite:` URLs.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("postgresql+asyncpg://") {
            return Ok(Self::Postgres(format!("postgresql://{rest}")));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite(url.to_owned()));
        }
        Err("expected a postgres://, postgresql://, postgresql+asyncpg:// or sqlite:// URL".into())
    }

    /// The SQLite database file, when this names one (not for PostgreSQL or an
    /// in-memory database).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Self::Postgres(_) => None,
            Self::Sqlite(url) => sqlite::database_file(url),
        }
    }
}

/// The innermost message of a connection error: what a person can act on (`Connection
/// refused`, `failed to lookup address information: ...`, `password authentication
/// failed for user ...`), without sqlx's wrapping text.
fn connect_cause(error: &sqlx::Error) -> String {
    if let sqlx::Error::Database(database) = error {
        return database.message().to_owned();
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Connects to the database, applies the migrations, and returns the store. A database
/// that cannot be opened fails at once with [`StoreError::Open`].
pub async fn connect(url: &DatabaseUrl) -> StoreResult<Arc<dyn Store>> {
    Ok(match url {
        DatabaseUrl::Postgres(url) => Arc::new(PgStore::connect(url).await?),
        DatabaseUrl::Sqlite(url) => Arc::new(SqliteStore::connect(url).await?),
    })
}

//! Storage: narrow role traits (sessions, credentials, leases, clients, audit, key
//! bookkeeping, resources, signing keys, the authorization server's MCP clients, logins
//! and authorizations, the change feed, health) joined by one [`Store`] supertrait, and two
//! backends: PostgreSQL for production and many replicas, SQLite as the embedded default.
//! Every statement is written once, in `sql`, for both; `postgres` and `sqlite` hold only
//! what truly differs (connecting, how a time and a JSON list are stored, the change
//! feed). The backend is chosen once from the URL at startup; nothing else branches on
//! it. Times are passed in from the core's clock. Imports only `crate::domain`; the core
//! uses the traits, never a backend.

mod authz_records;
mod authz_roles;
pub mod legacy;
mod postgres;
mod records;
mod roles;
mod rows;
mod sql;
mod sqlite;

pub use authz_records::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, BrowserSessionRecord, CodeRedemption,
    ConsentRecord, LoginRecord, NewLogin, NewRefreshToken, OAuthClientKind, OAuthClientRecord,
    RefreshRotation,
};
pub use authz_roles::{AuthorizationStore, LoginStore, OAuthClientStore};
pub use records::{
    AuditEvent, AuditQuery, ClientRecord, CredentialChange, CredentialRecord, ImportedCredential,
    NewClient, NewSession, NewSigningKey, RefreshedTokens, ResourceRecord, SessionRecord,
    SessionVerifier, SignInGrant, SigningKeyRecord,
};
pub use roles::{
    AuditStore, ChangeFeed, ClientStore, CredentialStore, Health, KeyStore, LeaseStore,
    ResourceStore, SessionStore, SigningKeyStore,
};
// Re-exported: the backends and the store contract tests name them through `store`.
pub use crate::domain::{CredentialStatus, KeyIdCount, PoolStats, SessionState, StatusCount};

pub use legacy::{LegacyReader, LegacyRow};
pub use postgres::PgStore;
pub use sql::SqlStore;
pub use sqlite::SqliteStore;

use crate::domain::UnknownStatus;
use std::sync::Arc;

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

/// Everything the gateway keeps: every role, so one `Arc<dyn Store>` reaches them all and
/// a part of the core can be handed just the role it needs (`Arc<dyn SessionStore>`, by
/// upcasting). Implemented for anything that has every role; there is nothing to add.
pub trait Store:
    Health
    + SessionStore
    + CredentialStore
    + LeaseStore
    + ClientStore
    + AuditStore
    + KeyStore
    + ResourceStore
    + SigningKeyStore
    + OAuthClientStore
    + LoginStore
    + AuthorizationStore
    + ChangeFeed
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Health
        + SessionStore
        + CredentialStore
        + LeaseStore
        + ClientStore
        + AuditStore
        + KeyStore
        + ResourceStore
        + SigningKeyStore
        + OAuthClientStore
        + LoginStore
        + AuthorizationStore
        + ChangeFeed
        + Send
        + Sync
        + 'static
{
}

/// The PostgreSQL channel that carries finished session ids.
pub const SESSION_FINISHED_CHANNEL: &str = "auth_gateway_session_finished";
/// The channel the `credentials_changed` trigger notifies (migration 0004).
pub const CREDENTIAL_CHANGED_CHANNEL: &str = "auth_gateway_credential_changed";

/// Which database a URL names. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Postgres(_) => "Postgres",
            Self::Sqlite(_) => "Sqlite",
        };
        f.debug_tuple(kind).field(&self.redacted()).finish()
    }
}

impl DatabaseUrl {
    /// The URL with any password replaced by `***` (an unparsable one entirely), for
    /// logs and `Debug`.
    pub fn redacted(&self) -> String {
        let (Self::Postgres(text) | Self::Sqlite(text)) = self;
        match url::Url::parse(text) {
            Ok(mut parsed) => {
                if parsed.password().is_some() {
                    // Only fails for URLs that cannot have a password, which this one has.
                    let _ = parsed.set_password(Some("***"));
                }
                parsed.to_string()
            }
            Err(_) => "***".to_owned(),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn debug_output_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://gateway:s3cret-pw@db:5432/gw").unwrap();
        let debug = format!("{url:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert_eq!(debug, r#"Postgres("postgres://gateway:***@db:5432/gw")"#);
    }
}

//! Read-only access to the original Python gateway's database: its `oauth_credentials`
//! table (`profile_id`, `provider_id`, Fernet `access_token` / `refresh_token`,
//! `token_expiry`, `scopes` JSONB), read in key order, a batch at a time.

use super::{StoreError, StoreResult, rows};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;

/// One row of the original's `oauth_credentials`, tokens still Fernet-encrypted.
pub struct LegacyRow {
    /// The user's email address.
    pub profile_id: String,
    pub provider_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub token_expiry: Option<DateTime<Utc>>,
    /// A JSON array of scopes, or a space-separated string, or null.
    pub scopes: Option<serde_json::Value>,
}

// Fernet tokens are secrets to whoever holds the legacy key: never print them.
impl std::fmt::Debug for LegacyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyRow")
            .field("profile_id", &self.profile_id)
            .field("provider_id", &self.provider_id)
            .finish_non_exhaustive()
    }
}

/// Where the core's import reads the original's rows, so the core does not name the
/// PostgreSQL reader (and tests could feed it rows without a database).
#[async_trait]
pub trait LegacyReader: Send + Sync {
    /// Up to `limit` rows after `(profile_id, provider_id)` `after`, in that order.
    async fn rows_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<LegacyRow>>;
}

/// The original gateway's database, opened read-only in spirit: only `SELECT`s.
pub struct LegacyDatabase {
    pool: PgPool,
}

impl LegacyDatabase {
    /// Connects to the original's PostgreSQL (its `postgresql+asyncpg://` form is
    /// accepted). Naive `token_expiry` timestamps are read as UTC.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let url = url
            .strip_prefix("postgresql+asyncpg://")
            .map_or_else(|| url.to_owned(), |rest| format!("postgresql://{rest}"));
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("SET TIME ZONE 'UTC'").execute(conn).await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool })
    }

    /// How many rows the table holds.
    pub async fn count(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_credentials")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

#[async_trait]
impl LegacyReader for LegacyDatabase {
    async fn rows_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<LegacyRow>> {
        let (after_profile, after_provider) = after.unzip();
        let found = sqlx::query(
            "SELECT profile_id::text AS profile_id, provider_id::text AS provider_id, \
             access_token::text AS access_token, refresh_token::text AS refresh_token, \
             token_expiry::timestamptz AS token_expiry, scopes::jsonb AS scopes \
             FROM oauth_credentials \
             WHERE $1::text IS NULL OR (profile_id::text, provider_id::text) > ($1, $2) \
             ORDER BY profile_id::text, provider_id::text LIMIT $3",
        )
        .bind(after_profile)
        .bind(after_provider)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| match error {
            sqlx::Error::Database(ref db) if db.code().as_deref() == Some("42P01") => {
                StoreError::Corrupt("the legacy database has no oauth_credentials table".into())
            }
            other => other.into(),
        })?;
        found
            .iter()
            .map(|row| {
                Ok(LegacyRow {
                    profile_id: rows::column(row, "profile_id")?,
                    provider_id: rows::column(row, "provider_id")?,
                    access_token: rows::column(row, "access_token")?,
                    refresh_token: rows::column(row, "refresh_token")?,
                    token_expiry: rows::column(row, "token_expiry")?,
                    scopes: rows::column::<_, Option<Json<serde_json::Value>>>(row, "scopes")?
                        .map(|json| json.0),
                })
            })
            .collect()
    }
}

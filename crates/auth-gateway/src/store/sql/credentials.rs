//! `CredentialStore` on both backends (credentials: read, refresh results, use, due, re-authentication, delete, import, counts): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::{CredentialRecord, ImportedCredential, RefreshedTokens};
use super::super::roles::CredentialStore;
use super::super::rows::{self, credential_columns};
use super::SqlStore;
use crate::domain::StatusCount;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};

macro_rules! credentials_sql {
    ($db:ty) => {
        #[async_trait]
        impl CredentialStore for SqlStore<$db> {
            async fn credential(
                &self,
                user_email: &str,
                provider: &str,
            ) -> StoreResult<Option<CredentialRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    credential_columns!(),
                    " FROM credentials WHERE user_email = $1 AND provider = $2"
                ))
                .bind(user_email)
                .bind(provider)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::credential_from_row).transpose()
            }

            async fn credentials_for_user(
                &self,
                user_email: &str,
            ) -> StoreResult<Vec<CredentialRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    credential_columns!(),
                    " FROM credentials WHERE user_email = $1 ORDER BY provider"
                ))
                .bind(user_email)
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::credential_from_row).collect()
            }

            async fn store_refreshed(
                &self,
                user_email: &str,
                provider: &str,
                expected_version: i64,
                tokens: &RefreshedTokens,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<CredentialRecord>> {
                let (refresh_token, refresh_key_id) = match &tokens.refresh_token {
                    Some(sealed) => (Some(&sealed.ciphertext), Some(&sealed.key_id)),
                    None => (None, None),
                };
                // One statement fenced on the version: a concurrent writer that got there
                // first makes this match no row, and nothing of its write is overwritten.
                let row = sqlx::query(concat!(
                    "UPDATE credentials SET access_token_enc = $4, access_key_id = $5, \
                     refresh_token_enc = COALESCE($6, refresh_token_enc), \
                     refresh_key_id = CASE WHEN $6 IS NULL THEN refresh_key_id \
                     ELSE $7 END, \
                     expires_at = $8, scopes = COALESCE($9, scopes), \
                     version = version + 1, updated_at = $10, \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE user_email = $1 AND provider = $2 AND version = $3 \
                     RETURNING ",
                    credential_columns!()
                ))
                .bind(user_email)
                .bind(provider)
                .bind(expected_version)
                .bind(&tokens.access_token.ciphertext)
                .bind(&tokens.access_token.key_id)
                .bind(refresh_token)
                .bind(refresh_key_id)
                .bind(Self::time(tokens.expires_at))
                .bind(tokens.scopes.as_deref().map(Self::list))
                .bind(Self::time(now))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::credential_from_row).transpose()
            }

            async fn record_credential_use(
                &self,
                user_email: &str,
                provider: &str,
                now: DateTime<Utc>,
                unless_since: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE credentials SET last_used_at = $3 WHERE user_email = $1 \
                     AND provider = $2 AND (last_used_at IS NULL OR last_used_at < $4)",
                )
                .bind(user_email)
                .bind(provider)
                .bind(Self::time(now))
                .bind(Self::time(unless_since))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn credentials_due_for_refresh(
                &self,
                expiring_before: DateTime<Utc>,
                used_since: DateTime<Utc>,
                idle_before: DateTime<Utc>,
                limit: u32,
            ) -> StoreResult<Vec<(String, String)>> {
                let found = sqlx::query(
                    "SELECT user_email, provider FROM credentials \
                     WHERE status = 'active' AND refresh_token_enc IS NOT NULL \
                     AND ((expires_at < $1 AND last_used_at >= $2) OR updated_at < $3) \
                     ORDER BY expires_at LIMIT $4",
                )
                .bind(Self::time(expiring_before))
                .bind(Self::time(used_since))
                .bind(Self::time(idle_before))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok((
                            rows::column(row, "user_email")?,
                            rows::column(row, "provider")?,
                        ))
                    })
                    .collect()
            }

            async fn mark_needs_reauth(
                &self,
                user_email: &str,
                provider: &str,
                expected_version: i64,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE credentials SET status = 'needs_reauth', \
                     version = version + 1, updated_at = $4, lease_owner = NULL, \
                     lease_until = NULL \
                     WHERE user_email = $1 AND provider = $2 AND version = $3",
                )
                .bind(user_email)
                .bind(provider)
                .bind(expected_version)
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn delete_credential(
                &self,
                user_email: &str,
                provider: &str,
            ) -> StoreResult<Option<CredentialRecord>> {
                let row = sqlx::query(concat!(
                    "DELETE FROM credentials WHERE user_email = $1 AND provider = $2 \
                     RETURNING ",
                    credential_columns!()
                ))
                .bind(user_email)
                .bind(provider)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::credential_from_row).transpose()
            }

            async fn import_credential(
                &self,
                credential: &ImportedCredential,
            ) -> StoreResult<bool> {
                let refresh = credential.refresh_token.as_ref();
                let result = sqlx::query(
                    "INSERT INTO credentials (user_email, provider, access_token_enc, \
                     access_key_id, refresh_token_enc, refresh_key_id, expires_at, \
                     scopes, status, version, authenticated_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1, $9, $9, $9) \
                     ON CONFLICT (user_email, provider) DO NOTHING",
                )
                .bind(&credential.user_email)
                .bind(&credential.provider)
                .bind(&credential.access_token.ciphertext)
                .bind(&credential.access_token.key_id)
                .bind(refresh.map(|sealed| &sealed.ciphertext))
                .bind(refresh.map(|sealed| &sealed.key_id))
                .bind(Self::time(credential.expires_at))
                .bind(Self::list(&credential.scopes))
                .bind(Self::time(credential.imported_at))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn credential_status_counts(&self) -> StoreResult<Vec<StatusCount>> {
                let found = sqlx::query(
                    "SELECT status, COUNT(*) AS n FROM credentials \
                     GROUP BY status ORDER BY status",
                )
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(StatusCount {
                            status: rows::column(row, "status")?,
                            credentials: rows::count(row, "n")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

credentials_sql!(Postgres);
credentials_sql!(Sqlite);

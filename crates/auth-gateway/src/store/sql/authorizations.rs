//! `AuthorizationStore` on both backends (consents, grants, codes, refresh tokens): one
//! text, compiled for each backend by the macro below (see the parent module for why a
//! macro). The single-use transactions (redeeming a code, rotating a refresh token) are
//! in `redemptions.rs` (with the code row mapping); this file holds the plain reads and
//! writes.

use super::super::StoreResult;
use super::super::authz_records::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, CodeRedemption, ConsentRecord,
    NewRefreshToken, RefreshRotation,
};
use super::super::authz_roles::AuthorizationStore;
use super::super::rows::{RecordRow, column};
use super::{Dialect, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};
use uuid::Uuid;

/// The columns `consent_from_row` reads.
macro_rules! consent_columns {
    () => {
        "user_subject, client_id, resource, scope, granted_at"
    };
}

/// The columns `grant_from_row` reads (unqualified: every statement that reads a grant
/// reads `oauth_grants` alone).
macro_rules! grant_columns {
    () => {
        "id, client_id, user_subject, user_email, resource, scope, created_at, revoked_at"
    };
}
pub(super) use grant_columns;

fn consent_from_row<R>(row: &R) -> StoreResult<ConsentRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
{
    Ok(ConsentRecord {
        user_subject: column(row, "user_subject")?,
        client_id: column(row, "client_id")?,
        resource: column(row, "resource")?,
        scope: column(row, "scope")?,
        granted_at: row.time("granted_at")?,
    })
}

pub(super) fn grant_from_row<R>(row: &R) -> StoreResult<AuthorizationGrantRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Uuid: Decode<'r, R::Database>,
    Uuid: Type<R::Database>,
{
    Ok(AuthorizationGrantRecord {
        id: column(row, "id")?,
        client_id: column(row, "client_id")?,
        user_subject: column(row, "user_subject")?,
        user_email: column(row, "user_email")?,
        resource: column(row, "resource")?,
        scope: column(row, "scope")?,
        created_at: row.time("created_at")?,
        revoked_at: row.optional_time("revoked_at")?,
    })
}

macro_rules! authorizations_sql {
    ($db:ty) => {
        #[async_trait]
        impl AuthorizationStore for SqlStore<$db> {
            async fn upsert_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_consents (user_subject, client_id, resource, scope, \
                     granted_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (user_subject, client_id, resource) DO UPDATE SET \
                     scope = EXCLUDED.scope, granted_at = EXCLUDED.granted_at",
                )
                .bind(&consent.user_subject)
                .bind(&consent.client_id)
                .bind(&consent.resource)
                .bind(&consent.scope)
                .bind(Self::time(consent.granted_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn consent(
                &self,
                user_subject: &str,
                client_id: &str,
                resource: &str,
            ) -> StoreResult<Option<ConsentRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    consent_columns!(),
                    " FROM oauth_consents \
                     WHERE user_subject = $1 AND client_id = $2 AND resource = $3"
                ))
                .bind(user_subject)
                .bind(client_id)
                .bind(resource)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(consent_from_row).transpose()
            }

            async fn consents_for_user(
                &self,
                user_subject: &str,
            ) -> StoreResult<Vec<ConsentRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    consent_columns!(),
                    " FROM oauth_consents WHERE user_subject = $1 \
                     ORDER BY client_id, resource"
                ))
                .bind(user_subject)
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(consent_from_row).collect()
            }

            async fn revoke_client_authorization(
                &self,
                user_subject: &str,
                client_id: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                sqlx::query(
                    "DELETE FROM oauth_consents WHERE user_subject = $1 AND client_id = $2",
                )
                .bind(user_subject)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
                let revoked = sqlx::query(
                    "UPDATE oauth_grants SET revoked_at = $3 \
                     WHERE user_subject = $1 AND client_id = $2 AND revoked_at IS NULL",
                )
                .bind(user_subject)
                .bind(client_id)
                .bind(Self::time(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(revoked.rows_affected())
            }

            async fn insert_grant_with_code(
                &self,
                grant: &AuthorizationGrantRecord,
                code: &AuthorizationCodeRecord,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                sqlx::query(
                    "INSERT INTO oauth_grants (id, client_id, user_subject, user_email, \
                     resource, scope, created_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(grant.id)
                .bind(&grant.client_id)
                .bind(&grant.user_subject)
                .bind(&grant.user_email)
                .bind(&grant.resource)
                .bind(&grant.scope)
                .bind(Self::time(grant.created_at))
                .bind(grant.revoked_at.map(Self::time))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, \
                     code_challenge, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&code.code_hash)
                .bind(code.grant_id)
                .bind(&code.redirect_uri)
                .bind(&code.code_challenge)
                .bind(Self::time(code.created_at))
                .bind(Self::time(code.expires_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn grant(&self, id: Uuid) -> StoreResult<Option<AuthorizationGrantRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    grant_columns!(),
                    " FROM oauth_grants WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(grant_from_row).transpose()
            }

            async fn active_grants_for_user(
                &self,
                user_subject: &str,
            ) -> StoreResult<Vec<AuthorizationGrantRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    grant_columns!(),
                    " FROM oauth_grants WHERE user_subject = $1 AND revoked_at IS NULL \
                     ORDER BY created_at DESC, id"
                ))
                .bind(user_subject)
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(grant_from_row).collect()
            }

            async fn redeem_code(
                &self,
                code_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<CodeRedemption> {
                self.redeem_code_once(code_hash, now).await
            }

            async fn insert_refresh_token(&self, token: &NewRefreshToken) -> StoreResult<()> {
                Self::insert_refresh(token, token.grant_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                token_hash: &[u8],
                new: &NewRefreshToken,
                now: DateTime<Utc>,
                grace_since: DateTime<Utc>,
            ) -> StoreResult<RefreshRotation> {
                self.rotate_refresh_once(token_hash, new, now, grace_since)
                    .await
            }

            async fn revoke_grant(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                let result = Self::revoke(id, now).execute(&self.pool).await?;
                Ok(result.rows_affected() == 1)
            }

            async fn grant_of_refresh_token(
                &self,
                token_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<Option<AuthorizationGrantRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    grant_columns!(),
                    " FROM oauth_grants WHERE revoked_at IS NULL AND id = (SELECT \
                     grant_id FROM oauth_refresh_tokens WHERE token_hash = $1 \
                     AND used_at IS NULL AND expires_at > $2)"
                ))
                .bind(token_hash)
                .bind(Self::time(now))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(grant_from_row).transpose()
            }

            async fn delete_authorization_rows_expired_before(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                self.delete_expired_authorization_rows(before).await
            }
        }
    };
}

authorizations_sql!(Postgres);
authorizations_sql!(Sqlite);

//! `LoginStore` on both backends (sign-ins at the gateway and the browser sessions they
//! open): one text, compiled for each backend by the macro below (see the parent module
//! for why a macro).

use super::super::StoreResult;
use super::super::authz_records::{BrowserSessionRecord, LoginRecord, NewLogin};
use super::super::authz_roles::LoginStore;
use super::super::records::{CredentialRecord, SignInGrant};
use super::super::rows::{self, RecordRow, column};
use super::{Dialect, SqlStore};
use crate::domain::Sealed;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};
use uuid::Uuid;

/// The columns `login_from_row` reads.
macro_rules! login_columns {
    () => {
        "id, browser_hash, pkce_verifier_enc, pkce_key_id, provider, scopes, return_to, \
         expected_subject, created_at, expires_at, used_at"
    };
}

/// The columns `browser_session_from_row` reads.
macro_rules! browser_session_columns {
    () => {
        "id_hash, user_subject, user_email, provider, created_at, idle_expires_at, \
         absolute_expires_at"
    };
}

fn login_from_row<R>(row: &R) -> StoreResult<LoginRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database>,
    Vec<u8>: Type<R::Database>,
    for<'r> Uuid: Decode<'r, R::Database>,
    Uuid: Type<R::Database>,
{
    Ok(LoginRecord {
        id: column(row, "id")?,
        browser_hash: column(row, "browser_hash")?,
        pkce_verifier: Sealed {
            key_id: column(row, "pkce_key_id")?,
            ciphertext: column(row, "pkce_verifier_enc")?,
        },
        provider: column(row, "provider")?,
        scopes: row.list("scopes")?,
        return_to: column(row, "return_to")?,
        expected_subject: column(row, "expected_subject")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        used_at: row.optional_time("used_at")?,
    })
}

fn browser_session_from_row<R>(row: &R) -> StoreResult<BrowserSessionRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database>,
    Vec<u8>: Type<R::Database>,
{
    Ok(BrowserSessionRecord {
        id_hash: column(row, "id_hash")?,
        user_subject: column(row, "user_subject")?,
        user_email: column(row, "user_email")?,
        provider: column(row, "provider")?,
        created_at: row.time("created_at")?,
        idle_expires_at: row.time("idle_expires_at")?,
        absolute_expires_at: row.time("absolute_expires_at")?,
    })
}

macro_rules! logins_sql {
    ($db:ty) => {
        #[async_trait]
        impl LoginStore for SqlStore<$db> {
            async fn insert_login(&self, login: &NewLogin) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_logins (id, state_hash, browser_hash, \
                     pkce_verifier_enc, pkce_key_id, provider, scopes, return_to, \
                     expected_subject, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(login.id)
                .bind(&login.state_hash)
                .bind(&login.browser_hash)
                .bind(&login.pkce_verifier.ciphertext)
                .bind(&login.pkce_verifier.key_id)
                .bind(&login.provider)
                .bind(Self::list(&login.scopes))
                .bind(&login.return_to)
                .bind(&login.expected_subject)
                .bind(Self::time(login.created_at))
                .bind(Self::time(login.expires_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn login_by_state(&self, state_hash: &[u8]) -> StoreResult<Option<LoginRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    login_columns!(),
                    " FROM oauth_logins WHERE state_hash = $1"
                ))
                .bind(state_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(login_from_row).transpose()
            }

            async fn claim_login(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                // One conditional UPDATE, as `claim_session`: racing claims serialize on
                // the row (PostgreSQL re-checks `used_at` after the winner commits;
                // SQLite has one writer), so exactly one sees a row change.
                let result = sqlx::query(
                    "UPDATE oauth_logins SET used_at = $2 \
                     WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(id)
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn complete_login(
                &self,
                grant: &SignInGrant,
                session: &BrowserSessionRecord,
                now: DateTime<Utc>,
            ) -> StoreResult<CredentialRecord> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::upsert_signed_in_credential(grant, now)
                    .fetch_one(&mut *tx)
                    .await?;
                let record = rows::credential_from_row(&row)?;
                // The idle expiry is capped at the absolute one here too, so the table's
                // CHECK holds whatever the caller computed.
                sqlx::query(
                    "INSERT INTO browser_sessions (id_hash, user_subject, user_email, \
                     provider, created_at, idle_expires_at, absolute_expires_at) \
                     VALUES ($1, $2, $3, $4, $5, \
                     CASE WHEN $6 < $7 THEN $6 ELSE $7 END, $7)",
                )
                .bind(&session.id_hash)
                .bind(&session.user_subject)
                .bind(&session.user_email)
                .bind(&session.provider)
                .bind(Self::time(session.created_at))
                .bind(Self::time(session.idle_expires_at))
                .bind(Self::time(session.absolute_expires_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn browser_session(
                &self,
                id_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<Option<BrowserSessionRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    browser_session_columns!(),
                    " FROM browser_sessions WHERE id_hash = $1 \
                     AND idle_expires_at > $2 AND absolute_expires_at > $2"
                ))
                .bind(id_hash)
                .bind(Self::time(now))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(browser_session_from_row).transpose()
            }

            async fn touch_browser_session(
                &self,
                id_hash: &[u8],
                idle_expires_at: DateTime<Utc>,
            ) -> StoreResult<()> {
                // Only forward, and capped at the absolute expiry.
                sqlx::query(
                    "UPDATE browser_sessions SET idle_expires_at = CASE \
                     WHEN $2 < absolute_expires_at THEN $2 ELSE absolute_expires_at END \
                     WHERE id_hash = $1 AND idle_expires_at < $2",
                )
                .bind(id_hash)
                .bind(Self::time(idle_expires_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_browser_session(&self, id_hash: &[u8]) -> StoreResult<bool> {
                let result = sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn delete_logins_and_browser_sessions_expired_before(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let logins = sqlx::query("DELETE FROM oauth_logins WHERE expires_at < $1")
                    .bind(Self::time(before))
                    .execute(&self.pool)
                    .await?;
                // The idle expiry never passes the absolute one (a CHECK), so a session
                // past either is past its idle expiry.
                let sessions =
                    sqlx::query("DELETE FROM browser_sessions WHERE idle_expires_at < $1")
                        .bind(Self::time(before))
                        .execute(&self.pool)
                        .await?;
                Ok(logins.rows_affected() + sessions.rows_affected())
            }
        }
    };
}

logins_sql!(Postgres);
logins_sql!(Sqlite);

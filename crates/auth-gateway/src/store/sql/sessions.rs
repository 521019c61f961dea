//! `SessionStore` on both backends (sessions: insert, bind, claim, fail, complete, sweep): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::{CredentialRecord, NewSession, SessionRecord, SignInGrant};
use super::super::roles::SessionStore;
use super::super::rows::{self, credential_columns, session_columns};
use super::{Dialect, SqlStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

/// Stores a completed sign-in's grant at its provider: inserted, or over the stored row
/// (status `active`, version bumped, lease released). The refresh token and its key id
/// are taken together from whichever side has a token, so they always stay a matching
/// pair and a grant without one keeps the stored one. `credentials.` names the stored
/// row, `EXCLUDED.` the one this statement would have inserted. Shared by
/// `complete_sign_in` and `LoginStore::complete_login` (`logins.rs`).
const UPSERT_SIGNED_IN_CREDENTIAL: &str = concat!(
    "INSERT INTO credentials (user_email, provider, access_token_enc, access_key_id, \
     refresh_token_enc, refresh_key_id, expires_at, scopes, account_email, \
     account_subject, status, version, lease_owner, lease_until, authenticated_at, \
     created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 1, NULL, NULL, $11, $11, \
     $11) \
     ON CONFLICT (user_email, provider) DO UPDATE SET \
     access_token_enc = EXCLUDED.access_token_enc, \
     access_key_id = EXCLUDED.access_key_id, \
     refresh_token_enc = COALESCE(EXCLUDED.refresh_token_enc, credentials.refresh_token_enc), \
     refresh_key_id = CASE WHEN EXCLUDED.refresh_token_enc IS NULL \
     THEN credentials.refresh_key_id ELSE EXCLUDED.refresh_key_id END, \
     expires_at = EXCLUDED.expires_at, scopes = EXCLUDED.scopes, \
     account_email = EXCLUDED.account_email, account_subject = EXCLUDED.account_subject, \
     status = 'active', version = credentials.version + 1, lease_owner = NULL, \
     lease_until = NULL, authenticated_at = EXCLUDED.authenticated_at, \
     updated_at = EXCLUDED.updated_at \
     RETURNING ",
    credential_columns!()
);

macro_rules! sessions_sql {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// [`UPSERT_SIGNED_IN_CREDENTIAL`] with the grant bound; run it inside the
            /// caller's transaction and read the row with `rows::credential_from_row`.
            pub(super) fn upsert_signed_in_credential(
                grant: &SignInGrant,
                now: DateTime<Utc>,
            ) -> sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments> {
                let (refresh_token, refresh_key_id) = match &grant.refresh_token {
                    Some(sealed) => (Some(&sealed.ciphertext), Some(&sealed.key_id)),
                    None => (None, None),
                };
                sqlx::query(UPSERT_SIGNED_IN_CREDENTIAL)
                    .bind(&grant.user_email)
                    .bind(&grant.provider)
                    .bind(&grant.access_token.ciphertext)
                    .bind(&grant.access_token.key_id)
                    .bind(refresh_token)
                    .bind(refresh_key_id)
                    .bind(Self::time(grant.expires_at))
                    .bind(Self::list(&grant.scopes))
                    .bind(&grant.account_email)
                    .bind(&grant.account_subject)
                    .bind(Self::time(now))
            }
        }

        #[async_trait]
        impl SessionStore for SqlStore<$db> {
            async fn insert_session(&self, session: &NewSession) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO auth_sessions (id, connect_hash, pkce_verifier_enc, \
                     pkce_key_id, user_email, provider, scopes, client_name, status, \
                     created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)",
                )
                .bind(session.id)
                .bind(&session.connect_hash)
                .bind(&session.pkce_verifier.ciphertext)
                .bind(&session.pkce_verifier.key_id)
                .bind(&session.user_email)
                .bind(&session.provider)
                .bind(Self::list(&session.scopes))
                .bind(&session.client_name)
                .bind(Self::time(session.created_at))
                .bind(Self::time(session.expires_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM auth_sessions WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::session_from_row).transpose()
            }

            async fn pending_sessions_for(
                &self,
                client_name: &str,
                user_email: &str,
                provider: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<SessionRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM auth_sessions WHERE client_name = $1 AND user_email = $2 \
                     AND provider = $3 AND status = 'pending' AND expires_at > $4 \
                     ORDER BY expires_at DESC LIMIT 8"
                ))
                .bind(client_name)
                .bind(user_email)
                .bind(provider)
                .bind(Self::time(now))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::session_from_row).collect()
            }

            async fn begin_authorization(
                &self,
                connect_hash: &[u8],
                state_hash: &[u8],
                browser_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<Option<SessionRecord>> {
                let row = sqlx::query(concat!(
                    "UPDATE auth_sessions SET state_hash = $1, browser_hash = $2 \
                     WHERE connect_hash = $3 AND status = 'pending' AND expires_at > $4 \
                     RETURNING ",
                    session_columns!()
                ))
                .bind(state_hash)
                .bind(browser_hash)
                .bind(connect_hash)
                .bind(Self::time(now))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::session_from_row).transpose()
            }

            async fn session_by_state(
                &self,
                state_hash: &[u8],
            ) -> StoreResult<Option<SessionRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM auth_sessions WHERE state_hash = $1"
                ))
                .bind(state_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::session_from_row).transpose()
            }

            async fn claim_session(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                // One conditional UPDATE. PostgreSQL: the row lock serializes racing
                // claims and the loser re-checks `status` after the winner commits.
                // SQLite: one writer at a time, each reading the latest committed row.
                // Either way exactly one claim sees a row change.
                let result = sqlx::query(
                    "UPDATE auth_sessions SET status = 'exchanging' \
                     WHERE id = $1 AND status = 'pending' AND expires_at > $2",
                )
                .bind(id)
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn fail_session(
                &self,
                id: Uuid,
                error: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE auth_sessions SET status = 'failed', error = $2, \
                     completed_at = $3 \
                     WHERE id = $1 AND status IN ('pending', 'exchanging')",
                )
                .bind(id)
                .bind(error)
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn complete_sign_in(
                &self,
                session_id: Uuid,
                grant: &SignInGrant,
                now: DateTime<Utc>,
            ) -> StoreResult<CredentialRecord> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                // Only the claimer of the session may complete it; anything else (never
                // claimed, failed meanwhile, swept) stores nothing.
                let completed = sqlx::query(
                    "UPDATE auth_sessions SET status = 'completed', account_email = $2, \
                     completed_at = $3 WHERE id = $1 AND status = 'exchanging'",
                )
                .bind(session_id)
                .bind(&grant.account_email)
                .bind(Self::time(now))
                .execute(&mut *tx)
                .await?;
                if completed.rows_affected() != 1 {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                let row = Self::upsert_signed_in_credential(grant, now)
                    .fetch_one(&mut *tx)
                    .await?;
                let record = rows::credential_from_row(&row)?;
                tx.commit().await?;
                Ok(record)
            }

            async fn delete_sessions_expired_before(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1")
                    .bind(Self::time(before))
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected())
            }
        }
    };
}

sessions_sql!(Postgres);
sessions_sql!(Sqlite);

//! The single-use writes of `AuthorizationStore` (redeeming a code, rotating a refresh
//! token) and its sweep, as inherent methods of `SqlStore<$db>` that the trait impl in
//! `authorizations.rs` calls: one text, compiled for each backend by the macro below.
//!
//! Single use across replicas rests on one conditional UPDATE as the claim (`used_at IS
//! NULL`): on PostgreSQL racing claims serialize on the row lock and the loser re-checks
//! the condition after the winner commits; on SQLite each write transaction is `BEGIN
//! IMMEDIATE`, so they run one at a time. Whatever a loser then does, it does in the same
//! transaction, after the winner committed.

use super::super::authz_records::{
    AuthorizationCodeRecord, CodeRedemption, NewRefreshToken, RefreshRotation,
};
use super::super::rows::{RecordRow, column};
use super::super::{StoreError, StoreResult};
use super::authorizations::{grant_columns, grant_from_row};
use super::{Dialect, SqlStore};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};
use uuid::Uuid;

/// The columns `code_from_row` reads.
macro_rules! code_columns {
    () => {
        "code_hash, grant_id, redirect_uri, code_challenge, created_at, expires_at"
    };
}

fn code_from_row<R>(row: &R) -> StoreResult<AuthorizationCodeRecord>
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
    Ok(AuthorizationCodeRecord {
        code_hash: column(row, "code_hash")?,
        grant_id: column(row, "grant_id")?,
        redirect_uri: column(row, "redirect_uri")?,
        code_challenge: column(row, "code_challenge")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

/// Reads a grant inside a transaction.
const SELECT_GRANT: &str = concat!(
    "SELECT ",
    grant_columns!(),
    " FROM oauth_grants WHERE id = $1"
);

macro_rules! redemptions_sql {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// Stores `token` in `grant_id`'s family.
            pub(super) fn insert_refresh(
                token: &NewRefreshToken,
                grant_id: Uuid,
            ) -> sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments> {
                sqlx::query(
                    "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&token.token_hash)
                .bind(grant_id)
                .bind(Self::time(token.created_at))
                .bind(Self::time(token.expires_at))
            }

            /// Revokes a grant unless it already is (its first revocation time stays).
            pub(super) fn revoke(
                id: Uuid,
                now: DateTime<Utc>,
            ) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
                sqlx::query(
                    "UPDATE oauth_grants SET revoked_at = $2 \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(Self::time(now))
            }

            pub(super) async fn redeem_code_once(
                &self,
                code_hash: &[u8],
                now: DateTime<Utc>,
            ) -> StoreResult<CodeRedemption> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let claimed = sqlx::query(concat!(
                    "UPDATE oauth_codes SET used_at = $2 \
                     WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                     RETURNING ",
                    code_columns!()
                ))
                .bind(code_hash)
                .bind(Self::time(now))
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = claimed {
                    let code = code_from_row(&row)?;
                    let grant = sqlx::query(SELECT_GRANT)
                        .bind(code.grant_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("a code without its grant".into()))?;
                    let grant = grant_from_row(&grant)?;
                    tx.commit().await?;
                    return Ok(CodeRedemption::Redeemed { code, grant });
                }
                // Not claimable: unknown, expired unused, or used. A used code is a
                // replay even once expired (until swept): it was handed out and used.
                let found = sqlx::query(
                    "SELECT grant_id FROM oauth_codes \
                     WHERE code_hash = $1 AND used_at IS NOT NULL",
                )
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = found else {
                    return Ok(CodeRedemption::Unknown);
                };
                let grant_id: Uuid = column(&row, "grant_id")?;
                Self::revoke(grant_id, now).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(CodeRedemption::Replayed { grant_id })
            }

            pub(super) async fn rotate_refresh_once(
                &self,
                token_hash: &[u8],
                new: &NewRefreshToken,
                now: DateTime<Utc>,
                grace_since: DateTime<Utc>,
            ) -> StoreResult<RefreshRotation> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                // The claim of a current token: unused, unexpired, grant not revoked.
                let claimed = sqlx::query(
                    "UPDATE oauth_refresh_tokens SET used_at = $2, replaced_by = $3 \
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                     AND EXISTS (SELECT 1 FROM oauth_grants \
                     WHERE oauth_grants.id = oauth_refresh_tokens.grant_id \
                     AND oauth_grants.revoked_at IS NULL) \
                     RETURNING grant_id",
                )
                .bind(token_hash)
                .bind(Self::time(now))
                .bind(&new.token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = claimed {
                    let grant_id: Uuid = column(&row, "grant_id")?;
                    Self::insert_refresh(new, grant_id)
                        .execute(&mut *tx)
                        .await?;
                    let grant = sqlx::query(SELECT_GRANT)
                        .bind(grant_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let grant = grant_from_row(&grant)?;
                    tx.commit().await?;
                    return Ok(RefreshRotation::Rotated { grant });
                }
                // Not current. A used, unexpired token: lock its row (a no-op UPDATE,
                // the portable `FOR UPDATE`) so second uses of one token take turns and
                // each reads the successor the previous one left.
                let used = sqlx::query(
                    "UPDATE oauth_refresh_tokens SET used_at = used_at \
                     WHERE token_hash = $1 AND used_at IS NOT NULL AND expires_at > $2 \
                     RETURNING grant_id, used_at, replaced_by",
                )
                .bind(token_hash)
                .bind(Self::time(now))
                .fetch_optional(&mut *tx)
                .await?;
                let Some(used) = used else {
                    return Ok(RefreshRotation::Invalid);
                };
                let grant_id: Uuid = column(&used, "grant_id")?;
                let grant = sqlx::query(SELECT_GRANT)
                    .bind(grant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let grant = match grant.as_ref().map(grant_from_row).transpose()? {
                    Some(grant) if grant.revoked_at.is_none() => grant,
                    _ => return Ok(RefreshRotation::Invalid),
                };
                let used_at = used.time("used_at")?;
                let successor: Option<Vec<u8>> = column(&used, "replaced_by")?;
                if used_at >= grace_since
                    && let Some(successor) = successor
                {
                    // The lost response's token is deleted, not marked: a deleted token
                    // is simply unknown (`Invalid`) everywhere, with no revoked state
                    // for every read to check. Deleting only while unused is what
                    // decides a race with that token's own rotation.
                    let dropped = sqlx::query(
                        "DELETE FROM oauth_refresh_tokens \
                         WHERE token_hash = $1 AND used_at IS NULL",
                    )
                    .bind(&successor)
                    .execute(&mut *tx)
                    .await?;
                    if dropped.rows_affected() == 1 {
                        sqlx::query(
                            "UPDATE oauth_refresh_tokens SET replaced_by = $2 \
                             WHERE token_hash = $1",
                        )
                        .bind(token_hash)
                        .bind(&new.token_hash)
                        .execute(&mut *tx)
                        .await?;
                        Self::insert_refresh(new, grant_id)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                        return Ok(RefreshRotation::Reissued { grant });
                    }
                }
                Self::revoke(grant_id, now).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(RefreshRotation::Reused { grant_id })
            }

            pub(super) async fn delete_expired_authorization_rows(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                // Codes and tokens of a grant about to go are deleted (and counted)
                // first; the foreign keys' cascade would take them uncounted.
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let mut deleted = 0;
                for sql in [
                    "DELETE FROM oauth_codes WHERE expires_at < $1 OR grant_id IN \
                     (SELECT id FROM oauth_grants WHERE revoked_at < $1)",
                    "DELETE FROM oauth_refresh_tokens WHERE expires_at < $1 OR grant_id IN \
                     (SELECT id FROM oauth_grants WHERE revoked_at < $1)",
                    "DELETE FROM oauth_grants WHERE revoked_at < $1",
                ] {
                    let result = sqlx::query(sql)
                        .bind(Self::time(before))
                        .execute(&mut *tx)
                        .await?;
                    deleted += result.rows_affected();
                }
                tx.commit().await?;
                Ok(deleted)
            }
        }
    };
}

redemptions_sql!(Postgres);
redemptions_sql!(Sqlite);

//! Every statement of the store, written once for both backends, with its binds and its
//! row mapping. The SQL is the common subset of PostgreSQL and SQLite: `$N` placeholders
//! (sqlx binds SQLite's `$N` by number too), `ON CONFLICT … DO UPDATE` with `EXCLUDED`,
//! `RETURNING`, row-value comparisons, standard `CAST`. No `::type` casts: sqlx sends
//! PostgreSQL each parameter's type, so a parameter that is only tested `IS NULL` is
//! typed anyway.
//!
//! What truly differs is the [`Dialect`]: how a time and a JSON list are bound (the row
//! side is `rows::RecordRow`) and which statement opens a write transaction. Connecting
//! and the change feed are in `postgres` and `sqlite`.
//!
//! The role traits are implemented by one macro, `sql_roles!`, instantiated for
//! `SqlStore<Postgres>` and `SqlStore<Sqlite>`: the same source compiled for each
//! backend's concrete sqlx types. A generic `impl<DB: Dialect>` would need the whole bound
//! bundle (an executor for `&mut DB::Connection`, `Encode`/`Decode` for every bound and
//! read type, and each `Option` of them separately, since sqlx implements those per
//! database) restated on each of the seven impls, because Rust does not imply such bounds
//! from a trait. The macro keeps each backend's code exactly what it was (concrete
//! types, prepared and cached statements, no extra allocation) with the text once.
//! rustfmt formats the macro body as long as every line fits in about 90 columns (a
//! longer SQL line makes it leave that whole impl alone, silently), so the SQL is
//! wrapped a little shorter than elsewhere.

use super::records::{
    AuditEvent, AuditQuery, ClientRecord, CredentialRecord, ImportedCredential, NewClient,
    NewSession, RefreshedTokens, SessionRecord, SessionVerifier, SignInGrant,
};
use super::roles::{
    AuditStore, ClientStore, CredentialStore, Health, KeyStore, LeaseStore, SessionStore,
};
use super::rows::{self, client_columns, credential_columns, key_id_union, session_columns};
use super::{StoreResult, sqlite};
use crate::domain::{KeyIdCount, PoolStats, Sealed, StatusCount};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Database, Pool, Postgres, Sqlite};
use uuid::Uuid;

/// A store on one sqlx database: [`PgStore`](super::PgStore) or
/// [`SqliteStore`](super::SqliteStore).
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The connection pool's occupancy now.
    fn occupancy(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// What the two backends bind differently. The schema's columns have the same names on
/// both; only the types of times and JSON lists do not.
pub(super) trait Dialect: Database {
    /// A bound time: `TIMESTAMPTZ` on PostgreSQL; INTEGER Unix epoch microseconds on
    /// SQLite, which compare correctly as numbers.
    type Time;
    /// A bound JSON array of strings: `JSONB` on PostgreSQL, `TEXT` on SQLite.
    type List<'a>;
    /// Opens a transaction that will write.
    const BEGIN_WRITE: &'static str;

    fn time(time: DateTime<Utc>) -> Self::Time;
    fn list(items: &[String]) -> Self::List<'_>;
}

impl Dialect for Postgres {
    type Time = DateTime<Utc>;
    type List<'a> = Json<&'a [String]>;
    /// What `Pool::begin` sends: the row locks of the statements do the rest.
    const BEGIN_WRITE: &'static str = "BEGIN";

    fn time(time: DateTime<Utc>) -> Self::Time {
        time
    }

    fn list(items: &[String]) -> Self::List<'_> {
        Json(items)
    }
}

impl Dialect for Sqlite {
    type Time = i64;
    type List<'a> = String;
    /// IMMEDIATE takes the write lock up front, so the transaction never has to upgrade a
    /// read lock later (which SQLite can refuse without waiting).
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    fn time(time: DateTime<Utc>) -> Self::Time {
        sqlite::micros(time)
    }

    fn list(items: &[String]) -> Self::List<'_> {
        rows::list_to_json(items)
    }
}

/// Implements every role but the change feed for `SqlStore<$db>`.
macro_rules! sql_roles {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn time(time: DateTime<Utc>) -> <$db as Dialect>::Time {
                <$db as Dialect>::time(time)
            }

            fn list(items: &[String]) -> <$db as Dialect>::List<'_> {
                <$db as Dialect>::list(items)
            }
        }

        #[async_trait]
        impl Health for SqlStore<$db> {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn pool_stats(&self) -> PoolStats {
                self.occupancy()
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
                let (refresh_token, refresh_key_id) = match &grant.refresh_token {
                    Some(sealed) => (Some(&sealed.ciphertext), Some(&sealed.key_id)),
                    None => (None, None),
                };
                // The refresh token and its key id are taken together from whichever side
                // has a token, so they always stay a matching pair. `credentials.` names
                // the stored row, `EXCLUDED.` the one this statement would have inserted.
                let row = sqlx::query(concat!(
                    "INSERT INTO credentials (user_email, provider, access_token_enc, \
                     access_key_id, refresh_token_enc, refresh_key_id, expires_at, \
                     scopes, account_email, account_subject, status, version, \
                     lease_owner, lease_until, authenticated_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 1, NULL, \
                     NULL, $11, $11, $11) \
                     ON CONFLICT (user_email, provider) DO UPDATE SET \
                     access_token_enc = EXCLUDED.access_token_enc, \
                     access_key_id = EXCLUDED.access_key_id, \
                     refresh_token_enc = COALESCE(EXCLUDED.refresh_token_enc, \
                     credentials.refresh_token_enc), \
                     refresh_key_id = CASE WHEN EXCLUDED.refresh_token_enc IS NULL \
                     THEN credentials.refresh_key_id ELSE EXCLUDED.refresh_key_id END, \
                     expires_at = EXCLUDED.expires_at, scopes = EXCLUDED.scopes, \
                     account_email = EXCLUDED.account_email, \
                     account_subject = EXCLUDED.account_subject, status = 'active', \
                     version = credentials.version + 1, lease_owner = NULL, \
                     lease_until = NULL, authenticated_at = EXCLUDED.authenticated_at, \
                     updated_at = EXCLUDED.updated_at \
                     RETURNING ",
                    credential_columns!()
                ))
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

        #[async_trait]
        impl LeaseStore for SqlStore<$db> {
            async fn acquire_refresh_lease(
                &self,
                user_email: &str,
                provider: &str,
                owner: &str,
                until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<CredentialRecord>> {
                // The condition and the write are one statement, so two replicas can never
                // both see the lease as free.
                let row = sqlx::query(concat!(
                    "UPDATE credentials SET lease_owner = $3, lease_until = $4 \
                     WHERE user_email = $1 AND provider = $2 \
                     AND (lease_until IS NULL OR lease_until <= $5) RETURNING ",
                    credential_columns!()
                ))
                .bind(user_email)
                .bind(provider)
                .bind(owner)
                .bind(Self::time(until))
                .bind(Self::time(now))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::credential_from_row).transpose()
            }

            async fn release_refresh_lease(
                &self,
                user_email: &str,
                provider: &str,
                owner: &str,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE credentials SET lease_owner = NULL, lease_until = NULL \
                     WHERE user_email = $1 AND provider = $2 AND lease_owner = $3",
                )
                .bind(user_email)
                .bind(provider)
                .bind(owner)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn try_acquire_job_lease(
                &self,
                name: &str,
                owner: &str,
                until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                // One statement: insert, or take over a lease that ran out or is already
                // ours.
                let result = sqlx::query(
                    "INSERT INTO job_leases (name, owner, lease_until) \
                     VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, \
                     lease_until = EXCLUDED.lease_until \
                     WHERE job_leases.lease_until <= $4 \
                     OR job_leases.owner = EXCLUDED.owner",
                )
                .bind(name)
                .bind(owner)
                .bind(Self::time(until))
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl ClientStore for SqlStore<$db> {
            async fn insert_client(&self, client: &NewClient) -> StoreResult<bool> {
                let result = sqlx::query(
                    "INSERT INTO clients (id, name, key_digest, allowed_providers, \
                     allowed_scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(client.id)
                .bind(&client.name)
                .bind(&client.key_digest)
                .bind(Self::list(&client.allowed_providers))
                .bind(client.allowed_scopes.as_deref().map(Self::list))
                .bind(Self::time(client.created_at))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn client_by_digest(&self, digest: &[u8]) -> StoreResult<Option<ClientRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients WHERE key_digest = $1 OR previous_key_digest = $1 \
                     LIMIT 1"
                ))
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(rows::client_from_row).transpose()
            }

            async fn clients(&self) -> StoreResult<Vec<ClientRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients ORDER BY name"
                ))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::client_from_row).collect()
            }

            async fn revoke_client(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE clients SET revoked_at = $2, previous_key_digest = NULL, \
                     previous_key_valid_until = NULL \
                     WHERE name = $1 AND revoked_at IS NULL",
                )
                .bind(name)
                .bind(Self::time(now))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn rotate_client_key(
                &self,
                name: &str,
                new_digest: &[u8],
                previous_valid_until: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE clients SET previous_key_digest = key_digest, \
                     key_digest = $2, previous_key_valid_until = $3 \
                     WHERE name = $1 AND revoked_at IS NULL",
                )
                .bind(name)
                .bind(new_digest)
                .bind(Self::time(previous_valid_until))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl AuditStore for SqlStore<$db> {
            async fn insert_audit_event(&self, event: &AuditEvent) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_events (occurred_at, client_name, user_email, \
                     provider, event, outcome, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(Self::time(event.occurred_at))
                .bind(&event.client_name)
                .bind(&event.user_email)
                .bind(&event.provider)
                .bind(&event.event)
                .bind(&event.outcome)
                .bind(&event.detail)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
                let found = sqlx::query(
                    "SELECT * FROM (SELECT id, occurred_at, client_name, user_email, \
                     provider, event, outcome, detail FROM audit_events \
                     WHERE ($1 IS NULL OR user_email = $1) \
                     AND ($2 IS NULL OR occurred_at >= $2) \
                     ORDER BY id DESC LIMIT $3) newest ORDER BY id",
                )
                .bind(&query.user_email)
                .bind(query.since.map(Self::time))
                .bind(i64::from(query.limit))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::audit_event_from_row).collect()
            }
        }

        #[async_trait]
        impl KeyStore for SqlStore<$db> {
            async fn key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>> {
                // PostgreSQL's SUM of BIGINTs is NUMERIC: the CAST brings it back.
                let found = sqlx::query(concat!(
                    "SELECT key_id, CAST(SUM(n) AS BIGINT) AS n FROM (",
                    key_id_union!(),
                    ") AS used GROUP BY key_id ORDER BY key_id"
                ))
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(KeyIdCount {
                            key_id: rows::column(row, "key_id")?,
                            ciphertexts: rows::count(row, "n")?,
                        })
                    })
                    .collect()
            }

            async fn credentials_not_under(
                &self,
                key_id: &str,
                after: Option<(&str, &str)>,
                limit: u32,
            ) -> StoreResult<Vec<CredentialRecord>> {
                let (after_user, after_provider) = after.unzip();
                let found = sqlx::query(concat!(
                    "SELECT ",
                    credential_columns!(),
                    " FROM credentials \
                     WHERE (access_key_id <> $1 OR refresh_key_id <> $1) \
                     AND ($2 IS NULL OR (user_email, provider) > ($2, $3)) \
                     ORDER BY user_email, provider LIMIT $4"
                ))
                .bind(key_id)
                .bind(after_user)
                .bind(after_provider)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::credential_from_row).collect()
            }

            async fn reseal_credential(
                &self,
                user_email: &str,
                provider: &str,
                expected_version: i64,
                access_token: &Sealed,
                refresh_token: Option<&Sealed>,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE credentials SET access_token_enc = $4, access_key_id = $5, \
                     refresh_token_enc = $6, refresh_key_id = $7 \
                     WHERE user_email = $1 AND provider = $2 AND version = $3",
                )
                .bind(user_email)
                .bind(provider)
                .bind(expected_version)
                .bind(&access_token.ciphertext)
                .bind(&access_token.key_id)
                .bind(refresh_token.map(|sealed| &sealed.ciphertext))
                .bind(refresh_token.map(|sealed| &sealed.key_id))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn sessions_not_under(
                &self,
                key_id: &str,
                after: Option<Uuid>,
                limit: u32,
            ) -> StoreResult<Vec<SessionVerifier>> {
                let found = sqlx::query(
                    "SELECT id, pkce_key_id, pkce_verifier_enc FROM auth_sessions \
                     WHERE pkce_key_id <> $1 AND ($2 IS NULL OR id > $2) \
                     ORDER BY id LIMIT $3",
                )
                .bind(key_id)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(SessionVerifier {
                            id: rows::column(row, "id")?,
                            pkce_verifier: Sealed {
                                key_id: rows::column(row, "pkce_key_id")?,
                                ciphertext: rows::column(row, "pkce_verifier_enc")?,
                            },
                        })
                    })
                    .collect()
            }

            async fn reseal_session_verifier(
                &self,
                id: Uuid,
                old: &Sealed,
                new: &Sealed,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE auth_sessions SET pkce_verifier_enc = $4, pkce_key_id = $5 \
                     WHERE id = $1 AND pkce_key_id = $2 AND pkce_verifier_enc = $3",
                )
                .bind(id)
                .bind(&old.key_id)
                .bind(&old.ciphertext)
                .bind(&new.ciphertext)
                .bind(&new.key_id)
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }
        }
    };
}

sql_roles!(Postgres);
sql_roles!(Sqlite);

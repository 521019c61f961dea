//! The PostgreSQL store: production, shared by any number of gateway replicas. Each
//! method is one statement or one transaction, so replicas need no coordination of their
//! own; every time comes from the caller's clock, never from the database's `now()`.

use super::rows::{self, RecordRow, credential_columns, session_columns};
use super::{
    CredentialRecord, NewSession, RefreshedTokens, SessionRecord, SignInGrant, Store, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt as _};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use std::str::FromStr as _;
use std::time::Duration;
use uuid::Uuid;

/// How long a request waits for a pooled connection before reporting the database down.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: u32 = 10;
/// How long the first connection at startup may take (a server that drops packets).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and applies the migrations (sqlx takes an advisory lock, so replicas
    /// starting together do not race).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        // One direct connection first: the pool retries a failing connect until its
        // acquire timeout and then reports only "pool timed out", hiding the cause.
        probe(&options).await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Connects once, so an unreachable server, a wrong password or a missing database is
/// reported at once with the server's address and the cause.
async fn probe(options: &PgConnectOptions) -> StoreResult<()> {
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let connecting = PgConnection::connect_with(options);
    let (database, cause) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(error @ sqlx::Error::Database(_))) => (
            format!("PostgreSQL at {server} refused the connection"),
            super::connect_cause(&error),
        ),
        Ok(Err(error)) => (
            format!("could not reach PostgreSQL at {server}"),
            super::connect_cause(&error),
        ),
        Err(_) => (
            format!("could not reach PostgreSQL at {server}"),
            format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
        ),
    };
    Err(StoreError::Open { database, cause })
}

impl RecordRow for PgRow {
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        rows::column(self, column)
    }

    fn optional_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        rows::column(self, column)
    }

    fn scopes(&self, column: &str) -> StoreResult<Vec<String>> {
        rows::column::<_, Json<Vec<String>>>(self, column).map(|json| json.0)
    }
}

fn session(row: Option<&PgRow>) -> StoreResult<Option<SessionRecord>> {
    row.map(rows::session_from_row).transpose()
}

fn credential(row: Option<&PgRow>) -> StoreResult<Option<CredentialRecord>> {
    row.map(rows::credential_from_row).transpose()
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_session(&self, session: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_sessions (id, connect_hash, pkce_verifier_enc, pkce_key_id, \
             user_email, provider, scopes, client_name, status, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)",
        )
        .bind(session.id)
        .bind(&session.connect_hash)
        .bind(&session.pkce_verifier.ciphertext)
        .bind(&session.pkce_verifier.key_id)
        .bind(&session.user_email)
        .bind(&session.provider)
        .bind(Json(&session.scopes))
        .bind(&session.client_name)
        .bind(session.created_at)
        .bind(session.expires_at)
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
        session(row.as_ref())
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
             WHERE connect_hash = $3 AND status = 'pending' AND expires_at > $4 RETURNING ",
            session_columns!()
        ))
        .bind(state_hash)
        .bind(browser_hash)
        .bind(connect_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        session(row.as_ref())
    }

    async fn session_by_state(&self, state_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM auth_sessions WHERE state_hash = $1"
        ))
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        session(row.as_ref())
    }

    async fn claim_session(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        // One conditional UPDATE: the row lock serializes racing claims and the loser
        // re-checks `status` after the winner commits, so exactly one sees a row change.
        let result = sqlx::query(
            "UPDATE auth_sessions SET status = 'exchanging' \
             WHERE id = $1 AND status = 'pending' AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn fail_session(&self, id: Uuid, error: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_sessions SET status = 'failed', error = $2, completed_at = $3 \
             WHERE id = $1 AND status IN ('pending', 'exchanging')",
        )
        .bind(id)
        .bind(error)
        .bind(now)
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
        let mut tx = self.pool.begin().await?;
        // Only the claimer of the session may complete it; anything else (never claimed,
        // failed meanwhile, swept) stores nothing.
        let completed = sqlx::query(
            "UPDATE auth_sessions SET status = 'completed', account_email = $2, \
             completed_at = $3 WHERE id = $1 AND status = 'exchanging'",
        )
        .bind(session_id)
        .bind(&grant.account_email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if completed.rows_affected() != 1 {
            return Err(sqlx::Error::RowNotFound.into());
        }
        let (refresh_token, refresh_key_id) = match &grant.refresh_token {
            Some(sealed) => (Some(&sealed.ciphertext), Some(&sealed.key_id)),
            None => (None, None),
        };
        // The refresh token and its key id are taken together from whichever side has a
        // token, so they always stay a matching pair.
        let row = sqlx::query(concat!(
            "INSERT INTO credentials (user_email, provider, access_token_enc, access_key_id, \
             refresh_token_enc, refresh_key_id, expires_at, scopes, account_email, \
             account_subject, status, version, lease_owner, lease_until, authenticated_at, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 1, NULL, NULL, \
             $11, $11, $11) \
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
             version = credentials.version + 1, lease_owner = NULL, lease_until = NULL, \
             authenticated_at = EXCLUDED.authenticated_at, updated_at = EXCLUDED.updated_at \
             RETURNING ",
            credential_columns!()
        ))
        .bind(&grant.user_email)
        .bind(&grant.provider)
        .bind(&grant.access_token.ciphertext)
        .bind(&grant.access_token.key_id)
        .bind(refresh_token)
        .bind(refresh_key_id)
        .bind(grant.expires_at)
        .bind(Json(&grant.scopes))
        .bind(&grant.account_email)
        .bind(&grant.account_subject)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let record = rows::credential_from_row(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn delete_sessions_expired_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

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
        credential(row.as_ref())
    }

    async fn credentials_for_user(&self, user_email: &str) -> StoreResult<Vec<CredentialRecord>> {
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
        // One statement fenced on the version: a concurrent writer that got there first
        // makes this match no row, and nothing of its write is overwritten.
        let row = sqlx::query(concat!(
            "UPDATE credentials SET access_token_enc = $4, access_key_id = $5, \
             refresh_token_enc = COALESCE($6::text, refresh_token_enc), \
             refresh_key_id = CASE WHEN $6::text IS NULL THEN refresh_key_id \
             ELSE $7::text END, \
             expires_at = $8, scopes = COALESCE($9::jsonb, scopes), \
             version = version + 1, updated_at = $10, \
             lease_owner = NULL, lease_until = NULL \
             WHERE user_email = $1 AND provider = $2 AND version = $3 RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .bind(expected_version)
        .bind(&tokens.access_token.ciphertext)
        .bind(&tokens.access_token.key_id)
        .bind(refresh_token)
        .bind(refresh_key_id)
        .bind(tokens.expires_at)
        .bind(tokens.scopes.as_ref().map(Json))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        credential(row.as_ref())
    }

    async fn acquire_refresh_lease(
        &self,
        user_email: &str,
        provider: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CredentialRecord>> {
        // The condition and the write are one statement, so two replicas can never both
        // see the lease as free.
        let row = sqlx::query(concat!(
            "UPDATE credentials SET lease_owner = $3, lease_until = $4 \
             WHERE user_email = $1 AND provider = $2 \
             AND (lease_until IS NULL OR lease_until <= $5) RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .bind(owner)
        .bind(until)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        credential(row.as_ref())
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

    async fn announce_session_finished(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::SESSION_FINISHED_CHANNEL)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_finished_events(&self) -> StoreResult<Option<BoxStream<'static, Uuid>>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(super::SESSION_FINISHED_CHANNEL).await?;
        // PgListener reconnects by itself; a lost notification only delays a waiter
        // until its periodic re-read.
        let ids = listener
            .into_stream()
            .filter_map(|notification| async move {
                notification
                    .ok()
                    .and_then(|notification| Uuid::parse_str(notification.payload()).ok())
            });
        Ok(Some(ids.boxed()))
    }

    async fn credential_changes(
        &self,
    ) -> StoreResult<Option<BoxStream<'static, super::CredentialChange>>> {
        use super::CredentialChange;
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(super::CREDENTIAL_CHANGED_CHANNEL).await?;
        // `try_recv` reports a lost connection (where `recv` would silently reconnect
        // and drop what was sent meanwhile); the stream ends there so the caller can
        // forget everything it cached and listen again.
        let changes = futures::stream::unfold(Some(listener), |listener| async move {
            let mut listener = listener?;
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let Some((provider, user_email)) = notification.payload().split_once('\n')
                        else {
                            continue;
                        };
                        let change = CredentialChange::Changed {
                            provider: provider.to_owned(),
                            user_email: user_email.to_owned(),
                        };
                        return Some((change, Some(listener)));
                    }
                    Ok(None) | Err(_) => return Some((CredentialChange::Lost, None)),
                }
            }
        });
        Ok(Some(
            futures::stream::once(async { CredentialChange::Listening })
                .chain(changes)
                .boxed(),
        ))
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
        .bind(now)
        .bind(unless_since)
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
        let rows = sqlx::query(
            "SELECT user_email, provider FROM credentials \
             WHERE status = 'active' AND refresh_token_enc IS NOT NULL \
             AND ((expires_at < $1 AND last_used_at >= $2) OR updated_at < $3) \
             ORDER BY expires_at LIMIT $4",
        )
        .bind(expiring_before)
        .bind(used_since)
        .bind(idle_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    rows::column(row, "user_email")?,
                    rows::column(row, "provider")?,
                ))
            })
            .collect()
    }

    async fn try_acquire_job_lease(
        &self,
        name: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // One statement: insert, or take over a lease that ran out or is already ours.
        let result = sqlx::query(
            "INSERT INTO job_leases (name, owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, \
             lease_until = excluded.lease_until \
             WHERE job_leases.lease_until <= $4 OR job_leases.owner = excluded.owner",
        )
        .bind(name)
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn mark_needs_reauth(
        &self,
        user_email: &str,
        provider: &str,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE credentials SET status = 'needs_reauth', version = version + 1, \
             updated_at = $4, lease_owner = NULL, lease_until = NULL WHERE user_email = $1 AND provider = $2 AND version = $3",
        )
        .bind(user_email)
        .bind(provider)
        .bind(expected_version)
        .bind(now)
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
            "DELETE FROM credentials WHERE user_email = $1 AND provider = $2 RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .fetch_optional(&self.pool)
        .await?;
        credential(row.as_ref())
    }
}

//! The SQLite store: the embedded default for one gateway process. Times are stored as
//! INTEGER Unix epoch microseconds so comparisons in SQL are numeric and exact; every
//! time comes from the caller's clock, never from SQLite's own.

use super::rows::{self, RecordRow, credential_columns, session_columns};
use super::{
    CredentialRecord, NewSession, RefreshedTokens, SessionRecord, SignInGrant, Store, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// How long a writer waits for another connection's write lock before failing; writes
/// here are single short statements, so this is only ever hit when something is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections let reads overlap a write (WAL).
const MAX_CONNECTIONS: u32 = 4;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?;
        if let Some(file) = database_file(url)
            && !url.contains("mode=ro")
        {
            create_private_file(&file)?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // No liveness ping per acquire: a file does not drop connections, and the ping
        // is a round trip to sqlx's worker thread (measured: a large share of a token's
        // CPU on SQLite).
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|error| match database_file(url) {
                Some(file) => open_error(&file, &super::connect_cause(&error)),
                None => StoreError::from(error),
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The database file a `sqlite:` URL names, made absolute; `None` for an in-memory
/// database or a URL sqlx cannot parse (sqlx then reports that).
pub(super) fn database_file(url: &str) -> Option<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let in_memory = url.contains("mode=memory")
        || file.as_os_str() == ":memory:"
        || file.starts_with("file:sqlx-in-memory");
    if in_memory {
        return None;
    }
    Some(std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()))
}

/// Creates the database file readable by its owner only before SQLite opens it (SQLite
/// gives its -wal and -shm files the database file's mode); an existing file is left
/// as it is. Fails naming the path, e.g. when its directory does not exist.
fn create_private_file(file: &Path) -> StoreResult<()> {
    if file.exists() {
        return Ok(());
    }
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(open_error(
            file,
            &format!("directory {} does not exist", dir.display()),
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)
        .map(drop)
        .map_err(|error| open_error(file, &error.to_string()))
}

fn open_error(file: &Path, cause: &str) -> StoreError {
    StoreError::Open {
        database: format!("cannot open the SQLite database {}", file.display()),
        cause: cause.to_owned(),
    }
}

pub(super) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(super) fn from_micros(value: i64, column: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| StoreError::Corrupt(format!("column {column}: time {value} out of range")))
}

impl RecordRow for SqliteRow {
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        from_micros(rows::column(self, column)?, column)
    }

    fn optional_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        rows::column::<_, Option<i64>>(self, column)?
            .map(|value| from_micros(value, column))
            .transpose()
    }

    fn scopes(&self, column: &str) -> StoreResult<Vec<String>> {
        rows::scopes_from_json(&rows::column::<_, String>(self, column)?)
    }
}

fn session(row: Option<&SqliteRow>) -> StoreResult<Option<SessionRecord>> {
    row.map(rows::session_from_row).transpose()
}

fn credential(row: Option<&SqliteRow>) -> StoreResult<Option<CredentialRecord>> {
    row.map(rows::credential_from_row).transpose()
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_session(&self, session: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_sessions (id, connect_hash, pkce_verifier_enc, pkce_key_id, \
             user_email, provider, scopes, client_name, status, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10)",
        )
        .bind(session.id)
        .bind(&session.connect_hash)
        .bind(&session.pkce_verifier.ciphertext)
        .bind(&session.pkce_verifier.key_id)
        .bind(&session.user_email)
        .bind(&session.provider)
        .bind(rows::scopes_to_json(&session.scopes))
        .bind(&session.client_name)
        .bind(micros(session.created_at))
        .bind(micros(session.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM auth_sessions WHERE id = ?1"
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
            "UPDATE auth_sessions SET state_hash = ?1, browser_hash = ?2 \
             WHERE connect_hash = ?3 AND status = 'pending' AND expires_at > ?4 RETURNING ",
            session_columns!()
        ))
        .bind(state_hash)
        .bind(browser_hash)
        .bind(connect_hash)
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await?;
        session(row.as_ref())
    }

    async fn session_by_state(&self, state_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM auth_sessions WHERE state_hash = ?1"
        ))
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        session(row.as_ref())
    }

    async fn claim_session(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        // One conditional UPDATE: SQLite runs one writer at a time and each write reads the
        // latest committed row, so exactly one racing claim sees a row change.
        let result = sqlx::query(
            "UPDATE auth_sessions SET status = 'exchanging' \
             WHERE id = ?1 AND status = 'pending' AND expires_at > ?2",
        )
        .bind(id)
        .bind(micros(now))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn fail_session(&self, id: Uuid, error: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_sessions SET status = 'failed', error = ?2, completed_at = ?3 \
             WHERE id = ?1 AND status IN ('pending', 'exchanging')",
        )
        .bind(id)
        .bind(error)
        .bind(micros(now))
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
        // IMMEDIATE takes the write lock up front, so the transaction never has to upgrade
        // a read lock later (which SQLite can refuse without waiting).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Only the claimer of the session may complete it; anything else (never claimed,
        // failed meanwhile, swept) stores nothing.
        let completed = sqlx::query(
            "UPDATE auth_sessions SET status = 'completed', account_email = ?2, \
             completed_at = ?3 WHERE id = ?1 AND status = 'exchanging'",
        )
        .bind(session_id)
        .bind(&grant.account_email)
        .bind(micros(now))
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
        // token, so they always stay a matching pair. Unqualified columns in DO UPDATE are
        // the stored row's values.
        let row = sqlx::query(concat!(
            "INSERT INTO credentials (user_email, provider, access_token_enc, access_key_id, \
             refresh_token_enc, refresh_key_id, expires_at, scopes, account_email, \
             account_subject, status, version, lease_owner, lease_until, authenticated_at, \
             created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'active', 1, NULL, NULL, \
             ?11, ?11, ?11) \
             ON CONFLICT (user_email, provider) DO UPDATE SET \
             access_token_enc = excluded.access_token_enc, \
             access_key_id = excluded.access_key_id, \
             refresh_token_enc = COALESCE(excluded.refresh_token_enc, refresh_token_enc), \
             refresh_key_id = CASE WHEN excluded.refresh_token_enc IS NULL \
             THEN refresh_key_id ELSE excluded.refresh_key_id END, \
             expires_at = excluded.expires_at, scopes = excluded.scopes, \
             account_email = excluded.account_email, \
             account_subject = excluded.account_subject, status = 'active', \
             version = version + 1, lease_owner = NULL, lease_until = NULL, \
             authenticated_at = excluded.authenticated_at, updated_at = excluded.updated_at \
             RETURNING ",
            credential_columns!()
        ))
        .bind(&grant.user_email)
        .bind(&grant.provider)
        .bind(&grant.access_token.ciphertext)
        .bind(&grant.access_token.key_id)
        .bind(refresh_token)
        .bind(refresh_key_id)
        .bind(micros(grant.expires_at))
        .bind(rows::scopes_to_json(&grant.scopes))
        .bind(&grant.account_email)
        .bind(&grant.account_subject)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await?;
        let record = rows::credential_from_row(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn delete_sessions_expired_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM auth_sessions WHERE expires_at < ?1")
            .bind(micros(before))
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
            " FROM credentials WHERE user_email = ?1 AND provider = ?2"
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
            " FROM credentials WHERE user_email = ?1 ORDER BY provider"
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
            "UPDATE credentials SET access_token_enc = ?4, access_key_id = ?5, \
             refresh_token_enc = COALESCE(?6, refresh_token_enc), \
             refresh_key_id = CASE WHEN ?6 IS NULL THEN refresh_key_id ELSE ?7 END, \
             expires_at = ?8, scopes = COALESCE(?9, scopes), \
             version = version + 1, updated_at = ?10, \
             lease_owner = NULL, lease_until = NULL \
             WHERE user_email = ?1 AND provider = ?2 AND version = ?3 RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .bind(expected_version)
        .bind(&tokens.access_token.ciphertext)
        .bind(&tokens.access_token.key_id)
        .bind(refresh_token)
        .bind(refresh_key_id)
        .bind(micros(tokens.expires_at))
        .bind(tokens.scopes.as_deref().map(rows::scopes_to_json))
        .bind(micros(now))
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
            "UPDATE credentials SET lease_owner = ?3, lease_until = ?4 \
             WHERE user_email = ?1 AND provider = ?2 \
             AND (lease_until IS NULL OR lease_until <= ?5) RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .bind(owner)
        .bind(micros(until))
        .bind(micros(now))
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
             WHERE user_email = ?1 AND provider = ?2 AND lease_owner = ?3",
        )
        .bind(user_email)
        .bind(provider)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn announce_session_finished(&self, _id: Uuid) -> StoreResult<()> {
        // One process: the core's in-process broadcast already woke every waiter.
        Ok(())
    }

    async fn session_finished_events(&self) -> StoreResult<Option<BoxStream<'static, Uuid>>> {
        Ok(None)
    }

    /// Another process (the admin CLI) may write the file unannounced, so no feed.
    async fn credential_changes(
        &self,
    ) -> StoreResult<Option<BoxStream<'static, super::CredentialChange>>> {
        Ok(None)
    }

    async fn record_credential_use(
        &self,
        user_email: &str,
        provider: &str,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE credentials SET last_used_at = ?3 WHERE user_email = ?1 \
             AND provider = ?2 AND (last_used_at IS NULL OR last_used_at < ?4)",
        )
        .bind(user_email)
        .bind(provider)
        .bind(micros(now))
        .bind(micros(unless_since))
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
             AND ((expires_at < ?1 AND last_used_at >= ?2) OR updated_at < ?3) \
             ORDER BY expires_at LIMIT ?4",
        )
        .bind(micros(expiring_before))
        .bind(micros(used_since))
        .bind(micros(idle_before))
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
            "INSERT INTO job_leases (name, owner, lease_until) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, \
             lease_until = excluded.lease_until \
             WHERE job_leases.lease_until <= ?4 OR job_leases.owner = excluded.owner",
        )
        .bind(name)
        .bind(owner)
        .bind(micros(until))
        .bind(micros(now))
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
             updated_at = ?4, lease_owner = NULL, lease_until = NULL WHERE user_email = ?1 AND provider = ?2 AND version = ?3",
        )
        .bind(user_email)
        .bind(provider)
        .bind(expected_version)
        .bind(micros(now))
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
            "DELETE FROM credentials WHERE user_email = ?1 AND provider = ?2 RETURNING ",
            credential_columns!()
        ))
        .bind(user_email)
        .bind(provider)
        .fetch_optional(&self.pool)
        .await?;
        credential(row.as_ref())
    }
}

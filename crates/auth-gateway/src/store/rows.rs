//! Row-to-record conversion shared by both backends. The column names are the same on
//! both; only how a time and a JSON list are stored differs, so each backend supplies
//! those readers ([`RecordRow`]) and everything else is decoded here, once.

use super::{
    AuditEvent, ClientRecord, CredentialRecord, CredentialStatus, SessionRecord, SessionState,
    StoreError, StoreResult,
};
use crate::domain::Sealed;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Row, Type};
use uuid::Uuid;

/// The columns `session_from_row` reads, in `SELECT` / `RETURNING` lists.
macro_rules! session_columns {
    () => {
        "id, user_email, provider, scopes, client_name, status, error, pkce_verifier_enc, \
         pkce_key_id, browser_hash, account_email, created_at, expires_at, completed_at"
    };
}
pub(super) use session_columns;

/// The columns `credential_from_row` reads, in `SELECT` / `RETURNING` lists.
macro_rules! credential_columns {
    () => {
        "user_email, provider, access_token_enc, access_key_id, refresh_token_enc, \
         refresh_key_id, expires_at, scopes, account_email, account_subject, status, version, \
         authenticated_at, created_at, updated_at, last_used_at"
    };
}
pub(super) use credential_columns;

/// The columns of `clients`, in `SELECT` lists.
macro_rules! client_columns {
    () => {
        "id, name, key_digest, allowed_providers, allowed_scopes, scopes_exclude_defaults, \
         verified_users_only, created_at, revoked_at, previous_key_digest, previous_key_valid_until"
    };
}
pub(super) use client_columns;

/// Every `(key_id, n)` count of ciphertexts, per column; summed by key id by the caller.
/// Logins' PKCE verifiers (`oauth_logins`) are counted so a key still in use is reported,
/// but never re-sealed: a login lives 15 minutes, so waiting them out is simpler than a
/// re-encryption pass, and the count tells the operator to wait before dropping a key.
macro_rules! key_id_union {
    () => {
        "SELECT access_key_id AS key_id, COUNT(*) AS n FROM credentials GROUP BY access_key_id \
         UNION ALL SELECT refresh_key_id, COUNT(*) FROM credentials \
         WHERE refresh_key_id IS NOT NULL GROUP BY refresh_key_id \
         UNION ALL SELECT pkce_key_id, COUNT(*) FROM auth_sessions GROUP BY pkce_key_id \
         UNION ALL SELECT pkce_key_id, COUNT(*) FROM oauth_logins GROUP BY pkce_key_id"
    };
}
pub(super) use key_id_union;

/// The backend-specific column readers.
pub(super) trait RecordRow: Row {
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>>;
    fn optional_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// A JSON array of strings (a scope or provider list).
    fn list(&self, column: &str) -> StoreResult<Vec<String>>;
    fn optional_list(&self, column: &str) -> StoreResult<Option<Vec<String>>>;
}

/// A `COUNT`/`SUM` column (a non-negative BIGINT) as `u64`.
pub(super) fn count<'r, R>(row: &'r R, name: &str) -> StoreResult<u64>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(u64::try_from(column::<R, i64>(row, name)?).unwrap_or_default())
}

/// Reads one column; a value that does not decode means the row is corrupt, not that the
/// database is down, so it is reported as such.
pub(super) fn column<'r, R, T>(row: &'r R, name: &str) -> StoreResult<T>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(name).map_err(|error| match error {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::Decode(_) => StoreError::Corrupt(format!("column {name}: {error}")),
        other => other.into(),
    })
}

pub(super) fn session_from_row<R>(row: &R) -> StoreResult<SessionRecord>
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
    Ok(SessionRecord {
        id: column(row, "id")?,
        user_email: column(row, "user_email")?,
        provider: column(row, "provider")?,
        scopes: row.list("scopes")?,
        client_name: column(row, "client_name")?,
        state: SessionState::parse(&column::<_, String>(row, "status")?)?,
        error: column(row, "error")?,
        pkce_verifier: Sealed {
            key_id: column(row, "pkce_key_id")?,
            ciphertext: column(row, "pkce_verifier_enc")?,
        },
        browser_hash: column(row, "browser_hash")?,
        account_email: column(row, "account_email")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        completed_at: row.optional_time("completed_at")?,
    })
}

pub(super) fn credential_from_row<R>(row: &R) -> StoreResult<CredentialRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database>,
    i64: Type<R::Database>,
{
    let refresh_token = match (
        column::<_, Option<String>>(row, "refresh_token_enc")?,
        column::<_, Option<String>>(row, "refresh_key_id")?,
    ) {
        (Some(ciphertext), Some(key_id)) => Some(Sealed { key_id, ciphertext }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "refresh token and its key id must be both set or both empty".into(),
            ));
        }
    };
    Ok(CredentialRecord {
        user_email: column(row, "user_email")?,
        provider: column(row, "provider")?,
        access_token: Sealed {
            key_id: column(row, "access_key_id")?,
            ciphertext: column(row, "access_token_enc")?,
        },
        refresh_token,
        expires_at: row.time("expires_at")?,
        scopes: row.list("scopes")?,
        account_email: column(row, "account_email")?,
        account_subject: column(row, "account_subject")?,
        status: CredentialStatus::parse(&column::<_, String>(row, "status")?)?,
        version: column(row, "version")?,
        authenticated_at: row.time("authenticated_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        last_used_at: row.optional_time("last_used_at")?,
    })
}

pub(super) fn client_from_row<R>(row: &R) -> StoreResult<ClientRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database>,
    Vec<u8>: Type<R::Database>,
    for<'r> Uuid: Decode<'r, R::Database>,
    Uuid: Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database>,
    bool: Type<R::Database>,
{
    Ok(ClientRecord {
        id: column(row, "id")?,
        name: column(row, "name")?,
        key_digest: column(row, "key_digest")?,
        allowed_providers: row.list("allowed_providers")?,
        allowed_scopes: row.optional_list("allowed_scopes")?,
        scopes_exclude_defaults: column(row, "scopes_exclude_defaults")?,
        verified_users_only: column(row, "verified_users_only")?,
        created_at: row.time("created_at")?,
        revoked_at: row.optional_time("revoked_at")?,
        previous_key_digest: column(row, "previous_key_digest")?,
        previous_key_valid_until: row.optional_time("previous_key_valid_until")?,
    })
}

pub(super) fn audit_event_from_row<R>(row: &R) -> StoreResult<AuditEvent>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
{
    Ok(AuditEvent {
        occurred_at: row.time("occurred_at")?,
        client_name: column(row, "client_name")?,
        user_email: column(row, "user_email")?,
        provider: column(row, "provider")?,
        event: column(row, "event")?,
        outcome: column(row, "outcome")?,
        detail: column(row, "detail")?,
    })
}

/// Lists are stored as a JSON array of strings (JSONB on PostgreSQL, TEXT on SQLite).
pub(super) fn list_from_json(text: &str, column: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Corrupt(format!(
            "column {column}: not a JSON array of strings: {error}"
        ))
    })
}

pub(super) fn list_to_json(items: &[String]) -> String {
    serde_json::Value::Array(
        items
            .iter()
            .cloned()
            .map(serde_json::Value::String)
            .collect(),
    )
    .to_string()
}

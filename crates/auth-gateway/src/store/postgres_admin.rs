//! [`AdminStore`] on PostgreSQL: clients, audit trail, key-id bookkeeping.

use super::postgres::PgStore;
use super::rows::{self, client_columns, credential_columns, key_id_union};
use super::{
    AdminStore, AuditEvent, AuditQuery, ClientRecord, CredentialRecord, ImportedCredential,
    KeyIdCount, NewClient, PoolStats, SessionVerifier, StatusCount, StoreResult,
};
use crate::domain::Sealed;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

fn client_from_row(row: &PgRow) -> StoreResult<ClientRecord> {
    Ok(ClientRecord {
        id: rows::column(row, "id")?,
        name: rows::column(row, "name")?,
        key_digest: rows::column(row, "key_digest")?,
        allowed_providers: rows::column::<_, Json<Vec<String>>>(row, "allowed_providers")?.0,
        allowed_scopes: rows::column::<_, Option<Json<Vec<String>>>>(row, "allowed_scopes")?
            .map(|json| json.0),
        created_at: rows::column(row, "created_at")?,
        revoked_at: rows::column(row, "revoked_at")?,
        previous_key_digest: rows::column(row, "previous_key_digest")?,
        previous_key_valid_until: rows::column(row, "previous_key_valid_until")?,
    })
}

#[async_trait]
impl AdminStore for PgStore {
    async fn insert_client(&self, client: &NewClient) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO clients (id, name, key_digest, allowed_providers, allowed_scopes, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(client.id)
        .bind(&client.name)
        .bind(&client.key_digest)
        .bind(Json(&client.allowed_providers))
        .bind(client.allowed_scopes.as_ref().map(Json))
        .bind(client.created_at)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn client_by_digest(&self, digest: &[u8]) -> StoreResult<Option<ClientRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE key_digest = $1 OR previous_key_digest = $1 LIMIT 1"
        ))
        .bind(digest)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn clients(&self) -> StoreResult<Vec<ClientRecord>> {
        let found = sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients ORDER BY name"
        ))
        .fetch_all(self.pool())
        .await?;
        found.iter().map(client_from_row).collect()
    }

    async fn revoke_client(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE clients SET revoked_at = $2, previous_key_digest = NULL, \
             previous_key_valid_until = NULL WHERE name = $1 AND revoked_at IS NULL",
        )
        .bind(name)
        .bind(now)
        .execute(self.pool())
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
            "UPDATE clients SET previous_key_digest = key_digest, key_digest = $2, \
             previous_key_valid_until = $3 WHERE name = $1 AND revoked_at IS NULL",
        )
        .bind(name)
        .bind(new_digest)
        .bind(previous_valid_until)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn insert_audit_event(&self, event: &AuditEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (occurred_at, client_name, user_email, provider, event, \
             outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(event.occurred_at)
        .bind(&event.client_name)
        .bind(&event.user_email)
        .bind(&event.provider)
        .bind(&event.event)
        .bind(&event.outcome)
        .bind(&event.detail)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let found = sqlx::query(
            "SELECT * FROM (SELECT id, occurred_at, client_name, user_email, provider, event, \
             outcome, detail FROM audit_events \
             WHERE ($1::text IS NULL OR user_email = $1) \
             AND ($2::timestamptz IS NULL OR occurred_at >= $2) \
             ORDER BY id DESC LIMIT $3) newest ORDER BY id",
        )
        .bind(&query.user_email)
        .bind(query.since)
        .bind(i64::from(query.limit))
        .fetch_all(self.pool())
        .await?;
        found
            .iter()
            .map(|row| {
                Ok(AuditEvent {
                    occurred_at: rows::column(row, "occurred_at")?,
                    client_name: rows::column(row, "client_name")?,
                    user_email: rows::column(row, "user_email")?,
                    provider: rows::column(row, "provider")?,
                    event: rows::column(row, "event")?,
                    outcome: rows::column(row, "outcome")?,
                    detail: rows::column(row, "detail")?,
                })
            })
            .collect()
    }

    async fn key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>> {
        let found = sqlx::query(concat!(
            "SELECT key_id, SUM(n)::BIGINT AS n FROM (",
            key_id_union!(),
            ") AS used GROUP BY key_id ORDER BY key_id"
        ))
        .fetch_all(self.pool())
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

    async fn credential_status_counts(&self) -> StoreResult<Vec<StatusCount>> {
        let found = sqlx::query(
            "SELECT status, COUNT(*)::BIGINT AS n FROM credentials GROUP BY status ORDER BY status",
        )
        .fetch_all(self.pool())
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

    fn pool_stats(&self) -> PoolStats {
        let pool = self.pool();
        PoolStats {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
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
            " FROM credentials WHERE (access_key_id <> $1 OR refresh_key_id <> $1) \
             AND ($2::text IS NULL OR (user_email, provider) > ($2, $3)) \
             ORDER BY user_email, provider LIMIT $4"
        ))
        .bind(key_id)
        .bind(after_user)
        .bind(after_provider)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
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
        .execute(self.pool())
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
             WHERE pkce_key_id <> $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
        )
        .bind(key_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
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
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn import_credential(&self, credential: &ImportedCredential) -> StoreResult<bool> {
        let refresh = credential.refresh_token.as_ref();
        let result = sqlx::query(
            "INSERT INTO credentials (user_email, provider, access_token_enc, access_key_id, \
             refresh_token_enc, refresh_key_id, expires_at, scopes, status, version, \
             authenticated_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1, $9, $9, $9) \
             ON CONFLICT (user_email, provider) DO NOTHING",
        )
        .bind(&credential.user_email)
        .bind(&credential.provider)
        .bind(&credential.access_token.ciphertext)
        .bind(&credential.access_token.key_id)
        .bind(refresh.map(|sealed| &sealed.ciphertext))
        .bind(refresh.map(|sealed| &sealed.key_id))
        .bind(credential.expires_at)
        .bind(Json(&credential.scopes))
        .bind(credential.imported_at)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

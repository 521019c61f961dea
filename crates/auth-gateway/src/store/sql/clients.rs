//! `ClientStore` on both backends (API clients: insert, by digest, list, revoke, rotate, verified-only flag): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::{ClientRecord, NewClient};
use super::super::roles::ClientStore;
use super::super::rows::{self, client_columns};
use super::SqlStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};

macro_rules! clients_sql {
    ($db:ty) => {
        #[async_trait]
        impl ClientStore for SqlStore<$db> {
            async fn insert_client(&self, client: &NewClient) -> StoreResult<bool> {
                let result = sqlx::query(
                    "INSERT INTO clients (id, name, key_digest, allowed_providers, \
                     allowed_scopes, scopes_exclude_defaults, verified_users_only, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING",
                )
                .bind(client.id)
                .bind(&client.name)
                .bind(&client.key_digest)
                .bind(Self::list(&client.allowed_providers))
                .bind(client.allowed_scopes.as_deref().map(Self::list))
                .bind(client.scopes_exclude_defaults)
                .bind(client.verified_users_only)
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

            async fn set_client_verified_users_only(
                &self,
                name: &str,
                verified_users_only: bool,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE clients SET verified_users_only = $2 \
                     WHERE name = $1 AND revoked_at IS NULL",
                )
                .bind(name)
                .bind(verified_users_only)
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }
        }
    };
}

clients_sql!(Postgres);
clients_sql!(Sqlite);

//! `OAuthClientStore` on both backends (the MCP clients of the authorization server):
//! one text, compiled for each backend by the macro below (see the parent module for
//! why a macro).

use super::super::authz_records::{OAuthClientKind, OAuthClientRecord};
use super::super::authz_roles::OAuthClientStore;
use super::super::rows::{RecordRow, column};
use super::super::{StoreError, StoreResult};
use super::SqlStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};

/// The columns `oauth_client_from_row` reads.
macro_rules! oauth_client_columns {
    () => {
        "client_id, kind, client_name, redirect_uris, token_endpoint_auth_method, \
         secret_digest, created_at, last_used_at, refresh_after"
    };
}

/// The INSERT both writes share; `upsert` appends its `ON CONFLICT` clause.
macro_rules! insert_oauth_client {
    () => {
        "INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, \
         token_endpoint_auth_method, secret_digest, created_at, last_used_at, \
         refresh_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    };
}

fn oauth_client_from_row<R>(row: &R) -> StoreResult<OAuthClientRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database>,
    Vec<u8>: Type<R::Database>,
{
    let kind: String = column(row, "kind")?;
    Ok(OAuthClientRecord {
        client_id: column(row, "client_id")?,
        kind: OAuthClientKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("column kind: unknown {kind:?}")))?,
        client_name: column(row, "client_name")?,
        redirect_uris: row.list("redirect_uris")?,
        token_endpoint_auth_method: column(row, "token_endpoint_auth_method")?,
        secret_digest: column(row, "secret_digest")?,
        created_at: row.time("created_at")?,
        last_used_at: row.optional_time("last_used_at")?,
        refresh_after: row.optional_time("refresh_after")?,
    })
}

macro_rules! oauth_clients_sql {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// `sql` (an INSERT of every column, in `insert_oauth_client!` order) with
            /// the client's values bound.
            fn bind_oauth_client<'q>(
                sql: &'static str,
                client: &'q OAuthClientRecord,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
                sqlx::query(sql)
                    .bind(&client.client_id)
                    .bind(client.kind.as_str())
                    .bind(&client.client_name)
                    .bind(Self::list(&client.redirect_uris))
                    .bind(&client.token_endpoint_auth_method)
                    .bind(&client.secret_digest)
                    .bind(Self::time(client.created_at))
                    .bind(client.last_used_at.map(Self::time))
                    .bind(client.refresh_after.map(Self::time))
            }
        }

        #[async_trait]
        impl OAuthClientStore for SqlStore<$db> {
            async fn insert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<bool> {
                let sql = concat!(
                    insert_oauth_client!(),
                    " ON CONFLICT (client_id) DO NOTHING"
                );
                let result = Self::bind_oauth_client(sql, client)
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn upsert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<()> {
                let sql = concat!(
                    insert_oauth_client!(),
                    " ON CONFLICT (client_id) DO UPDATE SET kind = EXCLUDED.kind, \
                     client_name = EXCLUDED.client_name, \
                     redirect_uris = EXCLUDED.redirect_uris, \
                     token_endpoint_auth_method = EXCLUDED.token_endpoint_auth_method, \
                     secret_digest = EXCLUDED.secret_digest, \
                     created_at = EXCLUDED.created_at, \
                     last_used_at = EXCLUDED.last_used_at, \
                     refresh_after = EXCLUDED.refresh_after"
                );
                Self::bind_oauth_client(sql, client)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn oauth_client(
                &self,
                client_id: &str,
            ) -> StoreResult<Option<OAuthClientRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    oauth_client_columns!(),
                    " FROM oauth_clients WHERE client_id = $1"
                ))
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(oauth_client_from_row).transpose()
            }

            async fn record_oauth_client_use(
                &self,
                client_id: &str,
                now: DateTime<Utc>,
                unless_since: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE oauth_clients SET last_used_at = $2 WHERE client_id = $1 \
                     AND (last_used_at IS NULL OR last_used_at < $3)",
                )
                .bind(client_id)
                .bind(Self::time(now))
                .bind(Self::time(unless_since))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_unused_dynamic_clients(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                // A client with an unrevoked grant stays even when idle: its refresh
                // tokens name it, and deleting it would strand them.
                let result = sqlx::query(
                    "DELETE FROM oauth_clients WHERE kind = 'dynamic' AND created_at < $1 \
                     AND (last_used_at IS NULL OR last_used_at < $1) \
                     AND NOT EXISTS (SELECT 1 FROM oauth_grants \
                     WHERE oauth_grants.client_id = oauth_clients.client_id \
                     AND oauth_grants.revoked_at IS NULL)",
                )
                .bind(Self::time(before))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected())
            }
        }
    };
}

oauth_clients_sql!(Postgres);
oauth_clients_sql!(Sqlite);

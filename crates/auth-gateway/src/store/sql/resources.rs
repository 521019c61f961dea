//! `ResourceStore` on both backends (MCP servers registered as protected resources):
//! one text, compiled for each backend by the macro below (see the parent module for
//! why a macro).

use super::super::StoreResult;
use super::super::records::ResourceRecord;
use super::super::roles::ResourceStore;
use super::super::rows::{RecordRow, column};
use super::SqlStore;
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};

/// The columns `resource_from_row` reads.
macro_rules! resource_columns {
    () => {
        "uri, client_name, provider, scopes, display_name, created_at"
    };
}

fn resource_from_row<R>(row: &R) -> StoreResult<ResourceRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
{
    Ok(ResourceRecord {
        uri: column(row, "uri")?,
        client_name: column(row, "client_name")?,
        provider: column(row, "provider")?,
        scopes: row.list("scopes")?,
        display_name: column(row, "display_name")?,
        created_at: row.time("created_at")?,
    })
}

macro_rules! resources_sql {
    ($db:ty) => {
        #[async_trait]
        impl ResourceStore for SqlStore<$db> {
            async fn insert_resource(&self, resource: &ResourceRecord) -> StoreResult<bool> {
                let result = sqlx::query(
                    "INSERT INTO resources (uri, client_name, provider, scopes, \
                     display_name, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (uri) DO NOTHING",
                )
                .bind(&resource.uri)
                .bind(&resource.client_name)
                .bind(&resource.provider)
                .bind(Self::list(&resource.scopes))
                .bind(&resource.display_name)
                .bind(Self::time(resource.created_at))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn resource(&self, uri: &str) -> StoreResult<Option<ResourceRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    resource_columns!(),
                    " FROM resources WHERE uri = $1"
                ))
                .bind(uri)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(resource_from_row).transpose()
            }

            async fn resources(&self) -> StoreResult<Vec<ResourceRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    resource_columns!(),
                    " FROM resources ORDER BY uri"
                ))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(resource_from_row).collect()
            }

            async fn delete_resource(&self, uri: &str) -> StoreResult<bool> {
                let result = sqlx::query("DELETE FROM resources WHERE uri = $1")
                    .bind(uri)
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected() == 1)
            }
        }
    };
}

resources_sql!(Postgres);
resources_sql!(Sqlite);

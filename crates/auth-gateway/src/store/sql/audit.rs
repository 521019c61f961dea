//! `AuditStore` on both backends (audit events: insert and query): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::{AuditEvent, AuditQuery};
use super::super::roles::AuditStore;
use super::super::rows::{self};
use super::SqlStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};

macro_rules! audit_sql {
    ($db:ty) => {
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

            async fn delete_audit_events_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query("DELETE FROM audit_events WHERE occurred_at < $1")
                    .bind(Self::time(before))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

audit_sql!(Postgres);
audit_sql!(Sqlite);

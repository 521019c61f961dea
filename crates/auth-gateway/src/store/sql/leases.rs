//! `LeaseStore` on both backends (refresh leases and job leases): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::CredentialRecord;
use super::super::roles::LeaseStore;
use super::super::rows::{self, credential_columns};
use super::SqlStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};

macro_rules! leases_sql {
    ($db:ty) => {
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
    };
}

leases_sql!(Postgres);
leases_sql!(Sqlite);
